//! Adding a migration file rebuilds the chain; a crate without the build.rs line
//! fails to compile with the line to add; a binary notices a directory that
//! changed since it was built. Builds a real fixture crate with cargo.

use std::path::Path;
use std::process::Command;

use migrate_tests::fixture::{cargo, migration, target_dir, write_crate};

fn run_fixture(dir: &Path) -> String {
    let out = cargo(dir, &["run", "--offline", "--bin", "fixture"]);
    assert!(
        out.status.success(),
        "fixture failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

// Over 120 lines on purpose: one fixture crate walked through its life (no build.rs,
// a file added, edited, removed, a stale binary); split, each part would rebuild it.
#[test]
fn adding_a_file_rebuilds_and_a_missing_build_rs_line_is_a_compile_error() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    write_crate(&dir, false);
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
    // What the binary holds tells whether the edit was compiled in; file
    // times can be too coarse to tell a rebuild apart.
    let bin = target_dir().join("debug/fixture");
    let holds = |needle: &str| {
        let bytes = std::fs::read(&bin).expect("read the built binary");
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    };
    assert!(!holds("t_b2_edited"), "not built with the edit yet");
    assert_eq!(run_fixture(&dir), "b2 2");
    assert!(holds("t_b2_edited"), "an edit recompiles");

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
    let fmt = Command::new("rustfmt")
        .args(["--check", "--edition", "2021"])
        .arg(dir.join("migrations").join(&created[0]))
        .output()
        .expect("rustfmt");
    assert!(
        fmt.status.success(),
        "the new file is formatted as rustfmt would:\n{}",
        String::from_utf8_lossy(&fmt.stdout)
    );
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
    // The binary built before d4 writes the next revision after d4, the head
    // the directory holds, not after its own compiled head (no fork).
    let stale = target_dir().join("debug/migrate");
    let out = Command::new(&stale)
        .args(["revision", "-m", "after more", "--rev-id", "e5"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("migrations/e5_after_more.rs")).unwrap();
    assert!(text.contains("down_revision = \"d4\""), "{text}");
    assert_eq!(run_fixture(&dir), "e5 5");
}
