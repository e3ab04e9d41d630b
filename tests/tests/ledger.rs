//! The ledger on real databases: edited migrations, revisions that never ran
//! below the current one, half-applied migrations, adoption, offline scripts.

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use migrate_runtime::prelude::*;
use migrate_runtime::testing::schema;
use migrate_runtime::{AnyConnection, LedgerState, Migrator};
use migrate_tests::{all_backends, table_exists, TestDb};

fn table(op: &mut Op, name: &str) {
    op.create_table(name)
        .column(col::<Integer>("id").primary_key());
}

fn up1(op: &mut Op) -> Result<()> {
    table(op, "t1");
    Ok(())
}
fn down1(op: &mut Op) -> Result<()> {
    op.drop_table("t1");
    Ok(())
}
fn up2(op: &mut Op) -> Result<()> {
    table(op, "t2");
    Ok(())
}
fn down2(op: &mut Op) -> Result<()> {
    op.drop_table("t2");
    Ok(())
}
fn up3(op: &mut Op) -> Result<()> {
    table(op, "t3");
    Ok(())
}
fn down3(op: &mut Op) -> Result<()> {
    op.drop_table("t3");
    Ok(())
}

fn steps(s: &[migrate_runtime::Step]) -> Vec<&str> {
    s.iter().map(|s| s.to.unwrap_or("base")).collect()
}

fn reverted(s: &[migrate_runtime::Step]) -> Vec<&str> {
    s.iter().map(|s| s.from.unwrap_or("base")).collect()
}

#[test]
fn an_edited_applied_migration_is_refused_until_accepted() {
    let applied = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)).with_checksum("v1:one"),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)).with_checksum("v1:two"),
    ])
    .unwrap();
    let edited = Chain::new(vec![
        Migration::new("r1", None, "one, reworded", up1, Some(down1)).with_checksum("v1:one"),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)).with_checksum("v1:TWO"),
    ])
    .unwrap();
    for db in all_backends("ledger_edit") {
        let d = db.dialect;
        let mut conn = db.connect();
        Migrator::new(&applied).upgrade(&mut conn, "head").unwrap();
        let e = Migrator::new(&edited)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(
            matches!(&e, Error::Edited { revision, .. } if revision == "r2"),
            "{d}: {e}"
        );
        let text = format!("{e:?}");
        assert!(
            text.contains("revision r2 was edited after it was applied"),
            "{d}: {text}"
        );
        // When it was applied, as the ledger's fast read has it: a date.
        let when = text
            .split_once("applied to this database (")
            .and_then(|(_, rest)| rest.split_once(" UTC)"))
            .map(|(at, _)| at.to_owned())
            .unwrap_or_default();
        assert!(
            when.len() == 19 && when.starts_with("20") && when.as_bytes()[10] == b' ',
            "{d}: when it was applied: {text}"
        );
        assert!(
            text.contains("`migrate accept r2`"),
            "{d}: the command that accepts it: {text}"
        );
        assert!(
            Migrator::new(&edited).verify(&mut conn).is_err(),
            "{d}: check fails too"
        );

        assert!(
            Migrator::new(&edited)
                .accept(&mut conn, "r2", "tester")
                .unwrap(),
            "{d}"
        );
        Migrator::new(&edited).verify(&mut conn).unwrap();
        assert!(Migrator::new(&edited)
            .upgrade(&mut conn, "head")
            .unwrap()
            .is_empty());
        let ledger = Migrator::new(&edited).ledger(&mut conn).unwrap();
        let r2 = ledger.iter().find(|e| e.revision == "r2").unwrap();
        assert_eq!(r2.checksum.as_deref(), Some("v1:TWO"), "{d}");
        let note = r2.note.as_deref().unwrap_or_default();
        assert!(
            note.contains("by tester") && note.contains("was v1:two"),
            "{d}: {note}"
        );
        assert!(
            !Migrator::new(&edited)
                .accept(&mut conn, "r2", "tester")
                .unwrap(),
            "{d}: nothing left to accept"
        );
    }
}

