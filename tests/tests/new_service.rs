//! A new service from nothing: an empty migrations directory builds, its
//! `migrate` says there is nothing yet, `revision -m "initial"` writes the
//! first migration, and `upgrade head` applies it. Builds a real fixture crate
//! with cargo, as a user's would be.

use migrate_tests::fixture::{cargo, features, write_crate};

/// The fixtures share a target directory, where both crates' `migrate`
/// binaries land at `debug/migrate`: one test at a time, or one runs the
/// other's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn migrate(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let feats = features();
    let mut all = vec!["run", "--offline", "--bin", "migrate"];
    if !feats.is_empty() {
        all.extend(["--features", feats.as_str()]);
    }
    all.push("--");
    all.extend(args);
    let out = cargo(dir, &all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn an_empty_migrations_directory_builds_and_the_first_revision_applies() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    write_crate(&dir, false);
    // Without the build.rs line even an empty directory is refused: the
    // first file written would not rebuild the chain.
    let out = cargo(&dir, &["build", "--offline"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cargo:rerun-if-changed=migrations"),
        "{stderr}"
    );
    write_crate(&dir, true);
    let db = tmp.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());

    // Nothing yet: it builds, and says what to do first.
    let (ok, out, err) = migrate(&dir, &["--url", &url, "current"]);
    assert!(ok, "{err}");
    assert!(out.trim().is_empty(), "{out}");
    assert!(
        err.contains("no migrations yet") && err.contains("revision -m"),
        "{err}"
    );

    let (ok, _, err) = migrate(&dir, &["revision", "-m", "initial"]);
    assert!(ok, "{err}");
    let files: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| n.ends_with("_initial.rs"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let rev = files[0].trim_end_matches("_initial.rs").to_owned();
    let text = std::fs::read_to_string(dir.join("migrations").join(&files[0])).unwrap();
    assert!(text.contains("down_revision = None"), "{text}");

    // Two more revisions from the binary as built, before any rebuild: each
    // follows the head the directory holds now.
    let bin = migrate_tests::fixture::target_dir().join("debug/migrate");
    let mut parent = rev.clone();
    for msg in ["second", "third"] {
        let out = std::process::Command::new(&bin)
            .args(["revision", "-m", msg])
            .current_dir(&dir)
            .output()
            .expect("run the built migrate");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{msg}: {err}");
        let made = std::fs::read_dir(dir.join("migrations"))
            .unwrap()
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .find(|n| n.ends_with(&format!("_{msg}.rs")))
            .expect("the new file");
        let text = std::fs::read_to_string(dir.join("migrations").join(&made)).unwrap();
        assert!(
            text.contains(&format!("down_revision = {parent:?}")),
            "{text}"
        );
        parent = made.trim_end_matches(&format!("_{msg}.rs")).to_owned();
    }

    // The next build has them: upgrade applies all three, current shows the last.
    let (ok, _, err) = migrate(&dir, &["--url", &url, "upgrade", "head"]);
    assert!(ok, "{err}");
    assert!(err.contains(&format!("-> {rev}")), "{err}");
    assert!(err.contains(&format!("-> {parent}")), "{err}");
    assert!(!err.contains("no migrations yet"), "{err}");
    let (ok, out, err) = migrate(&dir, &["--url", &url, "current"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("{parent} (head)"));
}

#[test]
fn a_cargo_new_crate_goes_from_migrate_init_to_a_first_upgrade_head() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use migrate_tests::fixture::workspace;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("svc");
    // What `cargo new svc` makes.
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n",
    )
    .unwrap();
    // Offline, with the versions this workspace resolved.
    std::fs::write(
        dir.join("Cargo.lock"),
        std::fs::read(workspace().join("Cargo.lock")).unwrap(),
    )
    .unwrap();

    let dependency = format!(
        "{{ path = {:?} }}",
        workspace().join("migrate-runtime").display().to_string()
    );
    let report = migrate_runtime::cli::init(&dir, &dependency).unwrap();
    assert!(report.todo.is_empty(), "{report:?}");

    // The README's commands from here on, with the URL from the .env init wrote.
    let run = |args: &[&str]| {
        let out = cargo(&dir, args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "cargo {args:?}: {err}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), err)
    };
    run(&[
        "run",
        "--offline",
        "--bin",
        "migrate",
        "--",
        "revision",
        "-m",
        "initial",
    ]);
    let (_, err) = run(&[
        "run",
        "--offline",
        "--bin",
        "migrate",
        "--",
        "upgrade",
        "head",
    ]);
    assert!(err.contains("Running upgrade  ->"), "{err}");
    let (out, _) = run(&["run", "--offline", "--bin", "migrate", "--", "current"]);
    assert!(out.trim().ends_with("(head)"), "{out}");
    assert!(
        dir.join("svc.db").exists(),
        "the .env's SQLite file, beside the crate"
    );
    // `cargo run` still runs the service itself (default-run).
    let (out, _) = run(&["run", "--offline"]);
    assert_eq!(out.trim(), "Hello, world!");
}
