//! Keeping a lock row's lease while a run is busy.
//!
//! A run renews its lock row (Galera, a pooler, a database without session
//! locks) between statements. One statement longer than the lease (an
//! `ALTER` on a big table, replicated in total order on Galera) would let
//! another run take the lock over while it still runs. With a URL to
//! connect to ([`crate::Migrator::lease_url`]), a thread of the run renews
//! the lease from a connection of its own meanwhile. It dies with the
//! process, so a killed run still frees the database when the lease ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::backend::lock_row;
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;

/// How often the keeper renews: a third of the lease, so that two renewals
/// can fail (it reconnects and tries again) before the lease runs out.
pub(crate) const EVERY: Duration = Duration::from_secs(lock_row::LEASE_SECS / 3);

/// How long stopping waits for the thread: a renewal stuck in the network
/// must not hold the end of the run. Left behind, it renews nothing that
/// matters: the row goes at unlock, and a renewal matches its holder only.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// The thread that renews a lock row's lease until it is stopped.
pub(crate) struct Keeper {
    stop: Arc<AtomicBool>,
    /// The first thing that went wrong (a connection that failed, the lock
    /// lost), passwords hidden.
    failed: Arc<Mutex<Option<String>>>,
    /// Told when the thread ends.
    done: Option<std::sync::mpsc::Receiver<()>>,
    handle: Option<JoinHandle<()>>,
}

impl Keeper {
    /// Starts renewing `holder`'s row of `version_table` every `every`,
    /// connected to `url`.
    pub(crate) fn start(
        url: String,
        dialect: Dialect,
        version_table: String,
        holder: String,
        every: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(Mutex::new(None));
        let (s, f) = (stop.clone(), failed.clone());
        let (tell, done) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("migrate-lease".into())
            .spawn(move || {
                let note = |e: String| {
                    if let Ok(mut slot) = f.lock() {
                        slot.get_or_insert_with(|| crate::db::url::scrub(&e, &url));
                    }
                };
                let mut conn: Option<AnyConnection> = None;
                // Sooner again after a failure: a lease holds three turns.
                let mut wait = every;
                'run: loop {
                    let next = Instant::now() + wait;
                    while Instant::now() < next {
                        if s.load(Ordering::SeqCst) {
                            break 'run;
                        }
                        std::thread::sleep(Duration::from_millis(50).min(every));
                    }
                    wait = every;
                    if conn.is_none() {
                        match AnyConnection::establish(&url) {
                            Ok(c) => conn = Some(c),
                            Err(e) => {
                                note(e.to_string());
                                wait = every.min(Duration::from_secs(5));
                                continue;
                            }
                        }
                        if s.load(Ordering::SeqCst) {
                            break 'run;
                        }
                    }
                    let Some(c) = conn.as_mut() else { continue };
                    match lock_row::renew(c, dialect, &version_table, &holder) {
                        // Kept again: an earlier failure is no longer news.
                        Ok(()) => {
                            if let Ok(mut slot) = f.lock() {
                                *slot = None;
                            }
                        }
                        // Another run has the row: nothing more to keep.
                        Err(e @ crate::error::Error::LockLost { .. }) => {
                            note(e.to_string());
                            break;
                        }
                        // A connection lost, a deadlock on Galera: a new
                        // connection at the next turn.
                        Err(e) => {
                            note(e.to_string());
                            conn = None;
                            wait = every.min(Duration::from_secs(5));
                        }
                    }
                }
                // The receiver may be gone (stopped already): nothing to tell.
                let _ = tell.send(());
            });
        match handle {
            Ok(h) => Keeper {
                stop,
                failed,
                done: Some(done),
                handle: Some(h),
            },
            Err(e) => Keeper {
                stop,
                failed: Arc::new(Mutex::new(Some(format!("cannot start a thread: {e}")))),
                done: None,
                handle: None,
            },
        }
    }

    /// Stops it; returns the first thing that went wrong meanwhile, if any.
    pub(crate) fn stop(mut self) -> Option<String> {
        self.halt();
        self.failed.lock().ok().and_then(|mut f| f.take())
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let ended = self
            .done
            .take()
            .is_some_and(|d| d.recv_timeout(STOP_WAIT).is_ok());
        if let (true, Some(h)) = (ended, self.handle.take()) {
            // Ended, so this does not wait; a keeper that panicked renews
            // nothing more, and the run's own renewals still hold the lock.
            let _ = h.join();
        }
        // Not ended in time: left to finish its renewal alone (see STOP_WAIT).
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    fn expires(conn: &mut AnyConnection) -> String {
        conn.query_text("SELECT expires_at AS v FROM alembic_version_lock")
            .unwrap()
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_default()
    }

    #[test]
    fn the_keeper_renews_the_lease_until_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("k.db").display());
        let mut conn = AnyConnection::establish(&url).unwrap();
        let b = crate::backend::for_dialect(Dialect::Sqlite);
        lock_row::create(&mut conn, b, "alembic_version").unwrap();
        assert!(
            lock_row::insert(&mut conn, Dialect::Sqlite, "alembic_version", "me", None)
                .unwrap()
                .is_some()
        );
        conn.execute("UPDATE alembic_version_lock SET expires_at = '2000-01-01 00:00:00'")
            .unwrap();
        let k = Keeper::start(
            url.clone(),
            Dialect::Sqlite,
            "alembic_version".into(),
            "me".into(),
            Duration::from_millis(100),
        );
        let t = Instant::now();
        while expires(&mut conn).starts_with("2000") && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!expires(&mut conn).starts_with("2000"), "renewed");
        assert_eq!(k.stop(), None);
        conn.execute("UPDATE alembic_version_lock SET expires_at = '2000-01-01 00:00:00'")
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        assert!(expires(&mut conn).starts_with("2000"), "stopped");
        // The row taken over: the keeper stops and says why.
        conn.execute("UPDATE alembic_version_lock SET holder = 'another run'")
            .unwrap();
        let k = Keeper::start(
            url,
            Dialect::Sqlite,
            "alembic_version".into(),
            "me".into(),
            Duration::from_millis(50),
        );
        std::thread::sleep(Duration::from_millis(400));
        let why = k.stop().unwrap_or_default();
        assert!(why.contains("alembic_version_lock"), "{why}");
    }
}
