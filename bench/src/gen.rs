//! Turns the shared workload (`workload.json`, format `migration-bench-workload/1`)
//! into a crate of migration files for this project.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

fn s(v: &Value) -> String {
    format!("{:?}", v.as_str().unwrap_or_default())
}

/// The Rust marker type and builder suffix for a workload column type.
fn rust_type(ty: &Value) -> Result<(String, String), String> {
    let kind = ty["kind"].as_str().unwrap_or_default();
    Ok(match kind {
        "integer" => ("Integer".into(), String::new()),
        "bigint" => ("BigInt".into(), String::new()),
        "varchar" => (
            "Varchar".into(),
            format!(".length({})", ty["length"].as_u64().unwrap_or(255)),
        ),
        "text" => ("Text".into(), String::new()),
        "boolean" => ("Bool".into(), String::new()),
        "numeric" => (
            "Numeric".into(),
            format!(
                ".precision({}, {})",
                ty["precision"].as_u64().unwrap_or(12),
                ty["scale"].as_u64().unwrap_or(2)
            ),
        ),
        "datetime" => ("Timestamp".into(), String::new()),
        "date" => ("Date".into(), String::new()),
        other => return Err(format!("unknown column type {other}")),
    })
}

fn column(c: &Value) -> Result<String, String> {
    let (ty, suffix) = rust_type(&c["type"])?;
    let nullable = c["nullable"].as_bool().unwrap_or(true);
    let mut out = if nullable {
        format!("col::<Nullable<{ty}>>({}){suffix}", s(&c["name"]))
    } else {
        format!("col::<{ty}>({}){suffix}", s(&c["name"]))
    };
    if c["primary_key"].as_bool() == Some(true) {
        out.push_str(".primary_key()");
    }
    if c["autoincrement"].as_bool() == Some(true) {
        out.push_str(".autoincrement()");
    }
    if let Some(d) = c["server_default"].as_str() {
        let _ = write!(out, ".server_default({d:?})");
    }
    Ok(out)
}

fn value(v: &Value) -> String {
    match v {
        Value::Null => "None::<&str>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_i64() => format!("{}i64", n),
        Value::Number(n) => format!("{}f64", n.as_f64().unwrap_or_default()),
        Value::String(t) => format!("{t:?}"),
        other => format!("{:?}", other.to_string()),
    }
}

