//! Adding a migration file rebuilds the chain; a crate without the build.rs line
//! fails to compile with the line to add; a binary notices a directory that
//! changed since it was built. Builds a real fixture crate with cargo.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn migration(rev: &str, down: Option<&str>) -> String {
    let down = down.map_or("None".to_owned(), |d| format!("{d:?}"));
    format!(
        "use migrate_runtime::prelude::*;\n\n#[migration(revision = {rev:?}, down_revision = {down})]\nfn upgrade(op: &mut Op) -> Result<()> {{\n    op.create_table(\"t_{rev}\").column(col::<Integer>(\"id\"));\n    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n    op.drop_table(\"t_{rev}\");\n    Ok(())\n}}\n"
    )
}

fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // --quiet goes before any `--` that passes arguments to the program.
    let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
    Command::new(cargo)
        .args(&args[..split])
        .arg("--quiet")
        .args(&args[split..])
        .current_dir(dir)
        // Shared with other fixture builds so dependencies compile once.
        .env(
            "CARGO_TARGET_DIR",
            workspace().join("target").join("fixture"),
        )
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

fn run_fixture(dir: &Path) -> String {
    let out = cargo(dir, &["run", "--offline", "--bin", "fixture"]);
    assert!(
        out.status.success(),
        "fixture failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn adding_a_file_rebuilds_and_a_missing_build_rs_line_is_a_compile_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("migrations")).unwrap();
    let runtime = workspace().join("migrate-runtime");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fixture\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[dependencies]\nmigrate-runtime = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    if let Ok(lock) = std::fs::read(workspace().join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
    }
    std::fs::create_dir_all(dir.join("src/bin")).unwrap();
    std::fs::write(
        dir.join("src/lib.rs"),
        "pub static MIGRATIONS: migrate_runtime::Chain = migrate_runtime::embed_migrations!(\"migrations\");\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "use fixture::MIGRATIONS;\n\nfn main() {\n    let head = MIGRATIONS.head().map_or(\"<none>\", |m| m.revision());\n    match MIGRATIONS.directory_drift() {\n        Some(d) => println!(\"{head} {} DRIFT: {d}\", MIGRATIONS.len()),\n        None => println!(\"{head} {}\", MIGRATIONS.len()),\n    }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/bin/migrate.rs"),
        "fn main() {\n    migrate_runtime::cli::main(&fixture::MIGRATIONS)\n}\n",
    )
    .unwrap();
    std::fs::write(dir.join("migrations/a1_first.rs"), migration("a1", None)).unwrap();

    // Without build.rs: a compile error that gives the exact line.
    let out = cargo(&dir, &["build", "--offline"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("println!(\"cargo:rerun-if-changed=migrations\");"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    std::fs::write(
        dir.join("build.rs"),
        "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
    )
    .unwrap();
    assert_eq!(run_fixture(&dir), "a1 1");

    // A new file: the next build sees the new head without any other change.
    std::fs::write(
        dir.join("migrations/b2_second.rs"),
        migration("b2", Some("a1")),
    )
    .unwrap();
    assert_eq!(run_fixture(&dir), "b2 2");

    // Editing a file is tracked through its inclusion as a module.
    std::fs::write(
        dir.join("migrations/b2_second.rs"),
        migration("b2", Some("a1")).replace("t_b2", "t_b2_edited"),
    )
    .unwrap();
    let bin = workspace().join("target/fixture/debug/fixture");
    let built = |p: &Path| {
        std::fs::metadata(p)
            .and_then(|m| m.modified())
            .expect("binary mtime")
    };
    let before = built(&bin);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(run_fixture(&dir), "b2 2");
    assert!(built(&bin) > before, "an edit recompiles");

    // The built binary notices a file added since it was built.
    std::fs::write(
        dir.join("migrations/c3_third.rs"),
        migration("c3", Some("b2")),
    )
    .unwrap();
    let out = Command::new(&bin).output().expect("run the built binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("b2 2 DRIFT:") && stdout.contains("added since the build: c3_third.rs"),
        "{stdout}"
    );
    assert_eq!(run_fixture(&dir), "c3 3");

    // Removing a file rebuilds too.
    std::fs::remove_file(dir.join("migrations/c3_third.rs")).unwrap();
    assert_eq!(run_fixture(&dir), "b2 2");

    // `migrate revision -m` writes the next file after the head; the rebuild sees it.
    let out = cargo(
        &dir,
        &[
            "run",
            "--offline",
            "--bin",
            "migrate",
            "--",
            "revision",
            "-m",
            "Add widgets table!",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let created: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| n.ends_with("_add_widgets_table.rs"))
        .collect();
    assert_eq!(created.len(), 1, "{created:?}");
    let id = created[0]
        .trim_end_matches("_add_widgets_table.rs")
        .to_owned();
    assert_eq!(id.len(), 12);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
    let text = std::fs::read_to_string(dir.join("migrations").join(&created[0])).unwrap();
    assert!(text.contains("down_revision = \"b2\""), "{text}");
    assert!(text.contains("message = \"Add widgets table!\""), "{text}");
    assert_eq!(run_fixture(&dir), format!("{id} 3"));

    // --rev-id picks the id; a stale binary refuses to write a second head.
    let out = cargo(
        &dir,
        &[
            "run",
            "--offline",
            "--bin",
            "migrate",
            "--",
            "revision",
            "-m",
            "more",
            "--rev-id",
            "d4",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("migrations/d4_more.rs").exists());
    let stale = workspace().join("target/fixture/debug/migrate");
    let out = Command::new(&stale)
        .args(["revision", "-m", "fork"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("added since the build: d4_more.rs"));
    assert_eq!(run_fixture(&dir), "d4 4");
}
