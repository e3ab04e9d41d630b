//! `revision --autogenerate` and `check` against real databases: edit diesel's
//! `table!` declarations, autogenerate, and the written migration compiles,
//! upgrades the database until `check` passes, and downgrades back.

use std::path::Path;
use std::process::Command;

use migrate_tests::all_backends;
use migrate_tests::fixture::{cargo, features, write_crate};

const INITIAL: &str = r#"use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None, message = "users")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(50))
        .column(col::<Integer>("age").default(0))
        .column(col::<Nullable<Varchar>>("nick").length(20));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
"#;

const SCHEMA_V1: &str = r#"diesel::table! {
    users (id) {
        id -> Integer,
        #[max_length = 50]
        name -> Varchar,
        age -> Integer,
        #[max_length = 20]
        nick -> Nullable<Varchar>,
    }
}
"#;

const SCHEMA_V2: &str = r#"diesel::table! {
    users (id) {
        id -> Integer,
        #[max_length = 50]
        name -> Nullable<Varchar>,
        age -> BigInt,
        #[max_length = 20]
        handle -> Nullable<Varchar>,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
        title -> Nullable<Text>,
    }
}

diesel::joinable!(posts -> users (user_id));
"#;

fn migrate(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    let f = features();
    let mut all = vec!["run", "--offline", "--bin", "migrate"];
    if !f.is_empty() {
        all.push("--features");
        all.push(&f);
    }
    all.extend(["--", "--url", url]);
    all.extend_from_slice(args);
    let out = cargo(dir, &all);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn generated(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n != "a1_users.rs")
        .collect();
    v.sort();
    v
}

#[test]
fn autogenerate_then_upgrade_passes_check_and_downgrades_back() {
    for db in all_backends("autogenerate") {
        let server = db.dialect;
        let url = db.url.as_str();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("fixture");
        write_crate(&dir, true);
        std::fs::write(dir.join("migrations/a1_users.rs"), INITIAL).unwrap();
        std::fs::write(dir.join("src/schema.rs"), SCHEMA_V1).unwrap();

        let (code, err) = migrate(&dir, url, &["upgrade"]);
        assert_eq!(code, 0, "{server}: {err}");
        let (code, err) = migrate(&dir, url, &["check"]);
        assert_eq!(code, 0, "{server}: the models match: {err}");
        let (code, err) = migrate(&dir, url, &["revision", "--autogenerate", "-m", "nothing"]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("No changes in schema detected"), "{err}");
        assert!(generated(&dir).is_empty(), "no file written");

        std::fs::write(dir.join("src/schema.rs"), SCHEMA_V2).unwrap();
        let (code, err) = migrate(&dir, url, &["check"]);
        assert_eq!(code, 1, "{server}: {err}");
        for line in [
            "New upgrade operations detected",
            "add table posts",
            "add column users.handle",
            "remove column users.nick",
            "change type of users.age",
            "make users.name nullable",
        ] {
            assert!(err.contains(line), "{server}: missing {line:?} in {err}");
        }

        // Same shape gone and come: drop + add, flagged as a possible rename.
        let (code, err) = migrate(
            &dir,
            url,
            &["revision", "--autogenerate", "-m", "sync models"],
        );
        assert_eq!(code, 0, "{err}");
        let files = generated(&dir);
        assert_eq!(files.len(), 1, "{files:?}");
        let text = std::fs::read_to_string(dir.join("migrations").join(&files[0])).unwrap();
        assert!(
            text.contains("// Possible rename of users.nick: pass --rename users.nick=handle"),
            "{text}"
        );
        assert!(
            text.contains("op.drop_column(\"users\", \"nick\");"),
            "{text}"
        );
        std::fs::remove_file(dir.join("migrations").join(&files[0])).unwrap();

        // With the rename confirmed.
        let (code, err) = migrate(
            &dir,
            url,
            &[
                "revision",
                "--autogenerate",
                "-m",
                "sync models",
                "--rename",
                "users.nick=handle",
            ],
        );
        assert_eq!(code, 0, "{err}");
        let files = generated(&dir);
        let path = dir.join("migrations").join(&files[0]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("op.alter_column(\"users\", \"nick\").rename_to(\"handle\");"),
            "{text}"
        );
        assert!(
            text.contains("op.alter_column(\"users\", \"age\").set_type::<BigInt>();"),
            "{text}"
        );
        assert!(
            text.contains("op.alter_column(\"users\", \"name\").nullable(true);"),
            "{text}"
        );
        assert!(
            text.contains(".foreign_key(ForeignKey::new([\"user_id\"], \"users\", [\"id\"])"),
            "{text}"
        );
        assert!(
            !text.contains("op.drop_column(\"users\", \"nick\")"),
            "{text}"
        );
        let fmt = Command::new("rustfmt")
            .args(["--check", "--edition", "2021"])
            .arg(&path)
            .output()
            .expect("rustfmt");
        assert!(
            fmt.status.success(),
            "the written file is formatted as rustfmt would:\n{}",
            String::from_utf8_lossy(&fmt.stdout)
        );

        // It compiles (the next `cargo run` rebuilds), upgrades, and check passes.
        let (code, err) = migrate(&dir, url, &["upgrade"]);
        assert_eq!(code, 0, "{server}: {err}");
        let (code, err) = migrate(&dir, url, &["check"]);
        assert_eq!(
            code, 0,
            "{server}: after the upgrade the models match: {err}"
        );
        // And it downgrades back to where the models no longer match.
        let (code, err) = migrate(&dir, url, &["downgrade", "-1"]);
        assert_eq!(code, 0, "{server}: {err}");
        let (code, _) = migrate(&dir, url, &["check"]);
        assert_eq!(code, 1, "{server}");
        std::fs::write(dir.join("src/schema.rs"), SCHEMA_V1).unwrap();
        let (code, err) = migrate(&dir, url, &["check"]);
        assert_eq!(code, 1, "{server}: not at head: {err}");
        assert!(err.contains("not up to date"), "{err}");
    }
}