#[test]
fn a_revision_that_never_ran_below_the_current_one_is_refused_then_applied_and_undone_first() {
    // Developer B's r3 was applied on top of r1; after the merge it follows A's r2.
    let before = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r3", Some("r1"), "three", up3, Some(down3)),
    ])
    .unwrap();
    let merged = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)),
        Migration::new("r3", Some("r2"), "three", up3, Some(down3)),
    ])
    .unwrap();
    for db in all_backends("ledger_order") {
        let d = db.dialect;
        let mut conn = db.connect();
        Migrator::new(&before).upgrade(&mut conn, "head").unwrap();

        let e = Migrator::new(&merged)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        let text = format!("{e:?}");
        assert!(matches!(e, Error::OutOfOrder { .. }), "{d}: {text}");
        assert!(
            text.contains("revision r2 (position 2) lies before the current revision r3"),
            "{d}: {text}"
        );
        assert!(text.contains("--out-of-order"), "{d}: {text}");
        assert!(!table_exists(&mut conn, "t2"), "{d}: nothing ran");
        assert!(
            Migrator::new(&merged).verify(&mut conn).is_err(),
            "{d}: check fails"
        );
        assert!(
            !Migrator::new(&merged).is_at_head(&mut conn).unwrap(),
            "{d}"
        );

        let ran = Migrator::new(&merged)
            .out_of_order(true)
            .upgrade(&mut conn, "head")
            .unwrap();
        assert_eq!(steps(&ran), ["r2"], "{d}");
        assert!(Migrator::new(&merged).is_at_head(&mut conn).unwrap(), "{d}");
        let order: Vec<String> = Migrator::new(&merged)
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(order, ["r1", "r3", "r2"], "{d}: in the order they ran");

        // The same schema as a database that ran the chain in order.
        let fresh = fresh_like(&db);
        let mut f = fresh.connect();
        Migrator::new(&merged).upgrade(&mut f, "head").unwrap();
        assert_eq!(
            schema(&mut conn, "alembic_version")
                .unwrap()
                .diff(&schema(&mut f, "alembic_version").unwrap()),
            Vec::<String>::new(),
            "{d}"
        );

        // `-1` undoes the migration that ran last here (r2), not the chain's
        // last (r3): the database is back where it was before r2 ran.
        let undone = Migrator::new(&merged).downgrade(&mut conn, "-1").unwrap();
        assert_eq!(reverted(&undone), ["r2"], "{d}");
        assert!(!table_exists(&mut conn, "t2"), "{d}");
        assert!(table_exists(&mut conn, "t3"), "{d}");
        assert_eq!(
            Migrator::new(&merged)
                .current(&mut conn)
                .unwrap()
                .as_deref(),
            Some("r3"),
            "{d}"
        );
        let e = Migrator::new(&merged)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(matches!(e, Error::OutOfOrder { .. }), "{d}: {e}");
        let e = Migrator::new(&merged)
            .downgrade(&mut conn, "-3")
            .unwrap_err();
        assert!(e.to_string().contains("only 2 applied"), "{d}: {e}");
        Migrator::new(&merged)
            .out_of_order(true)
            .upgrade(&mut conn, "head")
            .unwrap();

        let undone = Migrator::new(&merged).downgrade(&mut conn, "base").unwrap();
        assert_eq!(
            reverted(&undone),
            ["r2", "r3", "r1"],
            "{d}: the reverse of the order they ran"
        );
        assert!(
            schema(&mut conn, "alembic_version")
                .unwrap()
                .tables
                .is_empty(),
            "{d}"
        );
        assert_eq!(
            Migrator::new(&merged).current(&mut conn).unwrap(),
            None,
            "{d}"
        );
    }
}

/// Another empty database on the same server as `db`.
fn fresh_like(db: &TestDb) -> TestDb {
    match db.dialect {
        Dialect::Sqlite => migrate_tests::sqlite("fresh"),
        Dialect::Postgres => migrate_tests::postgres("fresh").expect("configured"),
        Dialect::Mysql => migrate_tests::mysql("fresh").expect("configured"),
    }
}

/// Makes operation 4 of `five_ops` fail.
static FAIL_FOURTH: AtomicBool = AtomicBool::new(false);

fn five_ops(op: &mut Op) -> Result<()> {
    table(op, "f1");
    table(op, "f2");
    table(op, "f3");
    if FAIL_FOURTH.load(Ordering::SeqCst) {
        op.execute("INSERT INTO no_such_table VALUES (1)");
    } else {
        table(op, "f4");
    }
    table(op, "f5");
    Ok(())
}

fn drop_five(op: &mut Op) -> Result<()> {
    for t in ["f5", "f4", "f3", "f2", "f1"] {
        op.drop_table(t);
    }
    Ok(())
}

