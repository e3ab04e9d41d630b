//! `op.run_in_batches`: a long data step in batches that commit one by one in
//! a migration without a transaction (a failure keeps the batches before it),
//! inside the migration's transaction otherwise (a failure keeps none), with
//! progress lines once it has run a while.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;
use migrate_tests::all_backends;

static CALLS: AtomicUsize = AtomicUsize::new(0);
/// The call that fails (0: none).
static FAIL_AT: AtomicUsize = AtomicUsize::new(0);
/// Milliseconds each batch takes, so that a run lasts long enough to report.
static SLOW_MS: AtomicUsize = AtomicUsize::new(0);

fn items(op: &mut Op) -> Result<()> {
    op.create_table("items")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Integer>>("done"));
    let rows = (1..=25).map(|i| row![i]).collect();
    op.bulk_insert("items", ["id"], rows);
    Ok(())
}
fn no_items(op: &mut Op) -> Result<()> {
    op.drop_table("items");
    Ok(())
}
fn backfill(op: &mut Op) -> Result<()> {
    op.run_in_batches("mark items done", 10, |conn, size| {
        let call = CALLS.fetch_add(1, Ordering::SeqCst) + 1;
        if FAIL_AT.load(Ordering::SeqCst) == call {
            return Err(Error::msg("batch failed"));
        }
        std::thread::sleep(Duration::from_millis(SLOW_MS.load(Ordering::SeqCst) as u64));
        // MySQL cannot LIMIT a subquery on the table it updates: a derived table.
        conn.execute_count(&format!(
            "UPDATE items SET done = 1 WHERE id IN \
             (SELECT id FROM (SELECT id FROM items WHERE done IS NULL ORDER BY id LIMIT {size}) AS b)"
        ))
    });
    Ok(())
}
fn unbackfill(op: &mut Op) -> Result<()> {
    op.execute("UPDATE items SET done = NULL");
    Ok(())
}

fn done(conn: &mut AnyConnection) -> usize {
    let n = conn
        .query_text("SELECT CAST(count(*) AS CHAR(20)) AS v FROM items WHERE done = 1")
        .unwrap();
    n[0].as_deref().unwrap().trim().parse().unwrap()
}

#[test]
fn batches_commit_one_by_one_only_without_a_transaction_and_report_progress() {
    for db in all_backends("batches") {
        let d = db.dialect;
        for transactional in [false, true] {
            let c = Chain::new(vec![
                Migration::new("i1", None, "items", items, Some(no_items)),
                Migration::new("i2", Some("i1"), "backfill", backfill, Some(unbackfill))
                    .with_transaction(transactional),
            ])
            .unwrap();
            let mut conn = db.connect();
            Migrator::new(&c).upgrade(&mut conn, "i1").unwrap();
            // The third batch fails.
            SLOW_MS.store(0, Ordering::SeqCst);
            CALLS.store(0, Ordering::SeqCst);
            FAIL_AT.store(3, Ordering::SeqCst);
            Migrator::new(&c).upgrade(&mut conn, "head").unwrap_err();
            let kept = if transactional { 0 } else { 20 };
            assert_eq!(done(&mut conn), kept, "{d}, transaction {transactional}");
            // Again, to the end, with progress.
            CALLS.store(0, Ordering::SeqCst);
            FAIL_AT.store(0, Ordering::SeqCst);
            let lines = Arc::new(Mutex::new(Vec::new()));
            let seen = lines.clone();
            // From the start, slowly (once per database), so that it reports.
            conn.execute("UPDATE items SET done = NULL").unwrap();
            SLOW_MS.store(if transactional { 0 } else { 700 }, Ordering::SeqCst);
            Migrator::new(&c)
                .on_progress(move |l| seen.lock().unwrap().push(l.to_owned()))
                .upgrade(&mut conn, "head")
                .unwrap_or_else(|e| panic!("{d}: {e:?}"));
            assert_eq!(done(&mut conn), 25, "{d}");
            let lines = lines.lock().unwrap();
            let reported = lines
                .iter()
                .any(|l| l.starts_with("mark items done: ") && l.contains("rows/s"));
            assert_eq!(reported, !transactional, "{d}: {lines:?}");
            Migrator::new(&c).downgrade(&mut conn, "base").unwrap();
        }
    }
}

fn reporting(op: &mut Op) -> Result<()> {
    op.run("a long data step", |_| {
        migrate_runtime::progress("half way: 500 of 1000 rows");
        Ok(())
    });
    Ok(())
}

#[test]
fn a_data_step_reports_its_own_progress_to_the_run() {
    let c = Chain::new(vec![Migration::new("p1", None, "report", reporting, None)]).unwrap();
    let mut conn = AnyConnection::establish("sqlite://").unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let seen = lines.clone();
    Migrator::new(&c)
        .on_progress(move |l| seen.lock().unwrap().push(l.to_owned()))
        .upgrade(&mut conn, "head")
        .unwrap();
    assert_eq!(*lines.lock().unwrap(), ["half way: 500 of 1000 rows"]);
    // Outside a run nobody listens, and nothing breaks.
    migrate_runtime::progress("nobody hears this");
}
