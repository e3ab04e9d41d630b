//! The executor on real databases: targets, failures, concurrency, kills, bad input.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use migrate_runtime::{Error, Migrator};
use migrate_tests::{all_backends, applied_counts, counting_chain, inject, table_exists, Faults};

fn rev(m: &Migrator, conn: &mut migrate_runtime::AnyConnection) -> Option<String> {
    m.current(conn).expect("current")
}

#[test]
fn every_kind_of_target_lands_exactly() {
    let chain = counting_chain();
    for db in all_backends("targets") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        let d = db.dialect;
        assert_eq!(rev(&m, &mut conn), None, "{d}");
        assert!(
            !table_exists(&mut conn, "alembic_version"),
            "{d}: read-only commands create nothing"
        );

        assert_eq!(m.upgrade(&mut conn, "+1").unwrap().len(), 1, "{d}");
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r1"), "{d}");
        m.upgrade(&mut conn, "+2").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r3"), "{d}");
        m.upgrade(&mut conn, "r5").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r5"), "{d}");
        m.upgrade(&mut conn, "r5+2").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r7"), "{d}");
        m.upgrade(&mut conn, "head").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r10"), "{d}");
        assert!(m.is_at_head(&mut conn).unwrap());
        assert_eq!(
            m.upgrade(&mut conn, "head").unwrap().len(),
            0,
            "{d}: idempotent"
        );

        m.downgrade(&mut conn, "-1").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r9"), "{d}");
        assert!(!m.is_at_head(&mut conn).unwrap());
        m.downgrade(&mut conn, "-3").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r6"), "{d}");
        m.downgrade(&mut conn, "r2").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r2"), "{d}");
        assert!(
            matches!(
                m.upgrade(&mut conn, "r1"),
                Err(Error::WrongDirection { .. })
            ),
            "{d}"
        );
        assert!(
            matches!(
                m.downgrade(&mut conn, "r4"),
                Err(Error::WrongDirection { .. })
            ),
            "{d}"
        );
        assert!(
            matches!(m.upgrade(&mut conn, "+9"), Err(Error::BadTarget(_))),
            "{d}"
        );
        m.downgrade(&mut conn, "base").unwrap();
        assert_eq!(rev(&m, &mut conn), None, "{d}");
        assert!(!table_exists(&mut conn, "applied"), "{d}");

        m.stamp(&mut conn, "r4", false).unwrap();
        assert_eq!(
            rev(&m, &mut conn).as_deref(),
            Some("r4"),
            "{d}: stamp runs nothing"
        );
        assert!(!table_exists(&mut conn, "t4"), "{d}");
        m.stamp(&mut conn, "base", false).unwrap();
        assert_eq!(rev(&m, &mut conn), None, "{d}");
    }
}

#[test]
fn a_failure_leaves_the_last_good_revision_and_a_rerun_completes() {
    let chain = counting_chain();
    for db in all_backends("fault") {
        let d = db.dialect;
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        let faults = inject(Faults {
            fail_at: 6,
            ..Faults::default()
        });
        let err = m.upgrade(&mut conn, "head").unwrap_err();
        drop(faults);
        let msg = err.to_string();
        assert!(
            msg.contains("upgrade r6 (step 6) failed at operation 2 of 3"),
            "{d}: {msg}"
        );
        assert!(
            msg.contains("no_such_table"),
            "{d}: the database's error is shown: {msg}"
        );
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r5"), "{d}");
        assert_eq!(applied_counts(&mut conn), (5, 5), "{d}");
        if d.transactional_ddl() {
            assert!(!table_exists(&mut conn, "t6"), "{d}: no partial changes");
        } else {
            assert!(
                table_exists(&mut conn, "t6"),
                "{d}: MySQL commits DDL at once"
            );
        }
        m.upgrade(&mut conn, "head").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r10"), "{d}");
        assert_eq!(applied_counts(&mut conn), (10, 10), "{d}");
    }
}

#[test]
fn one_transaction_mode_is_all_or_nothing() {
    let chain = counting_chain();
    for db in all_backends("onetx") {
        if !db.dialect.transactional_ddl() {
            continue;
        }
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain).one_transaction(true);
        let faults = inject(Faults {
            fail_at: 6,
            ..Faults::default()
        });
        assert!(m.upgrade(&mut conn, "head").is_err());
        drop(faults);
        assert_eq!(rev(&m, &mut conn), None, "{}", db.dialect);
        assert!(!table_exists(&mut conn, "t1"));
        m.upgrade(&mut conn, "head").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r10"));
    }
}

