//! The run lock on a live database: a run that waits for another says who
//! holds it, gives up at `lock_wait` with a clear error, and a `lock_timeout`
//! of its own connection does not make it fail (the lock is polled).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;
use migrate_tests::all_backends;

/// Set while the first run's data step holds the run lock.
static HOLDING: AtomicBool = AtomicBool::new(false);
/// How long the first run holds it, in milliseconds.
const HOLD_MS: u64 = 4000;

fn slow(op: &mut Op) -> Result<()> {
    op.create_table("slow")
        .column(col::<Integer>("id").primary_key());
    op.run("hold the run lock", |_| {
        HOLDING.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(HOLD_MS));
        HOLDING.store(false, Ordering::SeqCst);
        Ok(())
    });
    Ok(())
}
fn unslow(op: &mut Op) -> Result<()> {
    op.drop_table("slow");
    Ok(())
}

fn chain() -> Chain {
    Chain::new(vec![Migration::new("s1", None, "slow", slow, Some(unslow))]).unwrap()
}

#[test]
fn a_run_waiting_for_the_lock_says_who_holds_it_and_gives_up_in_time() {
    for db in all_backends("run_lock_wait") {
        let d = db.dialect;
        let url = db.url.clone();
        let (done_tx, done_rx) = mpsc::channel();
        let holder = std::thread::spawn(move || {
            let c = chain();
            let mut conn = AnyConnection::establish(&url).unwrap();
            let r = Migrator::new(&c)
                .upgrade(&mut conn, "head")
                .map(|s| s.len());
            done_tx.send(()).unwrap();
            r
        });
        while !HOLDING.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let c = chain();
        let mut conn = db.connect();
        if d == Dialect::Postgres {
            // A replica whose connection carries a short lock_timeout (pgmigrate #25).
            conn.execute("SET lock_timeout = '50ms'").unwrap();
        }
        let mut seen = Vec::new();
        let e = Migrator::new(&c)
            .lock_wait(Duration::from_millis(2500))
            .on_lock_wait(|w| seen.push(w.to_owned()))
            .upgrade(&mut conn, "head")
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, Error::LockTimeout { .. }), "{d}: {e:?}");
        assert!(text.contains("timed out after 2 s"), "{d}: {text}");
        let who = match d {
            Dialect::Sqlite => "pid ",
            Dialect::Postgres => "pid ",
            Dialect::Mysql => "connection ",
        };
        assert!(text.contains(&format!("held by {who}")), "{d}: {text}");
        // Told before it gave up: the first line comes after one second.
        assert!(!seen.is_empty(), "{d}: no message while waiting");
        assert!(seen[0].contains(&format!("held by {who}")), "{d}: {seen:?}");
        assert!(
            done_rx.try_recv().is_err(),
            "{d}: the holder was still running"
        );
        // Waiting long enough: it gets the lock once the other run is done,
        // finds the migration applied, and runs nothing.
        let steps = Migrator::new(&c)
            .lock_wait(Duration::from_secs(60))
            .upgrade(&mut conn, "head")
            .unwrap_or_else(|e| panic!("{d}: {e:?}"));
        assert!(steps.is_empty(), "{d}");
        assert_eq!(holder.join().unwrap().unwrap(), 1, "{d}");
        assert_eq!(
            Migrator::new(&c).current(&mut conn).unwrap().as_deref(),
            Some("s1"),
            "{d}"
        );
    }
}
