//! The team workflow, built for real with cargo: developer B's migration runs
//! on a database, then A's migration on the same parent is merged and B's is
//! re-pointed to follow it. The database never ran A's: `upgrade` refuses,
//! `--out-of-order` applies it, and `downgrade base` undoes both. Then the
//! checksum: formatting an applied migration changes nothing; editing a
//! literal is refused until `accept`.

use std::path::Path;
use std::process::Output;

use migrate_runtime::testing::schema;
use migrate_runtime::AnyConnection;
use migrate_tests::fixture::{cargo, features, write_crate};
use migrate_tests::TestDb;

const BASE: &str = r#"use migrate_runtime::prelude::*;

#[migration(revision = "0900", down_revision = None, message = "items")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("items")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("items");
    Ok(())
}
"#;

fn b_file(parent: &str) -> String {
    format!(
        r#"use migrate_runtime::prelude::*;

#[migration(revision = "bbbb", down_revision = "{parent}", message = "labels")]
fn upgrade(op: &mut Op) -> Result<()> {{
    op.create_table("labels")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("label"));
    Ok(())
}}

fn downgrade(op: &mut Op) -> Result<()> {{
    op.drop_table("labels");
    Ok(())
}}
"#
    )
}

const A_FILE: &str = r#"use migrate_runtime::prelude::*;

#[migration(revision = "aaaa", down_revision = "0900", message = "item notes")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("items", col::<Nullable<Text>>("note").length(200));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("items", "note");
    Ok(())
}
"#;

/// The same migration, reformatted and commented: the same code.
const A_REFORMATTED: &str = r#"//! A's migration, now with a comment.
use migrate_runtime::prelude::*;

