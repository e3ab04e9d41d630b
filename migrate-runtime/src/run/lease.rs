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
/// can fail before it runs out.
pub(crate) const EVERY: Duration = Duration::from_secs(lock_row::LEASE_SECS / 3);

/// The thread that renews a lock row's lease until it is stopped.
pub(crate) struct Keeper {
    stop: Arc<AtomicBool>,
    /// What stopped it early (a connection that failed, the lock lost).
    failed: Arc<Mutex<Option<String>>>,
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
        let handle = std::thread::Builder::new()
            .name("migrate-lease".into())
            .spawn(move || {
                let fail = |e: String| {
                    if let Ok(mut slot) = f.lock() {
                        *slot = Some(crate::db::url::scrub(&e, &url));
                    }
                };
                let mut conn = match AnyConnection::establish(&url) {
                    Ok(c) => c,
                    Err(e) => return fail(e.to_string()),
                };
                loop {
                    let next = Instant::now() + every;
                    while Instant::now() < next {
                        if s.load(Ordering::SeqCst) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(50).min(every));
                    }
                    if let Err(e) = lock_row::renew(&mut conn, dialect, &version_table, &holder) {
                        return fail(e.to_string());
                    }
                }
            });
        match handle {
            Ok(h) => Keeper {
                stop,
                failed,
                handle: Some(h),
            },
            Err(e) => {
                let failed = Arc::new(Mutex::new(Some(format!("cannot start a thread: {e}"))));
                Keeper {
                    stop,
                    failed,
                    handle: None,
                }
            }
        }
    }

    /// Stops it; returns what stopped it before, if anything did.
    pub(crate) fn stop(mut self) -> Option<String> {
        self.halt();
        self.failed.lock().ok().and_then(|mut f| f.take())
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            // A keeper that panicked renews nothing more: the run's own
            // renewals between statements still hold the lock.
            let _ = h.join();
        }
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
            lock_row::insert(&mut conn, Dialect::Sqlite, "alembic_version", "me", None).unwrap()
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