fn ops(list: &Value) -> Result<String, String> {
    let mut out = String::new();
    for o in list.as_array().into_iter().flatten() {
        let t = s(&o["table"]);
        match o["op"].as_str().unwrap_or_default() {
            "create_table" => {
                let _ = write!(out, "    op.create_table({t})");
                for c in o["columns"].as_array().into_iter().flatten() {
                    let _ = write!(out, "\n        .column({})", column(c)?);
                }
                out.push_str(";\n");
            }
            "drop_table" => {
                let _ = writeln!(out, "    op.drop_table({t});");
            }
            "add_column" => {
                let _ = writeln!(out, "    op.add_column({t}, {});", column(&o["column"])?);
            }
            "drop_column" => {
                let _ = writeln!(out, "    op.drop_column({t}, {});", s(&o["column"]));
            }
            "create_index" => {
                let cols: Vec<String> = o["columns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(s)
                    .collect();
                let unique = if o["unique"].as_bool() == Some(true) {
                    ".unique()"
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "    op.create_index({}, {t}, [{}]){unique};",
                    s(&o["name"]),
                    cols.join(", ")
                );
            }
            "drop_index" => {
                let _ = writeln!(out, "    op.drop_index({}, {t});", s(&o["name"]));
            }
            "create_unique_constraint" => {
                let cols: Vec<String> = o["columns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(s)
                    .collect();
                let _ = writeln!(
                    out,
                    "    op.create_unique_constraint({}, {t}, [{}]);",
                    s(&o["name"]),
                    cols.join(", ")
                );
            }
            "drop_constraint" => {
                let kind = match o["type"].as_str() {
                    Some("foreignkey") => "ForeignKey",
                    Some("check") => "Check",
                    Some("primary") => "PrimaryKey",
                    _ => "Unique",
                };
                let _ = writeln!(
                    out,
                    "    op.drop_constraint({}, {t}, ConstraintKind::{kind});",
                    s(&o["name"])
                );
            }
            "alter_column" => {
                let (ty, suffix) = rust_type(&o["type"])?;
                let len = suffix
                    .strip_prefix(".length(")
                    .and_then(|x| x.strip_suffix(')'));
                match len {
                    Some(n) => {
                        let _ = writeln!(
                            out,
                            "    op.alter_column({t}, {}).set_column_type(ColumnType {{ kind: ColumnKind::Text, length: Some({n}), precision: None }});",
                            s(&o["column"])
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "    op.alter_column({t}, {}).set_type::<{ty}>();",
                            s(&o["column"])
                        );
                    }
                }
            }
            "bulk_insert" => {
                let cols: Vec<String> = o["columns"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|c| s(&c["name"]))
                    .collect();
                let _ = writeln!(out, "    op.bulk_insert({t}, [{}], vec![", cols.join(", "));
                for row in o["rows"].as_array().into_iter().flatten() {
                    let vals: Vec<String> =
                        row.as_array().into_iter().flatten().map(value).collect();
                    let _ = writeln!(out, "        row![{}],", vals.join(", "));
                }
                out.push_str("    ]);\n");
            }
            "execute" => {
                let _ = writeln!(out, "    op.execute({});", s(&o["sql"]));
            }
            other => return Err(format!("unknown operation {other}")),
        }
    }
    Ok(out)
}

/// One migration file's text.
pub fn migration_file(rev: &Value) -> Result<String, String> {
    let down = match rev["down_revision"].as_str() {
        Some(d) => format!("{d:?}"),
        None => "None".into(),
    };
    Ok(format!(
        "use migrate_runtime::prelude::*;\n\n#[migration(revision = {}, down_revision = {down}, message = {}, create_date = {})]\nfn upgrade(op: &mut Op) -> Result<()> {{\n{}    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n{}    Ok(())\n}}\n",
        s(&rev["revision"]),
        s(&rev["message"]),
        s(&rev["create_date"]),
        ops(&rev["upgrade"])?,
        ops(&rev["downgrade"])?,
    ))
}

/// Writes the crate: Cargo.toml, build.rs, src/main.rs and one file per revision.
pub fn write_crate(
    workload: &Path,
    dir: &Path,
    runtime: &Path,
    features: &[&str],
) -> Result<usize, String> {
    let text =
        std::fs::read_to_string(workload).map_err(|e| format!("{}: {e}", workload.display()))?;
    let w: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", workload.display()))?;
    if w["format"].as_str() != Some("migration-bench-workload/1") {
        return Err(format!("{}: unknown workload format", workload.display()));
    }
    let migrations = dir.join("migrations");
    let _ = std::fs::remove_dir_all(&migrations);
    std::fs::create_dir_all(&migrations).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("chain")
        .replace('-', "_");
    let mut feats: Vec<String> = features.iter().map(|f| format!("{f:?}")).collect();
    // Runtimes before the `cli` feature had the CLI built in: the startup
    // benchmark compares against such a build.
    let manifest = std::fs::read_to_string(runtime.join("Cargo.toml")).unwrap_or_default();
    if manifest.contains("\ncli = [") {
        feats.insert(0, "\"cli\"".into());
    }
    let manifest = format!(
        "[package]\nname = \"bench_{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nmigrate-runtime = {{ path = {:?}, default-features = false, features = [{}] }}\n\n[profile.release]\ncodegen-units = 16\n\n[workspace]\n",
        runtime.display().to_string(),
        feats.join(", ")
    );
    let write =
        |p: &Path, t: &str| std::fs::write(p, t).map_err(|e| format!("{}: {e}", p.display()));
    write(&dir.join("Cargo.toml"), &manifest)?;
    write(
        &dir.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
    )?;
    write(
        &dir.join("src/main.rs"),
        "static MIGRATIONS: migrate_runtime::Chain = migrate_runtime::embed_migrations!(\"migrations\");\n\nfn main() {\n    migrate_runtime::cli::main(&MIGRATIONS)\n}\n",
    )?;
    let revs = w["revisions"]
        .as_array()
        .ok_or("workload without revisions")?;
    for r in revs {
        let slug = migrate_core::slugify(r["message"].as_str().unwrap_or_default());
        let file = migrations.join(format!(
            "{}_{slug}.rs",
            r["revision"].as_str().unwrap_or_default()
        ));
        write(&file, &migration_file(r)?)?;
    }
    Ok(revs.len())
}