/// Notes on items.
#[migration(revision = "aaaa", down_revision = "0900", message = "notes for items")]
fn upgrade(op: &mut Op) -> Result<()> {
    // A note of up to 200 characters.
    op.add_column(
        "items",
        col::<Nullable<Text>>("note").length(200),
    );
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> { op.drop_column("items", "note"); Ok(()) }
"#;

fn build(dir: &Path) {
    let f = features();
    let mut args = vec!["build", "--offline", "--bin", "migrate"];
    if !f.is_empty() {
        args.extend(["--features", &f]);
    }
    let out = cargo(dir, &args);
    assert!(
        out.status.success(),
        "fixture build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn migrate(dir: &Path, url: &str, args: &[&str]) -> Output {
    let bin = migrate_tests::fixture::target_dir().join("debug/migrate");
    std::process::Command::new(bin)
        .arg("--url")
        .arg(url)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run the fixture's migrate")
}

/// Runs `migrate args`, expecting exit `code`; returns stdout and stderr.
fn expect(dir: &Path, url: &str, args: &[&str], code: i32) -> (String, String) {
    let out = migrate(dir, url, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "migrate {args:?} on {url}:\n{stdout}\n{stderr}"
    );
    (stdout, stderr)
}

fn databases() -> Vec<(TestDb, TestDb)> {
    let mut v = vec![(
        migrate_tests::sqlite("repoint"),
        migrate_tests::sqlite("repoint_fresh"),
    )];
    if let (Some(a), Some(b)) = (
        migrate_tests::postgres("repoint"),
        migrate_tests::postgres("repoint_fresh"),
    ) {
        v.push((a, b));
    }
    if let (Some(a), Some(b)) = (
        migrate_tests::mysql("repoint"),
        migrate_tests::mysql("repoint_fresh"),
    ) {
        v.push((a, b));
    }
    v
}

fn rows(conn: &mut AnyConnection, sql: &str) -> Vec<Option<String>> {
    conn.query_text(sql).expect("query")
}

#[test]
fn a_branch_re_pointed_after_the_other_ran_is_applied_only_when_asked_and_edits_are_caught() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    write_crate(&dir, true);
    let m = dir.join("migrations");
    std::fs::write(m.join("0900_items.rs"), BASE).unwrap();
    std::fs::write(m.join("bbbb_labels.rs"), b_file("0900")).unwrap();
    build(&dir);
    let dbs = databases();
    for (db, _) in &dbs {
        expect(&dir, &db.url, &["upgrade", "head"], 0);
        let mut conn = db.connect();
        conn.execute("INSERT INTO items (id, name) VALUES (1, 'kept')")
            .unwrap();
        conn.execute("INSERT INTO labels (id, label) VALUES (1, 'kept too')")
            .unwrap();
    }

    // The merge: A's aaaa joins, B's bbbb now follows it.
    std::fs::write(m.join("aaaa_item_notes.rs"), A_FILE).unwrap();
    std::fs::write(m.join("bbbb_labels.rs"), b_file("aaaa")).unwrap();
    build(&dir);
    for (db, fresh) in &dbs {
        let d = db.dialect;
        let (_, err) = expect(&dir, &db.url, &["upgrade", "head"], 1);
        assert!(
            err.contains("revision aaaa (position 2) lies before the current revision bbbb"),
            "{d}: {err}"
        );
        assert!(err.contains("migrate upgrade --out-of-order"), "{d}: {err}");
        let (_, err) = expect(&dir, &db.url, &["check"], 1);
        assert!(err.contains("aaaa"), "{d}: {err}");
        let (out, _) = expect(&dir, &db.url, &["current"], 0);
        assert!(out.contains("aaaa (not applied"), "{d}: {out}");

        let (_, err) = expect(&dir, &db.url, &["upgrade", "head", "--out-of-order"], 0);
        assert!(
            err.contains("Running upgrade 0900 -> aaaa, item notes"),
            "{d}: {err}"
        );
        assert!(
            !err.contains("-> bbbb"),
            "{d}: bbbb ran once, before: {err}"
        );
        let (_, err) = expect(&dir, &db.url, &["check"], 0);
        // This fixture has no src/schema.rs: check says it compared no models.
        assert!(err.contains("so no models were compared"), "{d}: {err}");

        // The schema of a database that ran the chain in order; no row lost.
        expect(&dir, &fresh.url, &["upgrade", "head"], 0);
        let mut conn = db.connect();
        let mut f = fresh.connect();
        let got = schema(&mut conn, "alembic_version").unwrap();
        let want = schema(&mut f, "alembic_version").unwrap();
        assert_eq!(got.diff(&want), Vec::<String>::new(), "{d}");
        assert_eq!(
            rows(&mut conn, "SELECT name AS v FROM items"),
            [Some("kept".to_owned())]
        );
        assert_eq!(
            rows(&mut conn, "SELECT label AS v FROM labels"),
            [Some("kept too".to_owned())]
        );
    }

    // Comments, formatting and the message of an applied migration: the same code.
    std::fs::write(m.join("aaaa_item_notes.rs"), A_REFORMATTED).unwrap();
    build(&dir);
    for (db, _) in &dbs {
        let (_, err) = expect(&dir, &db.url, &["upgrade", "head"], 0);
        assert!(err.contains("nothing to do"), "{}: {err}", db.dialect);
        expect(&dir, &db.url, &["check"], 0);
    }

    // A literal edited: refused by upgrade and check until accepted.
    std::fs::write(
        m.join("aaaa_item_notes.rs"),
        A_REFORMATTED.replace("length(200)", "length(300)"),
    )
    .unwrap();
    build(&dir);
    for (db, _) in &dbs {
        let d = db.dialect;
        for cmd in [&["upgrade", "head"][..], &["check"][..]] {
            let (_, err) = expect(&dir, &db.url, cmd, 1);
            assert!(
                err.contains("revision aaaa was edited after it was applied"),
                "{d} {cmd:?}: {err}"
            );
            assert!(err.contains("migrate accept aaaa"), "{d}: {err}");
        }
        let (_, err) = expect(&dir, &db.url, &["accept", "aaaa", "--by", "reviewer"], 0);
        assert!(err.contains("reviewed by reviewer"), "{d}: {err}");
        expect(&dir, &db.url, &["check"], 0);
        let (out, _) = expect(&dir, &db.url, &["history", "-i", "-v"], 0);
        assert!(out.contains("checksum accepted at"), "{d}: {out}");
        assert!(out.contains("by reviewer"), "{d}: {out}");

        // Down to base, undoing in the reverse of the order things ran here.
        let (_, err) = expect(&dir, &db.url, &["downgrade", "base"], 0);
        let a = err.find("Running downgrade aaaa -> 0900").expect(&err);
        let b = err.find("Running downgrade bbbb -> aaaa").expect(&err);
        let base = err.find("Running downgrade 0900 -> ").expect(&err);
        assert!(a < b && b < base, "{d}: {err}");
        let mut conn = db.connect();
        assert!(
            schema(&mut conn, "alembic_version")
                .unwrap()
                .tables
                .is_empty(),
            "{d}"
        );
    }
}
