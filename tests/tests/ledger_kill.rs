//! SIGKILL in the middle of a migration on MariaDB, where DDL commits at once:
//! a migration of data only changes all of its rows or none; a migration that
//! mixes DDL and data resumes at the operation that was running.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use migrate_runtime::{AnyConnection, LedgerState, Migrator};
use migrate_tests::table_exists;

/// Starts the helper and kills it 600 ms into its update. Returns its stderr
/// up to then, which must not show the migration finished.
fn kill_midway(url: &str, which: &str) -> String {
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_ledger_kill"))
        .args([url, which])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the helper");
    let stderr = child.stderr.take().expect("stderr");
    let mut seen = String::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("read stderr");
        seen.push_str(&line);
        seen.push('\n');
        if line == "UPDATING" {
            break;
        }
    }
    std::thread::sleep(Duration::from_millis(600));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(seen.contains("UPDATING"), "the update started: {seen}");
    assert!(
        !seen.contains("-> k2"),
        "killed before the migration finished: {seen}"
    );
    seen
}

fn count(conn: &mut AnyConnection, sql: &str) -> i64 {
    conn.query_text(sql).unwrap()[0]
        .as_deref()
        .unwrap()
        .parse()
        .unwrap()
}

fn rerun(url: &str, which: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_ledger_kill"))
        .args([url, which])
        .output()
        .expect("run the helper");
    assert!(
        out.status.success(),
        "the re-run completes: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn chain_for_reading() -> migrate_runtime::Chain {
    fn noop(_: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
        Ok(())
    }
    migrate_runtime::Chain::new(vec![
        migrate_runtime::Migration::new("k1", None, "fill", noop, Some(noop)),
        migrate_runtime::Migration::new("k2", Some("k1"), "bump", noop, Some(noop)),
    ])
    .unwrap()
}

#[test]
fn a_killed_data_migration_changes_all_rows_or_none() {
    let Some(db) = migrate_tests::mysql("kill_dml") else {
        return;
    };
    kill_midway(&db.url, "dml");
    let mut conn = db.connect();
    let bumped = "SELECT CAST(COUNT(*) AS CHAR) AS v FROM big WHERE v = 1";
    assert_eq!(count(&mut conn, bumped), 0, "none of its rows changed");
    let chain = chain_for_reading();
    assert_eq!(
        Migrator::new(&chain).current(&mut conn).unwrap().as_deref(),
        Some("k1")
    );
    rerun(&db.url, "dml");
    assert_eq!(count(&mut conn, bumped), 200_000, "then all of them, once");
    assert_eq!(
        count(&mut conn, "SELECT CAST(MAX(v) AS CHAR) AS v FROM big"),
        1
    );
}

#[test]
fn a_killed_migration_of_ddl_and_data_resumes_at_the_operation_that_was_running() {
    let Some(db) = migrate_tests::mysql("kill_mixed") else {
        return;
    };
    kill_midway(&db.url, "mixed");
    let mut conn = db.connect();
    assert!(
        table_exists(&mut conn, "before_update"),
        "operation 1 committed"
    );
    assert!(!table_exists(&mut conn, "after_update"));
    assert_eq!(
        count(
            &mut conn,
            "SELECT CAST(COUNT(*) AS CHAR) AS v FROM big WHERE v <> 0"
        ),
        0,
        "the update was rolled back with its ledger record"
    );
    let chain = chain_for_reading();
    let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
    let k2 = ledger
        .iter()
        .find(|e| e.revision == "k2")
        .expect("k2's row");
    assert_eq!(
        (k2.state, k2.ops_done, k2.ops_total),
        (LedgerState::Upgrading, 1, 3)
    );
    rerun(&db.url, "mixed");
    assert!(table_exists(&mut conn, "after_update"));
    assert_eq!(
        count(
            &mut conn,
            "SELECT CAST(COUNT(*) AS CHAR) AS v FROM big WHERE v = 1"
        ),
        200_000,
        "every row updated exactly once"
    );
    let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
    assert_eq!(
        ledger.iter().find(|e| e.revision == "k2").map(|e| e.state),
        Some(LedgerState::Applied)
    );
}