#[test]
fn eight_processes_at_once_apply_each_migration_once() {
    for db in all_backends("race") {
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_race"))
                    .arg(&db.url)
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn race")
            })
            .collect();
        let mut applied_lines = 0;
        for c in children {
            let out = c.wait_with_output().expect("wait");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success(),
                "{}: a racer failed: {stderr}",
                db.dialect
            );
            applied_lines += stderr
                .lines()
                .filter(|l| l.starts_with("Running upgrade"))
                .count();
        }
        let mut conn = db.connect();
        assert_eq!(applied_counts(&mut conn), (10, 10), "{}", db.dialect);
        assert_eq!(
            applied_lines, 10,
            "{}: each migration reported once across all processes",
            db.dialect
        );
        let chain = counting_chain();
        assert!(Migrator::new(&chain).is_at_head(&mut conn).unwrap());
    }
}

#[test]
fn concurrent_runs_apply_a_non_transactional_migration_once() {
    // Migration 5 runs outside a transaction and fails if run twice: only a lock
    // held for the whole run (on SQLite, the lock file) keeps the racers apart.
    for db in all_backends("race_notx") {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_race"))
                    .args([db.url.as_str(), "0", "5"])
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn race")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().expect("wait");
            assert!(
                out.status.success(),
                "{}: {}",
                db.dialect,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut conn = db.connect();
        assert_eq!(applied_counts(&mut conn), (10, 10), "{}", db.dialect);
    }
}

#[test]
fn a_killed_run_is_completed_by_the_next() {
    for db in all_backends("kill") {
        let mut child = Command::new(env!("CARGO_BIN_EXE_race"))
            .arg(&db.url)
            .arg("5")
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn race");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        // Wait until r4 is committed: r5 is then sleeping inside its transaction.
        for line in lines.by_ref() {
            let line = line.expect("read");
            if line.contains("-> r4,") {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        let chain = counting_chain();
        let mut conn = db.connect();
        let m = Migrator::new(&chain);
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r4"), "{}", db.dialect);
        let out = Command::new(env!("CARGO_BIN_EXE_race"))
            .arg(&db.url)
            .output()
            .expect("rerun");
        assert!(
            out.status.success(),
            "{}: {}",
            db.dialect,
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(applied_counts(&mut conn), (10, 10), "{}", db.dialect);
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r10"));
    }
}

#[test]
fn unknown_revision_in_the_database_changes_nothing() {
    let chain = counting_chain();
    for db in all_backends("unknown") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "r2").unwrap();
        conn.execute("UPDATE alembic_version SET version_num = 'deadbeef0000'")
            .unwrap();
        let e = m.upgrade(&mut conn, "head").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Can't locate revision identified by 'deadbeef0000'"
        );
        assert!(e.hint().unwrap().contains("stamp"));
        assert!(matches!(
            m.downgrade(&mut conn, "base"),
            Err(Error::UnknownRevision(_))
        ));
        assert!(matches!(
            m.current(&mut conn),
            Err(Error::UnknownRevision(_))
        ));
        assert!(
            !table_exists(&mut conn, "t3"),
            "{}: nothing ran",
            db.dialect
        );
        assert_eq!(applied_counts(&mut conn), (2, 2));
        // stamp --purge is the way out.
        m.stamp(&mut conn, "r2", true).unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r2"));
    }
}

#[test]
fn irreversible_migration_stops_a_downgrade_before_anything_runs() {
    use migrate_runtime::prelude::*;
    fn up1(op: &mut Op) -> Result<()> {
        op.create_table("a").column(col::<Integer>("id"));
        Ok(())
    }
    fn down1(op: &mut Op) -> Result<()> {
        op.drop_table("a");
        Ok(())
    }
    fn up2(op: &mut Op) -> Result<()> {
        op.create_table("b").column(col::<Integer>("id"));
        Ok(())
    }
    fn up3(op: &mut Op) -> Result<()> {
        op.create_table("c").column(col::<Integer>("id"));
        Ok(())
    }
    fn down3(op: &mut Op) -> Result<()> {
        op.drop_table("c");
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("m1", None, "a", up1, Some(down1)),
        Migration::new("m2", Some("m1"), "b, one way", up2, None),
        Migration::new("m3", Some("m2"), "c", up3, Some(down3)),
    ])
    .unwrap();
    for db in all_backends("irreversible") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "head").unwrap();
        let e = m.downgrade(&mut conn, "base").unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot downgrade past revision m2 (b, one way)"),
            "{e}"
        );
        assert_eq!(
            m.current(&mut conn).unwrap().as_deref(),
            Some("m3"),
            "nothing ran"
        );
        assert!(table_exists(&mut conn, "c"));
        m.downgrade(&mut conn, "m2").unwrap();
        assert_eq!(m.current(&mut conn).unwrap().as_deref(), Some("m2"));
    }
}

