//! `migrate-init`: sets a crate up for migrations before any exists, so that
//! its own `migrate` binary can write the first (`revision -m "initial"`).
//!
//! It adds what the README's quickstart lists, and only what is missing:
//! `migrations/`, `build.rs` with the rerun line, the `MIGRATIONS` static in
//! `src/lib.rs`, `src/bin/migrate.rs`, a `.env` with a SQLite URL, the
//! dependency, and `default-run` (the crate then has two binaries). Files
//! are created or added to, never rewritten; what it cannot add safely (a
//! line in an existing `build.rs`, an unusual `Cargo.toml`) is named instead.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What [`init`] did, and what it left for a person to do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InitReport {
    /// Files created or changed, relative to the crate.
    pub written: Vec<String>,
    /// Changes it would not make in a file that is there, as instructions.
    pub todo: Vec<String>,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

fn read(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(format!("cannot read {}", path.display()))(e)),
    }
}

fn write(dir: &Path, rel: &str, text: &str, report: &mut InitReport) -> Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(io(format!("cannot create {}", parent.display())))?;
    }
    std::fs::write(&path, text).map_err(io(format!("cannot write {}", path.display())))?;
    report.written.push(rel.to_owned());
    Ok(())
}

/// The crate's package name, from its `Cargo.toml`.
fn package_name(manifest: &str, path: &Path) -> Result<String> {
    let doc: toml::Table = manifest.parse().map_err(|e: toml::de::Error| {
        Error::Usage(format!(
            "{} is not valid TOML: {}",
            path.display(),
            e.message()
        ))
    })?;
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::Usage(format!(
                "{} has no [package] name: run migrate-init in the service's crate",
                path.display()
            ))
        })
}

/// Whether `line` is the header `[name]` (spaces and a comment allowed).
fn is_header(line: &str, name: &str) -> bool {
    let code = line.split('#').next().unwrap_or_default();
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    compact == format!("[{name}]")
}

/// `manifest` with `line` added as the first line of the table `[name]`
/// (the table added at the end when there is none), in the file's own line
/// endings.
fn add_to_table(manifest: &str, name: &str, line: &str) -> String {
    let nl = if manifest.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut out = String::new();
    let mut added = false;
    for l in manifest.lines() {
        out.push_str(l);
        out.push_str(nl);
        if !added && is_header(l, name) {
            out.push_str(line);
            out.push_str(nl);
            added = true;
        }
    }
    if !added {
        if !out.is_empty() && !out.ends_with(&format!("{nl}{nl}")) {
            out.push_str(nl);
        }
        out.push_str(&format!("[{name}]{nl}{line}{nl}"));
    }
    out
}