#[test]
fn a_migration_that_fails_midway_without_a_transaction_resumes_where_it_stopped() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "five tables", five_ops, Some(drop_five)),
    ])
    .unwrap();
    for db in all_backends("ledger_resume") {
        let d = db.dialect;
        let mut conn = db.connect();
        FAIL_FOURTH.store(true, Ordering::SeqCst);
        let e = Migrator::new(&chain)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(
            format!("{e}").contains("failed at operation 4 of 5"),
            "{d}: {e}"
        );
        let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
        let half = ledger.iter().find(|e| e.revision == "r2");
        if d == Dialect::Mysql {
            // DDL committed as it ran; the ledger knows how far.
            assert!(
                table_exists(&mut conn, "f3") && !table_exists(&mut conn, "f4"),
                "{d}"
            );
            let half = half.expect("a row for the half-applied migration");
            assert_eq!(
                (half.state, half.ops_done, half.ops_total),
                (LedgerState::Upgrading, 3, 5),
                "{d}"
            );
            assert!(
                half.note
                    .as_deref()
                    .unwrap_or_default()
                    .contains("no_such_table"),
                "{d}"
            );
            // Reverting what lies below it would leave it stranded: refused, nothing changed.
            let e = Migrator::new(&chain)
                .downgrade(&mut conn, "base")
                .unwrap_err();
            let text = format!("{e:?}");
            assert!(matches!(e, Error::HalfApplied(_)), "{d}: {text}");
            assert!(
                text.contains("stopped after 3 of 5 operations"),
                "{d}: {text}"
            );
            assert!(text.contains("resumes at operation 4"), "{d}: {text}");
            assert!(
                text.contains("create_table f1, create_table f2, create_table f3"),
                "{d}: {text}"
            );
            assert!(table_exists(&mut conn, "t1"), "{d}");
            assert!(!Migrator::new(&chain).is_at_head(&mut conn).unwrap(), "{d}");
        } else {
            assert!(!table_exists(&mut conn, "f1"), "{d}: rolled back");
            assert!(half.is_none(), "{d}");
        }
        // Fixed and run again: it completes, without "already exists".
        FAIL_FOURTH.store(false, Ordering::SeqCst);
        let ran = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        assert_eq!(steps(&ran), ["r2"], "{d}");
        for t in ["f1", "f2", "f3", "f4", "f5"] {
            assert!(table_exists(&mut conn, t), "{d}: {t}");
        }
        let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
        let r2 = ledger.iter().find(|e| e.revision == "r2").unwrap();
        assert_eq!((r2.state, r2.ops_done), (LedgerState::Applied, 5), "{d}");
        assert!(r2.duration.is_some() && r2.note.is_none(), "{d}");
        Migrator::new(&chain).downgrade(&mut conn, "base").unwrap();
        assert!(
            !table_exists(&mut conn, "f1") && !table_exists(&mut conn, "t1"),
            "{d}"
        );
    }
}

#[test]
fn a_database_with_only_the_version_table_is_adopted() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)).with_checksum("v1:one"),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)).with_checksum("v1:two"),
        Migration::new("r3", Some("r2"), "three", up3, Some(down3)).with_checksum("v1:three"),
    ])
    .unwrap();
    for db in all_backends("ledger_adopt") {
        let d = db.dialect;
        let mut conn = db.connect();
        // What Alembic (or an older build) leaves: the tables and its version row.
        conn.execute("CREATE TABLE t1 (id INTEGER PRIMARY KEY)")
            .unwrap();
        conn.execute("CREATE TABLE t2 (id INTEGER PRIMARY KEY)")
            .unwrap();
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            .unwrap();
        conn.execute("INSERT INTO alembic_version (version_num) VALUES ('r2')")
            .unwrap();
        assert!(
            Migrator::new(&chain).ledger(&mut conn).unwrap().is_empty(),
            "{d}"
        );
        Migrator::new(&chain).current(&mut conn).unwrap();
        Migrator::new(&chain).verify(&mut conn).unwrap();
        assert!(!Migrator::new(&chain).is_at_head(&mut conn).unwrap(), "{d}");
        Migrator::new(&chain).script(d, "base", "head").unwrap();
        assert!(
            !table_exists(&mut conn, "alembic_version_log"),
            "{d}: read-only commands create no ledger"
        );

        let ran = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        assert_eq!(steps(&ran), ["r3"], "{d}");
        let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
        let states: Vec<(&str, LedgerState)> = ledger
            .iter()
            .map(|e| (e.revision.as_str(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("r1", LedgerState::Adopted),
                ("r2", LedgerState::Adopted),
                ("r3", LedgerState::Applied)
            ],
            "{d}"
        );
        assert!(ledger[0]
            .note
            .as_deref()
            .unwrap_or_default()
            .contains("version table was at r2"));
        // Adopted rows carry the code's checksum at adoption: later edits are seen.
        assert_eq!(ledger[1].checksum.as_deref(), Some("v1:two"), "{d}");
        assert_eq!(ledger[2].parent.as_deref(), Some("r2"), "{d}");
        assert!(!ledger[2].applied_at.is_empty(), "{d}");

        // Stamping keeps the ledger in step: below the target applied, above not.
        Migrator::new(&chain).stamp(&mut conn, "r1", false).unwrap();
        let revs: Vec<String> = Migrator::new(&chain)
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(revs, ["r1"], "{d}");
    }
}