#[test]
fn bad_urls_and_unreachable_servers_are_clear_errors() {
    use migrate_runtime::AnyConnection;
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:///{}/no/such/dir/app.db", dir.path().display());
    let e = AnyConnection::establish(&missing)
        .err()
        .expect("missing dir");
    assert!(matches!(e, Error::MissingDirectory { .. }), "{e}");
    assert!(e.to_string().contains("/no/such/dir/app.db"), "{e}");
    assert!(!dir.path().join("no").exists(), "nothing created");
    for bad in ["oracle://x/y", "sqlite://app.db", "", "postgres:/x"] {
        let e = AnyConnection::establish(bad).err().expect(bad);
        assert!(matches!(e, Error::InvalidUrl { .. }), "{bad}: {e}");
        assert!(e.hint().is_some());
    }
    if cfg!(feature = "postgres") {
        let e = AnyConnection::establish("postgres://nobody:secret@127.0.0.1:1/x")
            .err()
            .expect("unreachable");
        assert!(matches!(e, Error::Connect { .. }), "{e}");
        assert!(!e.to_string().contains("secret"), "password hidden: {e}");
    }
    if cfg!(feature = "mysql") {
        let e = AnyConnection::establish("mysql://root@127.0.0.1:1/x")
            .err()
            .expect("unreachable");
        assert!(matches!(e, Error::Connect { .. }), "{e}");
    }
}

#[test]
fn ambiguous_prefix_lists_the_candidates() {
    use migrate_runtime::prelude::*;
    fn noop(_: &mut Op) -> Result<()> {
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("ab01", None, "one", noop, Some(noop)),
        Migration::new("ab02", Some("ab01"), "two", noop, Some(noop)),
    ])
    .unwrap();
    for db in all_backends("ambiguous") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        let e = m.upgrade(&mut conn, "ab").unwrap_err();
        assert_eq!(
            e.to_string(),
            "ambiguous revision 'ab': it is a prefix of ab01, ab02"
        );
        assert_eq!(m.current(&mut conn).unwrap(), None);
        m.upgrade(&mut conn, "ab02").unwrap();
    }
}

#[test]
fn a_database_alembic_managed_is_adopted_and_the_table_name_is_configurable() {
    let chain = counting_chain();
    for db in all_backends("adopt") {
        let d = db.dialect;
        let mut conn = db.connect();
        // What `alembic upgrade` leaves behind, with the same revision ids.
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))").unwrap();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "r2").unwrap();
        conn.execute("DELETE FROM applied").unwrap();
        conn.execute("UPDATE alembic_version SET version_num = 'r3'")
            .unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r3"), "{d}");
        let steps = m.upgrade(&mut conn, "r5").unwrap();
        assert_eq!(steps.len(), 2, "{d}: continues from Alembic's revision");
        assert_eq!(applied_counts(&mut conn), (2, 2));

        // Another version table: an independent chain state in the same database.
        let mut other = Migrator::new(&chain).version_table("service_b_version");
        assert_eq!(other.current(&mut conn).unwrap(), None);
        other.stamp(&mut conn, "r1", false).unwrap();
        assert!(table_exists(&mut conn, "service_b_version"));
        assert_eq!(other.current(&mut conn).unwrap().as_deref(), Some("r1"));
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("r5"), "{d}");
    }
}