/// Sets up the crate in `dir` for migrations. `dependency` is the value of
/// its `migrate-runtime` dependency (e.g. `{ path = "../migrate-runtime" }`),
/// written as given when the crate has none. Files are created, or added to
/// (`Cargo.toml`, `src/lib.rs`, `.env`), never rewritten; a change it cannot
/// make safely is returned in [`InitReport::todo`] instead.
pub fn init(dir: &Path, dependency: &str) -> Result<InitReport> {
    let manifest_path = dir.join("Cargo.toml");
    let manifest = read(&manifest_path)?.ok_or_else(|| {
        Error::Usage(format!(
            "no Cargo.toml in {}: run migrate-init in the service's crate (after `cargo new`)",
            dir.display()
        ))
    })?;
    let name = package_name(&manifest, &manifest_path)?;
    let mut report = InitReport::default();

    // The manifest: the dependency, and which binary `cargo run` runs.
    let doc: toml::Table = manifest.parse().map_err(|e: toml::de::Error| {
        Error::Usage(format!(
            "{} is not valid TOML: {}",
            manifest_path.display(),
            e.message()
        ))
    })?;
    let lib = doc.get("lib").and_then(|l| l.as_table());
    let lib_name = lib
        .and_then(|l| l.get("name"))
        .and_then(|n| n.as_str())
        .map_or_else(|| name.replace('-', "_"), str::to_owned);
    let lib_path = lib
        .and_then(|l| l.get("path"))
        .and_then(|p| p.as_str())
        .unwrap_or("src/lib.rs")
        .to_owned();
    let deps = doc.get("dependencies").and_then(|d| d.as_table());
    let has_dep = deps.is_some_and(|d| d.contains_key("migrate-runtime"));
    // Renamed (`package = "migrate-runtime"`), it cannot serve: the macros
    // expand to `::migrate_runtime::...`.
    let renamed = deps.is_some_and(|d| {
        d.iter().any(|(k, v)| {
            k != "migrate-runtime"
                && v.get("package").and_then(|p| p.as_str()) == Some("migrate-runtime")
        })
    });
    if renamed && !has_dep {
        report.todo.push(
            "name the dependency migrate-runtime in Cargo.toml (the macros refer to ::migrate_runtime), not a rename with package = \"migrate-runtime\"".into(),
        );
    }
    let mut want = Vec::new();
    let mut new_manifest = manifest.clone();
    if !has_dep && !renamed {
        new_manifest = add_to_table(
            &new_manifest,
            "dependencies",
            &format!("migrate-runtime = {dependency}"),
        );
        want.push("dependencies.migrate-runtime");
    }
    let package = doc.get("package").and_then(|p| p.as_table());
    let has_default_run = package.is_some_and(|p| p.contains_key("default-run"));
    let autobins = package
        .and_then(|p| p.get("autobins"))
        .and_then(|a| a.as_bool())
        .unwrap_or(true);
    // The binary src/main.rs builds: a [[bin]] of that path, or the package's.
    let bins = doc.get("bin").and_then(|b| b.as_array());
    let main_bin = bins
        .and_then(|b| {
            b.iter().find(|t| {
                t.get("path")
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| p.trim_start_matches("./") == "src/main.rs")
            })
        })
        .and_then(|t| t.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .or_else(|| (autobins && dir.join("src/main.rs").exists()).then(|| name.clone()));
    if !autobins {
        report.todo.push(
            "add to Cargo.toml (autobins is off): [[bin]] name = \"migrate\" path = \"src/bin/migrate.rs\"".into(),
        );
    }
    if let (Some(main), false) = (&main_bin, has_default_run) {
        // With src/bin/migrate.rs beside it, a bare `cargo run` would not
        // know which binary to run.
        new_manifest = add_to_table(
            &new_manifest,
            "package",
            &format!("default-run = {}", toml::Value::String(main.clone())),
        );
        want.push("package.default-run");
    }
    if new_manifest != manifest {
        // Written only when it reads back as TOML with what was added where
        // it belongs (an unusual layout, e.g. dotted keys, is left to a person).
        let ok = new_manifest.parse::<toml::Table>().is_ok_and(|t| {
            want.iter().all(|w| {
                let (table, key) = w.split_once('.').unwrap_or((w, ""));
                t.get(table).and_then(|v| v.get(key)).is_some()
            })
        });
        if ok {
            write(dir, "Cargo.toml", &new_manifest, &mut report)?;
        } else {
            for w in &want {
                report.todo.push(if *w == "package.default-run" {
                    format!(
                        "add to [package] in Cargo.toml: default-run = {}",
                        toml::Value::String(main_bin.clone().unwrap_or_default())
                    )
                } else {
                    format!("add to [dependencies] in Cargo.toml: migrate-runtime = {dependency}")
                });
            }
        }
    }

    let migrations = dir.join("migrations");
    if !migrations.exists() {
        // Kept by git while empty; the chain ignores what is not a .rs file.
        write(dir, "migrations/.gitkeep", "", &mut report)?;
    }

    let rerun = "println!(\"cargo:rerun-if-changed=migrations\");";
    match read(&dir.join("build.rs"))? {
        None => write(
            dir,
            "build.rs",
            &format!(
                "fn main() {{\n    // A new migration file rebuilds the chain.\n    {rerun}\n}}\n"
            ),
            &mut report,
        )?,
        Some(b) if !b.contains("rerun-if-changed=migrations") => report
            .todo
            .push(format!("add to the main function of build.rs: {rerun}")),
        Some(_) => {}
    }

    let static_line = "pub static MIGRATIONS: migrate_runtime::Chain = migrate_runtime::embed_migrations!(\"migrations\");\n";
    match read(&dir.join(&lib_path))? {
        None => write(
            dir,
            &lib_path,
            &format!(
                "/// The migrations of `migrations/`, checked by the compiler.\n{static_line}"
            ),
            &mut report,
        )?,
        Some(l) if !l.contains("embed_migrations!") => {
            let sep = if l.ends_with('\n') || l.is_empty() {
                ""
            } else {
                "\n"
            };
            let text = format!(
                "{l}{sep}\n/// The migrations of `migrations/`, checked by the compiler.\n{static_line}"
            );
            write(dir, &lib_path, &text, &mut report)?;
        }
        Some(_) => {}
    }

    if read(&dir.join("src/bin/migrate.rs"))?.is_none() {
        write(
            dir,
            "src/bin/migrate.rs",
            &format!(
                "//! The migrate command of this service: `cargo run --bin migrate -- --help`.\n\nfn main() {{\n    migrate_runtime::cli::main(&{lib_name}::MIGRATIONS)\n}}\n"
            ),
            &mut report,
        )?;
    }

    let url_line = format!("DATABASE_URL=sqlite:///{lib_name}.db\n");
    match read(&dir.join(".env"))? {
        None => write(dir, ".env", &url_line, &mut report)?,
        Some(e) if !e.lines().any(|l| env_key(l) == Some("DATABASE_URL")) => {
            let sep = if e.ends_with('\n') || e.is_empty() {
                ""
            } else {
                "\n"
            };
            write(dir, ".env", &format!("{e}{sep}{url_line}"), &mut report)?;
        }
        Some(_) => {}
    }
    Ok(report)
}