#[test]
fn empty_version_rows_are_errors_not_base() {
    let chain = Chain::new(vec![Migration::new("r1", None, "one", up1, Some(down1))]).unwrap();
    for db in all_backends("ledger_empty_row") {
        let d = db.dialect;
        let mut conn = db.connect();
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            .unwrap();
        conn.execute("INSERT INTO alembic_version (version_num) VALUES ('')")
            .unwrap();
        for e in [
            Migrator::new(&chain).current(&mut conn).unwrap_err(),
            Migrator::new(&chain)
                .upgrade(&mut conn, "head")
                .unwrap_err(),
        ] {
            assert!(matches!(e, Error::BadVersionRow { .. }), "{d}: {e}");
            assert!(format!("{e:?}").contains("stamp"), "{d}: {e:?}");
        }
        assert!(!table_exists(&mut conn, "t1"), "{d}");
    }
    // A hand-made version table without NOT NULL can even hold a NULL.
    let db = migrate_tests::sqlite("ledger_null_row");
    let mut conn = db.connect();
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32))")
        .unwrap();
    conn.execute("INSERT INTO alembic_version VALUES (NULL)")
        .unwrap();
    let e = Migrator::new(&chain).current(&mut conn).unwrap_err();
    assert!(
        e.to_string().contains("holds NULL instead of a revision"),
        "{e}"
    );
}

fn with_data_step(op: &mut Op) -> Result<()> {
    op.add_column("t1", col::<Nullable<Text>>("name"));
    op.run("backfill names", |conn| {
        conn.execute("UPDATE t1 SET name = 'x'")
    });
    Ok(())
}

fn drop_name(op: &mut Op) -> Result<()> {
    op.drop_column("t1", "name");
    Ok(())
}

#[test]
fn offline_scripts_refuse_data_steps_unless_told_to_skip_them() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "names", with_data_step, Some(drop_name)),
    ])
    .unwrap();
    for d in Dialect::ALL {
        let e = Migrator::new(&chain).script(d, "base", "head").unwrap_err();
        assert!(
            matches!(&e, Error::DataStepsOffline(revs) if revs == &["r2"]),
            "{d}: {e}"
        );
        assert!(format!("{e:?}").contains("--skip-data-steps"), "{d}");
        let s = Migrator::new(&chain)
            .skip_data_steps(true)
            .script(d, "base", "head")
            .unwrap();
        assert!(
            s.contains("-- SKIPPED DATA STEP op.run(\"backfill names\") of r2"),
            "{d}: {s}"
        );
    }
}

fn bad_sql(op: &mut Op) -> Result<()> {
    op.execute("THIS IS NOT SQL");
    Ok(())
}

fn noop(_: &mut Op) -> Result<()> {
    Ok(())
}

/// Feeds `script` to the dialect's own client; returns whether it succeeded.
fn run_client(db: &TestDb, script: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.sql");
    std::fs::write(&file, script).unwrap();
    let input = std::fs::File::open(&file).unwrap();
    let mut cmd = match db.dialect {
        Dialect::Sqlite => {
            // sqlite:////abs/path: the path is what follows the third slash.
            let path = db.url.trim_start_matches("sqlite:///");
            let mut c = Command::new("sqlite3");
            c.arg(path);
            c
        }
        Dialect::Postgres => {
            let mut c = Command::new("psql");
            c.args(["-q", "-X", &db.url]);
            c
        }
        Dialect::Mysql => {
            // mysql://user@host:port/db
            let rest = db.url.trim_start_matches("mysql://");
            let (auth, rest) = rest.split_once('@').unwrap();
            let (hostport, name) = rest.split_once('/').unwrap();
            let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
            let mut c = Command::new("mariadb");
            c.args(["--no-defaults", "-h", host, "-P", port, "-u", auth, name]);
            c
        }
    };
    let out = cmd
        .stdin(input)
        .output()
        .expect("the database's client runs");
    out.status.success()
}

#[test]
fn offline_scripts_stop_at_the_first_error_in_every_client() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "broken", bad_sql, Some(noop)),
        Migration::new("r3", Some("r2"), "three", up3, Some(down3)),
    ])
    .unwrap();
    for db in all_backends("ledger_script_stops") {
        let d = db.dialect;
        let script = Migrator::new(&chain).script(d, "base", "head").unwrap();
        assert!(
            !run_client(&db, &script),
            "{d}: the client reports the failure"
        );
        let mut conn = db.connect();
        assert!(table_exists(&mut conn, "t1"), "{d}: what came before ran");
        assert!(
            !table_exists(&mut conn, "t3"),
            "{d}: nothing after the error ran"
        );
        assert_eq!(
            Migrator::new(&chain).current(&mut conn).unwrap().as_deref(),
            Some("r1"),
            "{d}"
        );
        // The script kept the ledger as an online run would.
        let revs: Vec<String> = Migrator::new(&chain)
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(revs, ["r1"], "{d}");
    }
}

