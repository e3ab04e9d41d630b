//! Migrations on a busy database: their statements wait only briefly for a
//! table lock, and a migration that gave up waiting is rolled back and tried
//! again, a little later each time, before the run fails naming who held the
//! table.
//!
//! Waiting without a limit is what turns a one-second `ALTER TABLE` into an
//! outage: the DDL queues behind a long query for its exclusive lock, and every
//! other query on the table queues behind the DDL.

use std::time::{Duration, Instant};

use super::executor::Migrator;
use super::step::{record, Job, Run, StepOutcome, Txn};
use crate::backend::Backend;
use crate::chain::Migration;
use crate::db::conn::AnyConnection;
use crate::error::{Error, Result};
use crate::ops::Operation;

impl Migrator<'_> {
    /// The lock timeout of migration `m` (its own, else the run's), or of a
    /// run-wide transaction (`None`).
    fn lock_timeout_of(&self, m: Option<&Migration>) -> Option<Duration> {
        m.and_then(Migration::lock_timeout).or(self.lock_timeout)
    }

    /// Before a migration (or a run-wide transaction), outside any
    /// transaction: the session's statements wait for table locks as this
    /// migration may. Set only when it changes, so a run pays one statement,
    /// not one per migration; the session's own setting comes back at the end
    /// of the run ([`Migrator::restore_lock_waits`]). A PostgreSQL migration
    /// without a transaction (`CREATE INDEX CONCURRENTLY`, which waits for
    /// older transactions) waits as the session did.
    pub(super) fn limit_lock_waits(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        m: Option<&Migration>,
        in_transaction: bool,
    ) -> Result<()> {
        if self.pooled {
            // Through a pooler a session setting would land on a pooled server
            // session and stay there for other clients: set per transaction
            // instead ([`Migrator::limit_lock_waits_in_transaction`]).
            return Ok(());
        }
        let desired = if in_transaction || !b.capabilities().migration_transactions() {
            self.lock_timeout_of(m)
        } else {
            None
        };
        match (self.lock_wait_now, desired) {
            (Some(now), want) if now == want => return Ok(()),
            // Never changed, and no limit wanted: the session's own stays.
            (None, None) => return Ok(()),
            _ => {}
        }
        if self.lock_wait_saved.is_none() {
            self.lock_wait_saved = Some(b.lock_wait_setting(conn)?);
        }
        match (desired, self.lock_wait_saved.clone().flatten()) {
            (None, Some(saved)) => b.restore_lock_wait(conn, &saved)?,
            (want, _) => b.set_lock_wait(conn, want, false)?,
        }
        self.lock_wait_now = Some(desired);
        Ok(())
    }

    /// Whether [`Migrator::limit_lock_waits_in_transaction`] has anything
    /// to set for `m`.
    pub(super) fn sets_in_transaction(&self, m: Option<&Migration>) -> bool {
        (self.pooled && self.lock_timeout_of(m).is_some()) || self.statement_timeout.is_some()
    }

    /// Right after a migration's (or the run's) transaction began: through a
    /// pooler, the lock wait for that transaction only (`SET LOCAL`); and the
    /// statement timeout, if one is set ([`Migrator::statement_timeout`]).
    pub(super) fn limit_lock_waits_in_transaction(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        m: Option<&Migration>,
    ) -> Result<()> {
        if let (true, Some(t)) = (self.pooled, self.lock_timeout_of(m)) {
            b.set_lock_wait(conn, Some(t), true)?;
        }
        match self.statement_timeout {
            Some(t) => b.set_statement_timeout(conn, Some(t)),
            None => Ok(()),
        }
    }

    /// At the end of a run: the session's lock-wait setting as it was.
    pub(super) fn restore_lock_waits(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
    ) -> Result<()> {
        self.lock_wait_now = None;
        match self.lock_wait_saved.take() {
            Some(Some(saved)) => b.restore_lock_wait(conn, &saved),
            Some(None) => b.set_lock_wait(conn, None, false),
            None => Ok(()),
        }
    }

    /// Runs a data step without the lock timeout: it waits for rows as the
    /// server does by default (a backfill behind an application's row lock is
    /// no DDL queueing other queries). The timeout applies again after it.
    pub(super) fn without_lock_timeout<T>(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        m: &Migration,
        step: impl FnOnce(&mut AnyConnection) -> Result<T>,
    ) -> Result<T> {
        let local = conn.in_transaction()?;
        let lock = if self.pooled {
            // Through a pooler only SET LOCAL is safe: outside a transaction
            // no limit was set to lift.
            self.lock_timeout_of(Some(m)).filter(|_| local)
        } else {
            self.lock_wait_now.flatten()
        };
        // The statement timeout is set in the migration's transaction only.
        let statement = self.statement_timeout.filter(|_| local);
        if lock.is_some() {
            b.set_lock_wait(conn, None, local)?;
        }
        if statement.is_some() {
            b.set_statement_timeout(conn, None)?;
        }
        let out = step(conn);
        let again = lock
            .map_or(Ok(()), |t| b.set_lock_wait(conn, Some(t), local))
            .and_then(|()| statement.map_or(Ok(()), |t| b.set_statement_timeout(conn, Some(t))));
        match (out, again) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) | (Err(e), Ok(())) => Err(e),
            (Err(e), Err(c)) => Err(Error::cleanup(e, c)),
        }
    }

    /// [`Migrator::step`], tried again after a lock timeout, up to
    /// [`Migrator::lock_retries`] times, recorded afresh each time. In its own
    /// transaction the migration was rolled back and starts over; without one
    /// (DDL on MySQL) the ledger holds the operations done, and it resumes at
    /// the statement that timed out, which did not run.
    pub(super) fn step_retrying(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        job: Job<'_>,
        mut ops: Vec<Operation>,
        how: (Txn, bool, Instant),
    ) -> Result<StepOutcome> {
        let mut attempt = 1;
        loop {
            let tables: Vec<Option<String>> = ops.iter().map(table_of).collect();
            let e = match self.step(conn, b, run, job, ops, how) {
                Err(e) if b.is_lock_timeout(&e) => e,
                other => return other,
            };
            // The operation that waited: the error names it (1-based).
            let table = match &e {
                Error::MigrationFailed { index, .. } if *index > 0 => {
                    tables.get(index - 1).cloned().flatten()
                }
                _ => None,
            }
            .or_else(|| tables.iter().flatten().next().cloned());
            let (Some(timeout), Some(table)) = (self.lock_timeout_of(Some(job.m)), table) else {
                return Err(e);
            };
            // Only for the message: a user without the right to list sessions
            // (MySQL's PROCESS) still gets the retries.
            let blockers = b
                .lock_blockers(conn, &table)
                .unwrap_or_else(|e| Some(format!("sessions this user cannot list ({e})")));
            if attempt > self.lock_retries {
                return Err(Error::LockRetriesExhausted {
                    direction: job.direction.as_str(),
                    revision: job.m.revision().to_owned(),
                    table,
                    attempts: attempt,
                    timeout,
                    blockers,
                });
            }
            let pause = backoff(attempt);
            if let Some(f) = self.lock_observer.as_mut() {
                f(&format!(
                    "{} waited {} ms for a lock on {table}{} and stopped; try {} of {} in {:.1} s",
                    job.m.revision(),
                    timeout.as_millis(),
                    blockers
                        .as_deref()
                        .map_or(String::new(), |b| format!(" (held by {b})")),
                    attempt + 1,
                    self.lock_retries + 1,
                    pause.as_secs_f64()
                ));
            }
            std::thread::sleep(pause);
            attempt += 1;
            // The data steps of the last attempt were used up: record afresh.
            ops = record(job.m, job.direction, b)?;
        }
    }
}

/// The table an operation works on (the first it names).
fn table_of(op: &Operation) -> Option<String> {
    op.names()
        .into_iter()
        .find(|(kind, _)| *kind == "table")
        .map(|(_, t)| t.to_owned())
}

/// The pause before try `attempt + 1`: half a second, doubling up to eight,
/// with up to half of it again at random so that replicas spread out.
fn backoff(attempt: u32) -> Duration {
    let base = Duration::from_millis(500)
        .saturating_mul(1 << attempt.saturating_sub(1).min(4))
        .min(Duration::from_secs(8));
    base + base.mul_f64(jitter() * 0.5)
}

/// A number in [0, 1) that differs between processes and calls.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut x = u64::from(nanos) ^ (u64::from(std::process::id()) << 32);
    // xorshift: spreads the bits of the clock and the pid.
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    (x % 1_000_000) as f64 / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for a in 1..40 {
            let p = backoff(a);
            assert!(
                p >= Duration::from_millis(500) && p <= Duration::from_secs(12),
                "{a}: {p:?}"
            );
        }
        assert!(backoff(4) >= Duration::from_secs(4));
    }
}