#[test]
fn a_migration_flagged_non_transactional_runs_outside_a_transaction() {
    use migrate_runtime::prelude::*;
    fn up1(op: &mut Op) -> Result<()> {
        op.create_table("big")
            .column(col::<Integer>("id"))
            .column(col::<Integer>("n"));
        Ok(())
    }
    fn down1(op: &mut Op) -> Result<()> {
        op.drop_table("big");
        Ok(())
    }
    // CREATE INDEX CONCURRENTLY cannot run inside a transaction block (PostgreSQL);
    // VACUUM cannot either (SQLite, PostgreSQL).
    fn up2(op: &mut Op) -> Result<()> {
        op.execute_per_dialect()
            .postgres("CREATE INDEX CONCURRENTLY ix_big_n ON big (n)")
            .sqlite("VACUUM");
        Ok(())
    }
    fn down2(op: &mut Op) -> Result<()> {
        op.execute_per_dialect()
            .postgres("DROP INDEX CONCURRENTLY ix_big_n")
            .sqlite("VACUUM");
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("n1", None, "table", up1, Some(down1)),
        Migration::new("n2", Some("n1"), "concurrent index", up2, Some(down2))
            .with_transaction(false),
    ])
    .unwrap();
    for db in all_backends("notx") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "head").unwrap();
        assert_eq!(rev(&m, &mut conn).as_deref(), Some("n2"), "{}", db.dialect);
        m.downgrade(&mut conn, "base").unwrap();
        // Also inside a one-transaction run: the transaction is split around it.
        let mut one = Migrator::new(&chain).one_transaction(true);
        one.upgrade(&mut conn, "head").unwrap();
        assert_eq!(rev(&one, &mut conn).as_deref(), Some("n2"));
        // n1's record, kept for the run's commit, was sent before n2 ended it.
        let ledger: Vec<String> = one
            .ledger(&mut conn)
            .unwrap()
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(ledger, ["n1", "n2"], "{}", db.dialect);
    }
    // The same migration left transactional fails on PostgreSQL, proving the flag matters.
    let tx_chain = Chain::new(vec![
        Migration::new("n1", None, "table", up1, Some(down1)),
        Migration::new("n2", Some("n1"), "concurrent index", up2, Some(down2)),
    ])
    .unwrap();
    if let Some(db) = migrate_tests::postgres("notx_control") {
        let mut conn = db.connect();
        let e = Migrator::new(&tx_chain)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("cannot run inside a transaction block"),
            "{e}"
        );
    }
}

#[test]
fn data_migrations_get_the_live_connection() {
    use migrate_runtime::prelude::*;
    fn up(op: &mut Op) -> Result<()> {
        op.create_table("people")
            .column(col::<Varchar>("name").length(20))
            .column(col::<Nullable<Varchar>>("upper").length(20));
        op.bulk_insert("people", ["name"], vec![row!["ada"], row!["grace"]]);
        op.run("uppercase names in Rust", |conn| {
            let names = conn.query_text("SELECT name AS v FROM people")?;
            for n in names.into_iter().flatten() {
                let up = Dialect::Sqlite.quote_str(&n.to_uppercase());
                let name = Dialect::Sqlite.quote_str(&n);
                conn.execute(&format!(
                    "UPDATE people SET upper = {up} WHERE name = {name}"
                ))?;
            }
            Ok(())
        });
        Ok(())
    }
    fn down(op: &mut Op) -> Result<()> {
        op.drop_table("people");
        Ok(())
    }
    let chain = Chain::new(vec![Migration::new("d1", None, "data", up, Some(down))]).unwrap();
    for db in all_backends("data") {
        let mut conn = db.connect();
        Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        let mut got = conn.query_text("SELECT upper AS v FROM people").unwrap();
        got.sort();
        assert_eq!(
            got,
            vec![Some("ADA".to_owned()), Some("GRACE".to_owned())],
            "{}",
            db.dialect
        );
    }
}

#[test]
fn stamp_purge_with_a_bad_target_changes_nothing() {
    let chain = counting_chain();
    for db in all_backends("purge_typo") {
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "r3").unwrap();
        assert!(m.stamp(&mut conn, "haed", true).is_err());
        assert_eq!(
            rev(&m, &mut conn).as_deref(),
            Some("r3"),
            "{}: the version table was not emptied",
            db.dialect
        );
    }
}

static RECORDED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn a_run_wide_transaction_records_each_migration_once() {
    use migrate_runtime::prelude::*;
    fn up1(op: &mut Op) -> Result<()> {
        op.create_table("t")
            .column(col::<Integer>("id"))
            .column(col::<Nullable<Integer>>("n"));
        Ok(())
    }
    fn down1(op: &mut Op) -> Result<()> {
        op.drop_table("t");
        Ok(())
    }
    fn up2(op: &mut Op) -> Result<()> {
        // Counted: the foreign key pre-scan must not call it a second time.
        RECORDED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        op.alter_column("t", "n").nullable(false);
        Ok(())
    }
    let chain = migrate_runtime::Chain::new(vec![
        Migration::new("p1", None, "t", up1, Some(down1)),
        Migration::new("p2", Some("p1"), "n required", up2, Some(down1)),
    ])
    .unwrap();
    let db = migrate_tests::sqlite("record_once");
    let mut conn = db.connect();
    conn.execute("PRAGMA foreign_keys = ON").unwrap();
    Migrator::new(&chain)
        .one_transaction(true)
        .upgrade(&mut conn, "head")
        .unwrap();
    assert_eq!(RECORDED.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Enforcement, switched off for the rebuild, is back on for the caller.
    let fk = conn
        .query_text("SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys")
        .unwrap();
    assert_eq!(fk, [Some("1".to_owned())]);
}