/// Makes operation 4 of `no_tx_ops` fail; the tests that set it hold `NO_TX`.
static FAIL_NO_TX: AtomicBool = AtomicBool::new(false);
static NO_TX: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn with_n(op: &mut Op) -> Result<()> {
    op.create_table("t1")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Integer>>("n"));
    Ok(())
}

fn no_tx_ops(op: &mut Op) -> Result<()> {
    table(op, "g1");
    // A table rebuild on SQLite: its record must commit with it.
    op.alter_column("t1", "n").nullable(false);
    table(op, "g2");
    if FAIL_NO_TX.load(Ordering::SeqCst) {
        op.execute("INSERT INTO no_such_table VALUES (1)");
    } else {
        table(op, "g3");
    }
    table(op, "g4");
    Ok(())
}

fn no_tx_ops_one_more_before(op: &mut Op) -> Result<()> {
    table(op, "g0");
    no_tx_ops(op)
}

fn drop_no_tx(op: &mut Op) -> Result<()> {
    for t in ["g4", "g3", "g2", "g1"] {
        op.drop_table(t);
    }
    Ok(())
}

#[test]
fn a_migration_without_a_transaction_resumes_on_every_database() {
    let _g = NO_TX.lock().unwrap_or_else(|e| e.into_inner());
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", with_n, Some(down1)),
        Migration::new(
            "r2",
            Some("r1"),
            "no transaction",
            no_tx_ops,
            Some(drop_no_tx),
        )
        .with_transaction(false),
    ])
    .unwrap();
    let changed = Chain::new(vec![
        Migration::new("r1", None, "one", with_n, Some(down1)),
        Migration::new(
            "r2",
            Some("r1"),
            "no transaction",
            no_tx_ops_one_more_before,
            Some(drop_no_tx),
        )
        .with_transaction(false),
    ])
    .unwrap();
    for db in all_backends("ledger_no_tx") {
        let d = db.dialect;
        let mut conn = db.connect();
        FAIL_NO_TX.store(true, Ordering::SeqCst);
        Migrator::new(&chain)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(
            table_exists(&mut conn, "g2") && !table_exists(&mut conn, "g3"),
            "{d}"
        );
        let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
        let r2 = ledger
            .iter()
            .find(|e| e.revision == "r2")
            .expect("r2's row");
        assert_eq!((r2.state, r2.ops_done), (LedgerState::Upgrading, 3), "{d}");
        let out = format!("{:?}", Migrator::new(&chain).verify(&mut conn).unwrap_err());
        assert!(out.contains("half-applied"), "{d}: {out}");
        // An operation added before the failure point: where it stopped means nothing now.
        FAIL_NO_TX.store(false, Ordering::SeqCst);
        let e = Migrator::new(&changed)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::ResumeChanged {
                    done: 3,
                    was: 5,
                    now: 6,
                    ..
                }
            ),
            "{d}: {e}"
        );
        let ran = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        assert_eq!(
            steps(&ran),
            ["r2"],
            "{d}: resumed without \"already exists\""
        );
        assert!(table_exists(&mut conn, "g4"), "{d}");
        let nulls = conn
            .query_text("SELECT CAST(COUNT(*) AS CHAR(10)) AS v FROM t1 WHERE n IS NULL")
            .unwrap();
        assert_eq!(nulls[0].as_deref().map(str::trim), Some("0"), "{d}");
        Migrator::new(&chain).verify(&mut conn).unwrap();
    }
}

#[test]
fn forget_clears_a_half_applied_migration_undone_by_hand() {
    let _g = NO_TX.lock().unwrap_or_else(|e| e.into_inner());
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", with_n, Some(down1)),
        Migration::new(
            "r2",
            Some("r1"),
            "no transaction",
            no_tx_ops,
            Some(drop_no_tx),
        )
        .with_transaction(false),
    ])
    .unwrap();
    // SQLite: the same path as MySQL's DDL, through `transaction = false`.
    let db = migrate_tests::sqlite("ledger_forget");
    let mut conn = db.connect();
    FAIL_NO_TX.store(true, Ordering::SeqCst);
    Migrator::new(&chain)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    FAIL_NO_TX.store(false, Ordering::SeqCst);
    let e = Migrator::new(&chain)
        .downgrade(&mut conn, "base")
        .unwrap_err();
    assert!(format!("{e:?}").contains("`migrate forget r2`"), "{e:?}");
    assert!(
        Migrator::new(&chain).forget(&mut conn, "r1").is_err(),
        "r1 is not half-applied"
    );
    // Undone by hand, then forgotten: the next upgrade runs it from the start.
    conn.execute("DROP TABLE g1").unwrap();
    conn.execute("DROP TABLE g2").unwrap();
    Migrator::new(&chain).forget(&mut conn, "r2").unwrap();
    assert!(Migrator::new(&chain)
        .ledger(&mut conn)
        .unwrap()
        .iter()
        .all(|e| e.revision != "r2"));
    Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
    assert!(table_exists(&mut conn, "g4"));
}