/// The key a `.env` line sets (`KEY=value`, `export KEY=value`), if any.
fn env_key(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let l = l.strip_prefix("export ").unwrap_or(l);
    l.split_once('=').map(|(k, _)| k.trim())
}

/// `migrate-init [DIR]`: [`init`] on `DIR` (the current directory by
/// default), with the `migrate-runtime` this binary was built from as the
/// dependency. `args` are the process's: the first, the program's name, is
/// skipped. Prints what it did; returns the exit code.
pub fn init_main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).skip(1).collect();
    let mut dir: Option<PathBuf> = None;
    for a in &args {
        match a.to_str() {
            Some("-h" | "--help") => {
                println!("migrate-init [DIR]\n\nSets the crate in DIR (default: the current directory) up for migrations:\nmigrations/, build.rs, the MIGRATIONS static in src/lib.rs, src/bin/migrate.rs,\n.env with a SQLite URL, the migrate-runtime dependency and default-run.\nNothing that is there is overwritten. Then: cargo run --bin migrate -- revision -m \"initial\"");
                return 0;
            }
            Some(s) if s.starts_with('-') => {
                eprintln!("ERROR: unknown option {s} (see migrate-init --help)");
                return 2;
            }
            _ if dir.is_some() => {
                eprintln!("ERROR: one directory at most (see migrate-init --help)");
                return 2;
            }
            _ => dir = Some(PathBuf::from(a)),
        }
    }
    let dir = dir.unwrap_or_else(|| PathBuf::from("."));
    let runtime = env!("CARGO_MANIFEST_DIR");
    let dependency = format!("{{ path = {} }}", toml::Value::String(runtime.to_owned()));
    match init(&dir, &dependency) {
        Ok(r) => {
            for w in &r.written {
                println!("wrote {w}");
            }
            for t in &r.todo {
                println!("TODO: {t}");
            }
            if r.written.is_empty() && r.todo.is_empty() {
                println!("nothing to do: the crate is set up");
            }
            println!("next: cargo run --bin migrate -- revision -m \"initial\"");
            0
        }
        Err(e) => {
            eprintln!("ERROR: {e}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_crate(dir: &Path) {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"my-svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
        )
        .unwrap();
        std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    }

    #[test]
    fn a_new_crate_gets_everything_once_and_nothing_is_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        new_crate(dir);
        let r = init(dir, "{ path = \"/x\" }").unwrap();
        assert_eq!(
            r.written,
            [
                "Cargo.toml",
                "migrations/.gitkeep",
                "build.rs",
                "src/lib.rs",
                "src/bin/migrate.rs",
                ".env"
            ]
        );
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        let doc: toml::Table = manifest.parse().unwrap();
        assert_eq!(doc["package"]["default-run"].as_str(), Some("my-svc"));
        assert_eq!(
            doc["dependencies"]["migrate-runtime"]["path"].as_str(),
            Some("/x")
        );
        let bin = std::fs::read_to_string(dir.join("src/bin/migrate.rs")).unwrap();
        assert!(bin.contains("my_svc::MIGRATIONS"), "{bin}");
        let env = std::fs::read_to_string(dir.join(".env")).unwrap();
        assert_eq!(env, "DATABASE_URL=sqlite:///my_svc.db\n");
        // Again: nothing to do.
        assert_eq!(
            init(dir, "{ path = \"/x\" }").unwrap(),
            InitReport::default()
        );
    }

    #[test]
    fn what_is_there_is_kept_and_what_it_lacks_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        new_crate(dir);
        std::fs::write(dir.join("build.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.join("src/lib.rs"), "pub fn f() {}").unwrap();
        std::fs::write(dir.join(".env"), "RUST_LOG=info").unwrap();
        let r = init(dir, "{ path = \"/x\" }").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("build.rs")).unwrap(),
            "fn main() {}\n"
        );
        assert!(r.todo[0].contains("rerun-if-changed=migrations"), "{r:?}");
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(
            lib.starts_with("pub fn f() {}\n") && lib.contains("embed_migrations!"),
            "{lib}"
        );
        let env = std::fs::read_to_string(dir.join(".env")).unwrap();
        assert_eq!(env, "RUST_LOG=info\nDATABASE_URL=sqlite:///my_svc.db\n");
    }

    #[test]
    fn unusual_manifests_are_kept_valid_or_left_to_a_person() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("crlf");
        new_crate(&dir);
        // A commented header, CRLF line endings, a [[bin]] of its own name.
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\r\nname = \"svc\"\r\nversion = \"0.1.0\"\r\n\r\n[[bin]]\r\nname = \"server\"\r\npath = \"src/main.rs\"\r\n\r\n[dependencies] # ours\r\nserde = \"1\"\r\n",
        )
        .unwrap();
        let r = init(&dir, "{ path = \"/x\" }").unwrap();
        assert!(r.todo.is_empty(), "{r:?}");
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            !manifest.replace("\r\n", "").contains('\n'),
            "CRLF kept: {manifest:?}"
        );
        let doc: toml::Table = manifest.parse().unwrap();
        assert_eq!(doc["package"]["default-run"].as_str(), Some("server"));
        assert!(doc["dependencies"].get("migrate-runtime").is_some());
        // Dotted keys: the edit would not land where it belongs, so a todo.
        let other = tmp.path().join("dotted");
        new_crate(&other);
        std::fs::write(
            other.join("Cargo.toml"),
            "package.name = \"svc\"\npackage.version = \"0.1.0\"\ndependencies.serde = \"1\"\n",
        )
        .unwrap();
        let before = std::fs::read_to_string(other.join("Cargo.toml")).unwrap();
        let r = init(&other, "{ path = \"/x\" }").unwrap();
        assert_eq!(
            std::fs::read_to_string(other.join("Cargo.toml")).unwrap(),
            before
        );
        assert!(
            r.todo
                .iter()
                .any(|t| t.contains("migrate-runtime = { path")),
            "{r:?}"
        );
        // A renamed dependency cannot serve the macros: a todo, no second one.
        let renamed = tmp.path().join("renamed");
        new_crate(&renamed);
        std::fs::write(
            renamed.join("Cargo.toml"),
            "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n\n[dependencies]\nmr = { package = \"migrate-runtime\", path = \"/x\" }\n",
        )
        .unwrap();
        let r = init(&renamed, "{ path = \"/x\" }").unwrap();
        assert!(
            r.todo.iter().any(|t| t.contains("name the dependency")),
            "{r:?}"
        );
        let m = std::fs::read_to_string(renamed.join("Cargo.toml")).unwrap();
        assert_eq!(m.matches("migrate-runtime").count(), 1, "{m}");
        // A .env whose only URL is another one still gets DATABASE_URL.
        assert_eq!(env_key("export DATABASE_URL=x"), Some("DATABASE_URL"));
        assert_eq!(env_key("DATABASE_URL_RO=x"), Some("DATABASE_URL_RO"));
    }

    #[test]
    fn outside_a_crate_it_says_so() {
        let tmp = tempfile::tempdir().unwrap();
        let e = init(tmp.path(), "{}").unwrap_err().to_string();
        assert!(e.contains("no Cargo.toml"), "{e}");
        std::fs::write(tmp.path().join("Cargo.toml"), "[workspace]\n").unwrap();
        let e = init(tmp.path(), "{}").unwrap_err().to_string();
        assert!(e.contains("no [package] name"), "{e}");
    }
}
