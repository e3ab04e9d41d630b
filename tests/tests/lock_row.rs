//! The PostgreSQL lock row (the run lock through a pooler, forced here with
//! MIGRATE_PG_LOCK=row): a run whose row another run took over stops before
//! its next migration with `LockLost`, instead of going on beside it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

static HOLDING: AtomicBool = AtomicBool::new(false);
static RELEASE: AtomicBool = AtomicBool::new(false);

fn first(op: &mut Op) -> Result<()> {
    op.create_table("first")
        .column(col::<Integer>("id").primary_key());
    op.run("wait while the test takes the row", |_| {
        HOLDING.store(true, Ordering::SeqCst);
        while !RELEASE.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    });
    Ok(())
}
fn second(op: &mut Op) -> Result<()> {
    op.create_table("second")
        .column(col::<Integer>("id").primary_key());
    Ok(())
}

#[test]
fn a_run_whose_lock_row_was_taken_over_stops_before_the_next_migration() {
    let Some(db) = migrate_tests::postgres("lock_row_lost") else {
        return;
    };
    // The only test of this binary: the variable is read at each try_lock.
    std::env::set_var("MIGRATE_PG_LOCK", "row");
    let url = db.url.clone();
    let run = std::thread::spawn(move || {
        let c = Chain::new(vec![
            Migration::new("l1", None, "first", first, None),
            Migration::new("l2", Some("l1"), "second", second, None),
        ])
        .unwrap();
        let mut conn = AnyConnection::establish(&url).unwrap();
        let mut m = Migrator::new(&c);
        m.upgrade(&mut conn, "head").map(|s| s.len())
    });
    while !HOLDING.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut conn = db.connect();
    let holder = conn
        .query_text("SELECT holder AS v FROM alembic_version_lock WHERE name = 'run'")
        .unwrap();
    assert_eq!(holder.len(), 1, "the run holds the row");
    // Another run took the row over (its lease ran out, say).
    conn.execute("UPDATE alembic_version_lock SET holder = 'another run'")
        .unwrap();
    RELEASE.store(true, Ordering::SeqCst);
    let e = run.join().unwrap().unwrap_err();
    assert!(matches!(e, Error::LockLost { .. }), "{e:?}");
    // It says who has the lock now.
    assert!(
        e.to_string()
            .contains("another run holds the row now: another run;"),
        "{e}"
    );
    let second = conn
        .query_text("SELECT CAST(to_regclass('second') AS TEXT) AS v")
        .unwrap();
    assert_eq!(second, vec![None], "the next migration did not run");
    // The other run's row is left alone.
    let holder = conn
        .query_text("SELECT holder AS v FROM alembic_version_lock WHERE name = 'run'")
        .unwrap();
    assert_eq!(holder, vec![Some("another run".to_owned())]);
    std::env::remove_var("MIGRATE_PG_LOCK");
}