#[test]
fn the_ledger_follows_a_version_table_another_tool_moved() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)),
        Migration::new("r3", Some("r2"), "three", up3, Some(down3)),
    ])
    .unwrap();
    for db in all_backends("ledger_stale") {
        let d = db.dialect;
        let mut conn = db.connect();
        Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        // Another tool (Alembic, a hand-made script) reverted r3 and r2.
        conn.execute("DROP TABLE t3").unwrap();
        conn.execute("DROP TABLE t2").unwrap();
        conn.execute("UPDATE alembic_version SET version_num = 'r1'")
            .unwrap();
        assert!(!Migrator::new(&chain).is_at_head(&mut conn).unwrap(), "{d}");
        Migrator::new(&chain).verify(&mut conn).unwrap();
        let ran = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        assert_eq!(
            steps(&ran),
            ["r2", "r3"],
            "{d}: applied again, not \"nothing to do\""
        );

        // And the other way: it applied r3's change and moved the version up.
        Migrator::new(&chain).downgrade(&mut conn, "r2").unwrap();
        table_by_hand(&mut conn, "t3");
        conn.execute("UPDATE alembic_version SET version_num = 'r3'")
            .unwrap();
        Migrator::new(&chain).verify(&mut conn).unwrap();
        assert!(Migrator::new(&chain).is_at_head(&mut conn).unwrap(), "{d}");
        assert!(
            Migrator::new(&chain)
                .upgrade(&mut conn, "head")
                .unwrap()
                .is_empty(),
            "{d}"
        );
        let r3 = Migrator::new(&chain)
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .find(|e| e.revision == "r3");
        assert_eq!(r3.map(|e| e.state), Some(LedgerState::Adopted), "{d}");
    }
}

fn table_by_hand(conn: &mut AnyConnection, name: &str) {
    conn.execute(&format!(
        "CREATE TABLE {name} (id INTEGER NOT NULL PRIMARY KEY)"
    ))
    .unwrap();
}

#[test]
fn a_script_that_starts_above_base_records_what_lies_below() {
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "two", up2, Some(down2)),
        Migration::new("r3", Some("r2"), "three", up3, Some(down3)),
    ])
    .unwrap();
    for db in all_backends("ledger_script_above_base") {
        let d = db.dialect;
        let mut conn = db.connect();
        // A database some other tool brought to r1: no ledger.
        table_by_hand(&mut conn, "t1");
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
            .unwrap();
        conn.execute("INSERT INTO alembic_version (version_num) VALUES ('r1')")
            .unwrap();
        let script = Migrator::new(&chain).script(d, "r1", "head").unwrap();
        assert!(run_client(&db, &script), "{d}: the script runs");
        Migrator::new(&chain).verify(&mut conn).unwrap();
        assert!(Migrator::new(&chain).is_at_head(&mut conn).unwrap(), "{d}");
        let states: Vec<(String, LedgerState)> = Migrator::new(&chain)
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .map(|e| (e.revision, e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("r1".to_owned(), LedgerState::Adopted),
                ("r2".to_owned(), LedgerState::Applied),
                ("r3".to_owned(), LedgerState::Applied)
            ],
            "{d}"
        );
    }
}

#[test]
fn without_its_run_lock_a_migration_without_a_transaction_is_refused() {
    fn plain(op: &mut Op) -> Result<()> {
        table(op, "p1");
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("r1", None, "one", up1, Some(down1)),
        Migration::new("r2", Some("r1"), "no transaction", plain, Some(noop))
            .with_transaction(false),
    ])
    .unwrap();
    let db = migrate_tests::sqlite("ledger_no_lock");
    let path = db.url.trim_start_matches("sqlite:///").to_owned();
    // A lock file that cannot be opened (a directory in its place).
    std::fs::create_dir(format!("{path}-migrate.lock")).unwrap();
    let mut conn = db.connect();
    let ran = Migrator::new(&chain).upgrade(&mut conn, "r1").unwrap();
    assert_eq!(
        steps(&ran),
        ["r1"],
        "a transactional migration is safe with the write lock"
    );
    let e = Migrator::new(&chain)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(matches!(e, Error::NoRunLock { .. }), "{e}");
    assert!(
        e.to_string().contains("-migrate.lock could not be taken"),
        "{e}"
    );
    assert!(!table_exists(&mut conn, "p1"));
}

thread_local! {
    /// `seven_ops` puts a failing statement after its operation N (0-based).
    static FAIL_AFTER: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn with_ab(op: &mut Op) -> Result<()> {
    op.create_table("k1")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Integer>>("a"))
        .column(col::<Nullable<Integer>>("b"));
    Ok(())
}

fn drop_k1(op: &mut Op) -> Result<()> {
    op.drop_table("k1");
    Ok(())
}

/// Seven operations, each of a kind whose effect can be seen in the schema.
fn seven_ops(op: &mut Op) -> Result<()> {
    let fail = FAIL_AFTER.with(std::cell::Cell::get);
    for k in 0..7 {
        match k {
            0 => {
                op.create_table("k2")
                    .column(col::<Integer>("id").primary_key());
            }
            1 => op.add_column("k1", col::<Nullable<Integer>>("c")),
            2 => op.drop_column("k1", "b"),
            3 => {
                op.create_index("ix_k1_a", "k1", ["a"]);
            }
            4 => op.rename_table("k2", "k3"),
            5 => {
                op.alter_column("k1", "c").rename_to("c2");
            }
            _ => op.drop_index("ix_k1_a", "k1"),
        }
        if fail == Some(k) {
            op.execute("INSERT INTO no_such_table VALUES (1)");
        }
    }
    Ok(())
}

fn seven_chain() -> Chain {
    Chain::new(vec![
        Migration::new("r1", None, "one", with_ab, Some(drop_k1)),
        Migration::new("r2", Some("r1"), "seven", seven_ops, Some(noop)).with_transaction(false),
    ])
    .unwrap()
}

/// Runs `seven_ops` with a failure after operation `k`, then makes the ledger
/// say what a run killed at that moment says: `done` operations recorded and
/// no note of a failure (`note`: one, as a failed run writes).
fn leave_interrupted(db: &TestDb, k: usize, done: usize, note: Option<&str>) -> AnyConnection {
    let mut conn = db.connect();
    FAIL_AFTER.with(|f| f.set(Some(k)));
    let failed = Migrator::new(&seven_chain()).upgrade(&mut conn, "head");
    FAIL_AFTER.with(|f| f.set(None));
    assert!(failed.is_err(), "{}", db.dialect);
    let note = note.map_or_else(|| "NULL".to_owned(), |n| format!("'{n}'"));
    conn.execute(&format!(
        "UPDATE alembic_version_log SET ops_done = {done}, done_digest = NULL, note = {note} \
         WHERE revision = 'r2'"
    ))
    .unwrap();
    conn
}

fn resumed(conn: &mut AnyConnection) -> (Result<Vec<migrate_runtime::Step>>, Vec<String>) {
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = lines.clone();
    let out = Migrator::new(&seven_chain())
        .on_progress(move |l| seen.borrow_mut().push(l.to_owned()))
        .upgrade(conn, "head");
    let lines = lines.borrow().clone();
    (out, lines)
}

fn has_column(conn: &mut AnyConnection, column: &str) -> bool {
    conn.query_text(&format!("SELECT {column} AS v FROM k1"))
        .is_ok()
}

#[test]
fn an_operation_that_took_effect_before_an_interrupted_run_recorded_it_is_not_run_again() {
    // A kill (or a Galera node lost) after operation k+1 committed and before
    // the ledger recorded it: re-run, `DROP COLUMN b` would fail on a column
    // already gone, `CREATE TABLE k2` on a table already there.
    for k in 0..7 {
        for db in all_backends(&format!("ledger_unrecorded_{k}")) {
            let d = db.dialect;
            let mut conn = leave_interrupted(&db, k, k, None);
            let (out, lines) = resumed(&mut conn);
            let ran = out.unwrap_or_else(|e| panic!("{d}, operation {}: {e}", k + 1));
            assert_eq!(steps(&ran), ["r2"], "{d}");
            let seen = format!("operation {} of 7", k + 1);
            assert!(
                lines
                    .iter()
                    .any(|l| l.contains(&seen) && l.contains("not run again")),
                "{d}: {lines:?}"
            );
            assert!(
                table_exists(&mut conn, "k3") && !table_exists(&mut conn, "k2"),
                "{d}"
            );
            assert!(
                has_column(&mut conn, "c2") && !has_column(&mut conn, "b"),
                "{d}"
            );
            let ledger = Migrator::new(&seven_chain()).ledger(&mut conn).unwrap();
            let r2 = ledger.iter().find(|e| e.revision == "r2").expect("r2");
            assert_eq!((r2.state, r2.ops_done), (LedgerState::Applied, 7), "{d}");
        }
    }
}

#[test]
fn a_resumed_operation_is_judged_by_the_schema_only_after_an_interruption() {
    for db in all_backends("ledger_unrecorded_failed") {
        let d = db.dialect;
        // A run that failed at operation 3 says so in its note: operation 3
        // did not take effect, and runs again (here it fails: the column is
        // gone, as a user who dropped it by hand would see).
        let mut conn = leave_interrupted(&db, 2, 2, Some("it failed"));
        let (out, lines) = resumed(&mut conn);
        let e = out.unwrap_err().to_string();
        assert!(e.contains("operation 3 of 7"), "{d}: {e}");
        assert!(lines.is_empty(), "{d}: {lines:?}");
        // The next run finds that note cleared, reads the error as its own,
        // and... the same failure again, written down again.
        let ledger = Migrator::new(&seven_chain()).ledger(&mut conn).unwrap();
        let r2 = ledger.iter().find(|e| e.revision == "r2").expect("r2");
        assert!(
            r2.note
                .as_deref()
                .is_some_and(|n| n.contains("operation 3")),
            "{d}: {r2:?}"
        );
    }
    for db in all_backends("ledger_unrecorded_not_done") {
        let d = db.dialect;
        // Interrupted before operation 4 took effect: it is not there, so it runs.
        let mut conn = leave_interrupted(&db, 2, 3, None);
        let (out, lines) = resumed(&mut conn);
        assert_eq!(steps(&out.unwrap()), ["r2"], "{d}");
        assert!(lines.is_empty(), "{d}: {lines:?}");
        assert!(table_exists(&mut conn, "k3"), "{d}");
    }
}

#[test]
fn an_index_left_invalid_by_a_cut_short_build_is_not_taken_for_done() {
    let Some(db) = migrate_tests::postgres("ledger_invalid_index") else {
        return;
    };
    // Operations 1-3 recorded, operation 4 (CREATE INDEX ix_k1_a) in doubt.
    let mut conn = leave_interrupted(&db, 2, 3, None);
    // What a CREATE INDEX CONCURRENTLY cut short leaves: an invalid index
    // of that name (here: a unique build that met duplicates).
    conn.execute("INSERT INTO k1 (id, a) VALUES (1, 7), (2, 7)")
        .unwrap();
    assert!(conn
        .execute("CREATE UNIQUE INDEX CONCURRENTLY ix_k1_a ON k1 (a)")
        .is_err());
    let (out, lines) = resumed(&mut conn);
    let e = out.unwrap_err().to_string();
    assert!(
        e.contains("operation 4 of 7") && e.contains("ix_k1_a"),
        "{e}"
    );
    assert!(lines.is_empty(), "{lines:?}");
}

/// Blocks the ledger's record of a second completed operation (a trigger on
/// SQLite): the statement commits, its record fails.
fn blocked_record(op: &mut Op) -> Result<()> {
    op.execute(
        "CREATE TRIGGER block_record BEFORE UPDATE ON alembic_version_log \
         WHEN NEW.ops_done >= 2 BEGIN SELECT RAISE(FAIL, 'the ledger is blocked'); END",
    );
    op.create_table("x")
        .column(col::<Integer>("id").primary_key());
    op.create_table("y")
        .column(col::<Integer>("id").primary_key());
    Ok(())
}

#[test]
fn an_operation_whose_record_failed_is_judged_by_the_schema_on_the_next_run() {
    let chain = Chain::new(vec![Migration::new(
        "r1",
        None,
        "blocked",
        blocked_record,
        Some(noop),
    )
    .with_transaction(false)])
    .unwrap();
    let db = migrate_tests::sqlite("ledger_record_failed");
    let mut conn = db.connect();
    let e = Migrator::new(&chain)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(format!("{e:?}").contains("the ledger is blocked"), "{e:?}");
    assert!(table_exists(&mut conn, "x"), "operation 2 committed");
    // Its record failed, so no note claims it failed: the row stays in doubt.
    let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
    let r1 = ledger
        .iter()
        .find(|e| e.revision == "r1")
        .expect("r1's row");
    assert_eq!(
        (r1.state, r1.ops_done, r1.note.as_deref()),
        (LedgerState::Upgrading, 1, None)
    );
    conn.execute("DROP TRIGGER block_record").unwrap();
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let seen = lines.clone();
    let ran = Migrator::new(&chain)
        .on_progress(move |l| seen.borrow_mut().push(l.to_owned()))
        .upgrade(&mut conn, "head")
        .unwrap();
    assert_eq!(steps(&ran), ["r1"]);
    assert!(
        lines
            .borrow()
            .iter()
            .any(|l| l.contains("operation 2 of 3")),
        "{:?}",
        lines.borrow()
    );
    assert!(table_exists(&mut conn, "y"));
}
