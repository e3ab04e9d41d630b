//! Applying and reverting migrations on a live database.
//!
//! Guarantees, per backend (see [`crate::backend::Capabilities`]):
//! - With transactional DDL (PostgreSQL, SQLite): each migration and its
//!   version bump commit together (or the whole run in one transaction with
//!   [`Migrator::one_transaction`]); a failure rolls the failing migration back
//!   and leaves the database at the last good revision.
//! - Without it (MySQL/MariaDB): the version row is written after each
//!   migration, so a re-run resumes where a failure stopped.
//! - A run lock serializes concurrent runs for the whole run (an advisory
//!   lock, `GET_LOCK`, an OS file lock beside a SQLite file). Where the lock may
//!   be missing, every step also takes the write lock and re-reads the version
//!   under it. Concurrent processes apply each migration exactly once.

use std::time::{Duration, Instant};

use crate::backend::{self, lock_row, Backend, RunLock, TryLock};
use crate::chain::{Chain, Position};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, HalfApplied, Result};
use crate::sql;

use super::ledger::{Ledger, LedgerEntry, LedgerState};

pub use crate::sql::version::DEFAULT_VERSION_TABLE;

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Upgrade.
    Upgrade,
    /// Downgrade.
    Downgrade,
}

impl Direction {
    /// `upgrade` or `downgrade`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

/// N of a target `-N` (a step count back from the current revision, no
/// revision named).
fn steps_back(target: &str) -> Option<usize> {
    let n = target.trim().strip_prefix('-')?;
    if n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// One migration applied or reverted.
#[derive(Debug, Clone)]
pub struct Step {
    /// Which way.
    pub direction: Direction,
    /// The revision before the step (`None` is base).
    pub from: Option<&'static str>,
    /// The revision after the step.
    pub to: Option<&'static str>,
    /// The migration's message.
    pub message: &'static str,
    /// How long it took.
    pub elapsed: Duration,
}

impl Step {
    /// Alembic's log line: `Running upgrade 7f71d8f421e3 -> a1b2c3d4e5f6, add email to users (3 ms)`.
    pub fn log_line(&self) -> String {
        format!(
            "Running {} {} -> {}, {} ({})",
            self.direction.as_str(),
            self.from.unwrap_or(""),
            self.to.unwrap_or(""),
            self.message,
            format_duration(self.elapsed)
        )
    }
}

/// `3 ms`, `1.25 s`.
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

type Observer<'a> = Box<dyn FnMut(&Step) + 'a>;
type LockObserver<'a> = Box<dyn FnMut(&str) + 'a>;

/// Runs a chain against a database.
///
/// ```
/// # fn main() -> migrate_runtime::Result<()> {
/// use migrate_runtime::prelude::*;
/// use migrate_runtime::{AnyConnection, Migrator};
///
/// fn up(op: &mut Op) -> Result<()> {
///     op.create_table("users").column(col::<Integer>("id").primary_key());
///     Ok(())
/// }
/// fn down(op: &mut Op) -> Result<()> {
///     op.drop_table("users");
///     Ok(())
/// }
/// let chain = Chain::new(vec![Migration::new("7f71d8f421e3", None, "initial", up, Some(down))])?;
///
/// let mut conn = AnyConnection::establish("sqlite://")?;
/// let steps = Migrator::new(&chain).upgrade(&mut conn, "head")?;
/// assert_eq!(steps.len(), 1);
/// assert_eq!(Migrator::new(&chain).current(&mut conn)?.as_deref(), Some("7f71d8f421e3"));
/// assert!(Migrator::new(&chain).is_at_head(&mut conn)?);
/// # Ok(()) }
/// ```
pub struct Migrator<'a> {
    pub(crate) chain: &'a Chain,
    pub(crate) version_table: String,
    pub(crate) one_transaction: bool,
    pub(crate) out_of_order: bool,
    pub(crate) skip_data_steps: bool,
    /// During a run without its run lock: the lock that could not be taken.
    /// Each step then re-reads the database under its write lock, and a
    /// migration without a transaction is refused.
    pub(crate) lockless: Option<String>,
    pub(crate) observer: Option<Observer<'a>>,
    /// `Some(keep)`: back up the SQLite database before the first change.
    pub(crate) backup: Option<Option<usize>>,
    pub(crate) last_backup: Option<std::path::PathBuf>,
    /// The run lock the last run could not take, if it could not.
    pub(crate) last_lockless: Option<String>,
    /// How long a run waits for another run's lock.
    pub(crate) lock_wait: Duration,
    pub(crate) lock_observer: Option<LockObserver<'a>>,
    /// How long DDL waits for a table lock before it is rolled back and tried again.
    pub(crate) lock_timeout: Option<Duration>,
    /// How many times a migration is tried again after a lock timeout.
    pub(crate) lock_retries: u32,
    /// Where the progress lines of long data steps go.
    pub(crate) progress: Option<crate::progress::Sink>,
    /// The run lock, while a run holds it.
    pub(crate) held: Option<RunLock>,
    /// The session's lock-wait setting before the run changed it (`Some`
    /// once changed; its inner `None`: the backend has none to read).
    pub(crate) lock_wait_saved: Option<Option<String>>,
    /// The lock wait the run has set on the session, once it has set one.
    pub(crate) lock_wait_now: Option<Option<Duration>>,
    /// The connection goes through a pooler: no session settings.
    pub(crate) pooled: bool,
    /// Statements of a migration's transaction longer than this are cancelled.
    pub(crate) statement_timeout: Option<Duration>,
    /// Where a lock row's lease is renewed from while the run is busy.
    pub(crate) lease_url: Option<String>,
    /// Where the last `upgrade` found the database when it had nothing to do
    /// and told so from its one query: the command says where that is
    /// without reading it again.
    pub(crate) idle_at: Option<Position>,
}

/// How long a migration's statements wait for a table lock, unless told otherwise.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(3);
/// How many times a migration that timed out waiting for a lock is tried again.
pub const DEFAULT_LOCK_RETRIES: u32 = 5;

/// How long a run waits for the run lock unless told otherwise.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(600);

impl<'a> Migrator<'a> {
    /// A migrator for `chain` with Alembic's version table.
    pub fn new(chain: &'a Chain) -> Self {
        Migrator {
            chain,
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            one_transaction: false,
            out_of_order: false,
            skip_data_steps: false,
            lockless: None,
            observer: None,
            backup: None,
            last_backup: None,
            last_lockless: None,
            lock_wait: DEFAULT_LOCK_WAIT,
            lock_observer: None,
            lock_timeout: Some(DEFAULT_LOCK_TIMEOUT),
            lock_retries: DEFAULT_LOCK_RETRIES,
            progress: None,
            held: None,
            lock_wait_saved: None,
            lock_wait_now: None,
            pooled: false,
            statement_timeout: None,
            lease_url: None,
            idle_at: None,
        }
    }

    /// Renews the lease of a lock row (the run lock on Galera, through a
    /// pooler, or without session locks) from a second connection to `url`,
    /// every 20 s while the run holds it, so that a statement longer than the
    /// lease (60 s) keeps the lock. `url` must reach the same database (and
    /// default schema) as the run's connection. Without it the lease is
    /// renewed between statements only. A keeper that could not renew says
    /// so through [`Migrator::on_lock_wait`] at the end of the run. The
    /// `migrate` command and [`crate::upgrade_to_head`] set it to the run's
    /// URL. Like a session lock, the lease then lasts as long as the process:
    /// a run hung inside one statement keeps it.
    pub fn lease_url(mut self, url: impl Into<String>) -> Self {
        self.lease_url = Some(url.into());
        self
    }

    /// Uses another version table name.
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = name.into();
        self
    }

    /// Runs the whole range in one transaction (backends with transactional
    /// DDL: PostgreSQL and SQLite): all or nothing.
    pub fn one_transaction(mut self, yes: bool) -> Self {
        self.one_transaction = yes;
        self
    }

    /// Applies revisions that lie before the current one but never ran on this
    /// database (a branch merged after the other one was deployed), instead of
    /// refusing them. They run in chain order; the ledger records that they ran
    /// last, so a downgrade undoes them first.
    pub fn out_of_order(mut self, yes: bool) -> Self {
        self.out_of_order = yes;
        self
    }

    /// In offline scripts ([`Migrator::script`]), writes data steps (`op.run`),
    /// which no script can hold, as marked comments instead of failing.
    pub fn skip_data_steps(mut self, yes: bool) -> Self {
        self.skip_data_steps = yes;
        self
    }

    /// Calls `f` after each migration applied or reverted, e.g. to print
    /// [`Step::log_line`]. Without it the migrator prints nothing.
    pub fn on_step(mut self, f: impl FnMut(&Step) + 'a) -> Self {
        self.observer = Some(Box::new(f));
        self
    }

    /// Before an upgrade or downgrade changes anything, copy the SQLite
    /// database to `<db>.<UTC stamp>.bak` beside it, under the run lock, and
    /// keep only the newest `keep` copies (all when `None`). No copy is made
    /// when nothing is pending or the database is still empty. The copy is
    /// written to a temporary file and named only once complete and synced.
    /// On PostgreSQL and MySQL the run fails before changing anything: use
    /// `pg_dump` or `mysqldump`.
    pub fn backup_first(mut self, keep: Option<usize>) -> Self {
        self.backup = Some(keep);
        self
    }

    /// The backup the last run took ([`Migrator::backup_first`]), if any.
    pub fn last_backup(&self) -> Option<&std::path::Path> {
        self.last_backup.as_deref()
    }

    /// How long an upgrade, downgrade or stamp waits for another run to
    /// release the run lock before it fails with [`Error::LockTimeout`]
    /// (default [`DEFAULT_LOCK_WAIT`], ten minutes). The lock is polled, never
    /// waited for inside the database, so a `lock_timeout` the connection
    /// carries cannot make the wait fail early.
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// How long a migration's statements wait for a table lock (PostgreSQL
    /// `lock_timeout` within the migration's transaction, MySQL
    /// `lock_wait_timeout`) before the migration is rolled back and tried
    /// again; `None` waits as the connection is configured. Default
    /// [`DEFAULT_LOCK_TIMEOUT`]: an `ALTER TABLE` queued behind a long query
    /// otherwise queues every query on that table behind itself.
    pub fn lock_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// How many times a migration that timed out waiting for a lock is tried
    /// again, with a growing pause and some jitter, before the run fails with
    /// [`Error::LockRetriesExhausted`] (default [`DEFAULT_LOCK_RETRIES`]). In
    /// a transaction it is rolled back and starts over; without one (DDL on
    /// MySQL) it resumes at the statement that timed out.
    pub fn lock_retries(mut self, retries: u32) -> Self {
        self.lock_retries = retries;
        self
    }

    /// Cancels a statement of a migration's transaction that runs longer than
    /// `timeout` (PostgreSQL `statement_timeout`, `SET LOCAL`; the migration
    /// then fails and rolls back). Off by default; never applied to data steps
    /// (`op.run`), nor to migrations without a transaction.
    pub fn statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Called while a run waits for the run lock, after a second and then
    /// every five seconds, with a line saying who holds it; when the run
    /// takes over a lock row whose lease ran out or whose holder is gone,
    /// naming it; and before a migration is tried again after a lock
    /// timeout, saying who blocked it.
    pub fn on_lock_wait(mut self, f: impl FnMut(&str) + 'a) -> Self {
        self.lock_observer = Some(Box::new(f));
        self
    }

    /// Called with a line now and then while a long data step runs
    /// ([`crate::ops::Op::run_in_batches`]: rows done, rate), and when a
    /// resumed migration finds that the operation an interrupted run was
    /// running had taken effect (it is then not run again).
    pub fn on_progress(mut self, f: impl FnMut(&str) + 'static) -> Self {
        self.progress = Some(std::rc::Rc::new(std::cell::RefCell::new(f)));
        self
    }

    /// The run lock the last command could not take (a SQLite lock file that
    /// cannot be created): it then ran each migration under the database's
    /// write lock, re-reading the version first, and refused any migration
    /// without a transaction ([`Error::NoRunLock`]).
    pub fn ran_without_run_lock(&self) -> Option<&str> {
        self.last_lockless.as_deref()
    }

    /// The chain.
    pub fn chain(&self) -> &Chain {
        self.chain
    }

    /// The version table name.
    pub fn table(&self) -> &str {
        &self.version_table
    }

    fn read_versions(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<Vec<String>> {
        let sql = format!(
            "SELECT {} AS v FROM {}",
            b.text("version_num"),
            b.dialect().quote_ident(&self.version_table)
        );
        let mut out = Vec::new();
        for v in conn.query_text(&sql)? {
            match v {
                Some(v) if !v.trim().is_empty() => out.push(v),
                other => {
                    return Err(Error::BadVersionRow {
                        table: self.version_table.clone(),
                        found: if other.is_none() {
                            "NULL"
                        } else {
                            "an empty string"
                        },
                    })
                }
            }
        }
        Ok(out)
    }

    /// The one row of the version table, or none.
    fn version_row(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<Option<String>> {
        let mut v = self.read_versions(conn, b)?;
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.pop()),
            _ => Err(Error::MultipleVersions {
                table: self.version_table.clone(),
                revisions: v,
            }),
        }
    }

    /// The revision recorded in the database (`None` at base or without a version
    /// table), as stored: it may be unknown to the chain. Creates nothing.
    /// A database that diesel_migrations managed, with no revision of ours yet,
    /// is at the revision its `__diesel_schema_migrations` rows reach.
    pub fn stored_revision(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        let b = backend::of(conn);
        if b.table_exists(conn, &self.version_table)? {
            if let Some(rev) = self.version_row(conn, b)? {
                return Ok(Some(rev));
            }
        }
        Ok(self
            .diesel_position(conn, b)?
            .flatten()
            .map(|p| self.chain.migrations()[p].revision().to_owned()))
    }

    /// Where `__diesel_schema_migrations` puts a database that this tool has
    /// not run on yet (no ledger; the caller has found no version row):
    /// `None` when it does not apply, `Some(None)` when diesel applied nothing.
    fn diesel_position(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
    ) -> Result<Option<Position>> {
        // Once the ledger exists the version table alone says where the
        // database is: after `downgrade base` the diesel rows are history.
        let ledger = sql::version::ledger_table(&self.version_table);
        if !b.table_exists(conn, super::diesel::TABLE)? || b.table_exists(conn, &ledger)? {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {} AS v FROM {}",
            b.text("version"),
            b.dialect().quote_ident(super::diesel::TABLE)
        );
        let versions: Vec<String> = conn.query_text(&sql)?.into_iter().flatten().collect();
        super::diesel::position(self.chain, &versions).map(Some)
    }

    /// Adopts a database that diesel_migrations managed: the version table
    /// (which must exist) gets the revision `__diesel_schema_migrations`
    /// reaches, and the ledger that the run then opens records the revisions
    /// up to it as adopted, as for a database Alembic managed.
    fn adopt_diesel(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<()> {
        if self.version_row(conn, b)?.is_some() {
            return Ok(());
        }
        if let Some(Some(p)) = self.diesel_position(conn, b)? {
            let rev = self.chain.migrations()[p].revision();
            if let Some(sql) = sql::version::set(b.dialect(), &self.version_table, None, Some(rev))
            {
                conn.execute(&sql)?;
            }
        }
        Ok(())
    }

    /// The current revision, checked against the chain. Creates nothing.
    pub fn current(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        let rev = self.stored_revision(conn)?;
        if let Some(r) = &rev {
            if self.chain.position_of(r).is_none() {
                return Err(Error::UnknownRevision(r.clone()));
            }
        }
        Ok(rev)
    }

    /// The current position in the chain. Creates nothing.
    pub(crate) fn position(&self, conn: &mut AnyConnection) -> Result<Position> {
        Ok(match self.current(conn)? {
            Some(r) => self.chain.position_of(&r),
            None => None,
        })
    }

    /// True when the database is at the chain's head with nothing left to
    /// apply (no revision skipped below it, none half-applied): the cheap
    /// start-up health check.
    pub fn is_at_head(&self, conn: &mut AnyConnection) -> Result<bool> {
        // The plain case in one round trip: at head, every revision applied.
        if let Some((at, ledger)) = self.glance(conn)? {
            if Some(at) != self.chain.head_position() {
                return Ok(false);
            }
            // As below: every revision applied is the plain case.
            if ledger.entries().len() == self.chain.len() {
                return Ok(true);
            }
        }
        if self.position(conn)? != self.chain.head_position() {
            return Ok(false);
        }
        let b = backend::of(conn);
        match Ledger::counts(conn, b, &self.version_table)? {
            None => Ok(true),
            Some((applied, 0)) if applied == self.chain.len() => Ok(true),
            // Not the plain case: judge by the ledger as an upgrade would see it.
            Some(_) => Ok(self.verify(conn).is_ok()),
        }
    }

    /// The chain position and the ledger of a database in the plain case,
    /// read in one query (see [`Ledger::glance`]); `None` when it is not (or
    /// cannot be told so cheaply) and the full reads must decide.
    pub(crate) fn glance(&self, conn: &mut AnyConnection) -> Result<Option<(usize, Ledger)>> {
        let b = backend::of(conn);
        let Some((rev, ledger)) = Ledger::glance(conn, b, &self.version_table)? else {
            return Ok(None);
        };
        let Some(at) = self.chain.position_of(&rev) else {
            return Err(Error::UnknownRevision(rev));
        };
        // The version row agrees with the ledger, as after any run.
        if ledger.reconcile_is_noop(self.chain, Some(at)) {
            Ok(Some((at, ledger)))
        } else {
            Ok(None)
        }
    }

    /// Whether `ledger` (every row applied) holds an upgrade from `current`
    /// to `to` with nothing to run and nothing to refuse: no edited migration,
    /// no revision skipped below.
    fn nothing_to_do(
        &self,
        ledger: &Ledger,
        current: Position,
        to: Position,
        d: Dialect,
    ) -> Result<bool> {
        ledger.verify(self.chain)?;
        Ok(self.upgrade_jobs(ledger, current, to, d)?.is_empty())
    }

    /// The position recorded in an existing version table.
    pub(crate) fn position_in_table(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
    ) -> Result<Position> {
        match self.version_row(conn, b)? {
            None => Ok(None),
            Some(rev) => self
                .chain
                .position_of(&rev)
                .map(Some)
                .ok_or(Error::UnknownRevision(rev)),
        }
    }

    /// Polls the run lock until it is taken or [`Migrator::lock_wait`] has
    /// passed, saying who holds it while it waits.
    fn take_lock(&mut self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<RunLock> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        let mut report_at = start + Duration::from_secs(1);
        // Without session locks, the lock is a row with a lease, whatever the database.
        let session = b.capabilities().session_locks;
        loop {
            let attempt = if session {
                b.try_lock(conn, &self.version_table)?
            } else {
                lock_row::try_take(conn, b, &self.version_table)?
            };
            let name = match attempt {
                TryLock::Taken(lock, over) => {
                    // Said, as a run that went ahead of another may have to be
                    // looked into (the other was killed, or cut off).
                    if let (Some(over), Some(f)) = (over, self.lock_observer.as_mut()) {
                        f(&format!("Took over the run lock from {over}"));
                    }
                    return Ok(lock);
                }
                TryLock::Busy(name) => name,
            };
            let now = Instant::now();
            let waited = now.duration_since(start);
            if waited >= self.lock_wait {
                return Err(Error::LockTimeout {
                    waited,
                    lock: name,
                    holder: self
                        .lock_holder(conn, b)
                        .unwrap_or_else(|e| Some(format!("a session this user cannot see ({e})"))),
                });
            }
            if now >= report_at {
                report_at = now + Duration::from_secs(5);
                let holder = match self.lock_observer {
                    Some(_) => self
                        .lock_holder(conn, b)
                        .unwrap_or_else(|e| Some(format!("a session this user cannot see ({e})"))),
                    None => None,
                };
                let lock_wait = self.lock_wait;
                if let Some(f) = self.lock_observer.as_mut() {
                    f(&format!(
                        "Waiting for {name}, held by {} ({} s so far, giving up after {} s)",
                        holder.as_deref().unwrap_or("another run"),
                        waited.as_secs(),
                        lock_wait.as_secs()
                    ));
                }
            }
            std::thread::sleep(pause.min(self.lock_wait - waited));
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    /// Who holds the run lock: the backend tells, or where it has no session
    /// locks, the lock row does.
    fn lock_holder(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<Option<String>> {
        if b.capabilities().session_locks {
            b.lock_holder(conn, &self.version_table)
        } else {
            lock_row::holder_of(conn, b, &self.version_table)
        }
    }

    /// Renews the lease of a lock row, or finds the lock lost; a session lock
    /// needs nothing. Called between migrations and statements, outside any
    /// transaction (inside one, the renewal would wait for its commit).
    pub(super) fn keep_lock(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<()> {
        match &self.held {
            Some(RunLock::Row { holder, .. }) => {
                lock_row::renew(conn, b.dialect(), &self.version_table, holder)
            }
            _ => Ok(()),
        }
    }

    /// Runs `f` under the run lock, as a migration run would (`migrate restore`).
    #[cfg(feature = "cli")]
    pub(crate) fn locked<T>(
        &mut self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut AnyConnection) -> Result<T>,
    ) -> Result<T> {
        self.with_lock(conn, |_, conn, _| f(conn))
    }

    fn with_lock<T>(
        &mut self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut Self, &mut AnyConnection, &'static dyn Backend) -> Result<T>,
    ) -> Result<T> {
        let b = backend::of(conn);
        // The version table and the ledger's names, with their keys' names.
        let ledger = sql::version::ledger_table(&self.version_table);
        for name in [
            self.version_table.clone(),
            format!("{}_pkc", self.version_table),
            format!("{ledger}_pkc"),
        ] {
            b.dialect().check_identifier("version table", &name)?;
        }
        let lock = self.take_lock(conn, b)?;
        self.lockless = match &lock {
            RunLock::PerStep(missing) => missing.clone(),
            _ => None,
        };
        // A PostgreSQL lock row means a pooler in between (a Galera row does
        // not, nor one taken where there are no session locks).
        let caps = b.capabilities();
        self.pooled =
            matches!(lock, RunLock::Row { .. }) && caps.transactional_ddl && caps.session_locks;
        let keeper = match (&lock, &self.lease_url) {
            (RunLock::Row { holder, .. }, Some(url)) => Some(super::lease::Keeper::start(
                url.clone(),
                b.dialect(),
                self.version_table.clone(),
                holder.clone(),
                super::lease::EVERY,
            )),
            _ => None,
        };
        self.held = Some(lock);
        let sink = self.progress.clone();
        let out = crate::progress::with_sink(sink, || f(self, conn, b));
        // Stopped before the row goes. A keeper that could not keep it leaves
        // the run's own renewals, which find a lost lock themselves.
        if let Some(why) = keeper.and_then(super::lease::Keeper::stop) {
            if let Some(obs) = self.lock_observer.as_mut() {
                obs(&format!(
                    "The lock's lease was renewed between statements only: {why}"
                ));
            }
        }
        self.last_lockless = self.lockless.take();
        let out = match (out, self.restore_lock_waits(conn, b)) {
            (Ok(v), Ok(())) => Ok(v),
            (Ok(_), Err(e)) | (Err(e), Ok(())) => Err(e),
            (Err(e), Err(c)) => Err(Error::cleanup(e, c)),
        };
        let unlocked = match self.held.take() {
            // Taken by take_lock itself: the backend has no session lock.
            Some(RunLock::Row { holder, .. }) if !b.capabilities().session_locks => {
                lock_row::release(conn, b.dialect(), &self.version_table, &holder)
            }
            Some(lock) => b.unlock(conn, &self.version_table, lock),
            None => Ok(()),
        };
        let out = out?;
        unlocked?;
        Ok(out)
    }

    fn ensure_version_table(&self, conn: &mut AnyConnection, b: &dyn Backend) -> Result<()> {
        if !b.table_exists(conn, &self.version_table)? {
            conn.execute(&sql::version::create(b.dialect(), &self.version_table))?;
        }
        Ok(())
    }

    /// Upgrades to `target` (`head`, `+N`, a revision or prefix, `<rev>+N`).
    /// Returns the migrations applied. Refuses, before changing anything, an
    /// applied migration whose code changed ([`Error::Edited`]) and revisions
    /// below the current one that never ran here ([`Error::OutOfOrder`], unless
    /// [`Migrator::out_of_order`]).
    pub fn upgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.idle_at = None;
        self.refuse_backup_elsewhere(conn)?;
        // Nothing to do, the common case at every deploy and service start,
        // told from one query without the lock: a run in progress has not
        // committed its last step, so the database does not look up to date.
        // Only that answer is given here; any refusal (an edited migration, a
        // revision skipped below, a bad target) is decided under the lock,
        // after a run in progress (say an `--out-of-order` one filling the
        // gap), in the full path's order.
        let d = backend::of(conn).dialect();
        if let Ok(Some((at, ledger))) = self.glance(conn) {
            if matches!(self.chain.resolve(target, Some(at)), Ok(to) if to == Some(at))
                && matches!(self.nothing_to_do(&ledger, Some(at), Some(at), d), Ok(true))
            {
                self.last_lockless = None;
                self.idle_at = Some(Some(at));
                return Ok(Vec::new());
            }
        }
        self.with_lock(conn, |this, conn, b| {
            // The plain case in one query; otherwise the tables are made and
            // the ledger brought in line first.
            let (current, mut ledger) = match this.glance(conn)? {
                Some((at, ledger)) => (Some(at), ledger),
                None => {
                    this.ensure_version_table(conn, b)?;
                    this.adopt_diesel(conn, b)?;
                    let current = this.position_in_table(conn, b)?;
                    let ledger = Ledger::open(conn, b, &this.version_table, this.chain, current)?;
                    (current, ledger)
                }
            };
            ledger.verify(this.chain)?;
            let to = this.chain.resolve(target, current)?;
            if to < current {
                return Err(Error::WrongDirection {
                    target: target.to_owned(),
                    current: this.rev_name(current),
                    command: "downgrade",
                });
            }
            let jobs = this.upgrade_jobs(&ledger, current, to, b.dialect())?;
            this.run(conn, b, &mut ledger, Direction::Upgrade, current, jobs)
        })
    }

    /// The chain positions an upgrade to `to` runs, in order.
    pub(super) fn upgrade_jobs(
        &self,
        ledger: &Ledger,
        current: Position,
        to: Position,
        d: Dialect,
    ) -> Result<Vec<usize>> {
        let ms = self.chain.migrations();
        if let Some(h) = ledger.half() {
            let p = self
                .chain
                .position_of(&h.revision)
                .ok_or_else(|| Error::UnknownRevision(h.revision.clone()))?;
            if h.state == LedgerState::Downgrading {
                return Err(self.half_applied(
                    h,
                    "an upgrade would apply migrations on top of a half-reverted one".into(),
                    d,
                ));
            }
            if Some(p) > to {
                let refused = format!("the target {} lies below it", self.rev_name(to));
                return Err(self.half_applied(h, refused, d));
            }
        }
        // A half-applied migration is resumed, never counted as skipped.
        let half = ledger.half().map(|h| h.revision.as_str());
        let end = to.map_or(0, |t| t + 1);
        let jobs: Vec<usize> = (0..end)
            .filter(|&i| !ledger.is_applied(ms[i].revision()))
            .collect();
        let missing: Vec<(String, usize)> = jobs
            .iter()
            .filter(|&&i| current.is_some_and(|c| i < c) && half != Some(ms[i].revision()))
            .map(|&i| (ms[i].revision().to_owned(), i + 1))
            .collect();
        if !missing.is_empty() && !self.out_of_order {
            return Err(Error::OutOfOrder {
                missing,
                current: self.rev_name(current),
            });
        }
        Ok(jobs)
    }

    /// Downgrades to `target` (`-N`, `base`, a revision or prefix): `-N`
    /// reverts the last N migrations that ran on this database (after an
    /// out-of-order upgrade, not the chain's last N), the others everything
    /// above the target in the chain. Returns the migrations reverted, in the
    /// reverse of the order they ran.
    /// Fails before changing anything when an irreversible migration lies in
    /// the way, or a migration is half-applied.
    pub fn downgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.idle_at = None;
        self.refuse_backup_elsewhere(conn)?;
        self.with_lock(conn, |this, conn, b| {
            let glanced = this.glance(conn)?;
            let current = match &glanced {
                Some((at, _)) => Some(*at),
                None => this.position(conn)?,
            };
            let to = this.chain.resolve(target, current)?;
            if to > current {
                return Err(Error::WrongDirection {
                    target: target.to_owned(),
                    current: this.rev_name(current),
                    command: "upgrade",
                });
            }
            let mut ledger = match glanced {
                Some((_, ledger)) => ledger,
                None => {
                    this.ensure_version_table(conn, b)?;
                    this.adopt_diesel(conn, b)?;
                    Ledger::open(conn, b, &this.version_table, this.chain, current)?
                }
            };
            // `-N` undoes the last N migrations that ran here, which after an
            // out-of-order upgrade are not the chain's last N.
            let jobs = match steps_back(target) {
                Some(n) => this.last_run_jobs(&ledger, n, target, b.dialect())?,
                None => this.downgrade_jobs(&ledger, to, b.dialect())?,
            };
            if let Some(m) = jobs
                .iter()
                .map(|&i| &this.chain.migrations()[i])
                .find(|m| !m.is_reversible())
            {
                return Err(Error::Irreversible {
                    revision: m.revision().to_owned(),
                    message: m.message().to_owned(),
                });
            }
            this.run(conn, b, &mut ledger, Direction::Downgrade, current, jobs)
        })
    }

    /// The chain positions a downgrade to `to` reverts, in the reverse of the
    /// order they ran here.
    fn downgrade_jobs(&self, ledger: &Ledger, to: Position, d: Dialect) -> Result<Vec<usize>> {
        let mut jobs = Vec::new();
        if let Some(h) = ledger.half() {
            if h.state == LedgerState::Upgrading {
                return Err(self.half_applied(
                    h,
                    "a downgrade would revert migrations below a half-applied one".into(),
                    d,
                ));
            }
        }
        for r in ledger.entries().iter().rev() {
            let i = self
                .chain
                .position_of(&r.revision)
                .ok_or_else(|| Error::UnknownRevision(r.revision.clone()))?;
            if to.is_none_or(|t| i > t) {
                jobs.push((r.state == LedgerState::Downgrading, i));
            }
        }
        // A half-reverted migration finishes first; the rest go newest first.
        jobs.sort_by_key(|&(half, _)| !half);
        Ok(jobs.into_iter().map(|(_, i)| i).collect())
    }

    /// A backup asked for on a database that is no SQLite file is refused
    /// before anything is created (the lock, the version table, the ledger).
    fn refuse_backup_elsewhere(&self, conn: &mut AnyConnection) -> Result<()> {
        if self.backup.is_some() {
            super::backup::sqlite_file(conn)?;
        }
        Ok(())
    }

    /// The chain positions of the last `n` migrations applied here, newest
    /// first (a half-reverted one first of all): what `downgrade -N` reverts.
    fn last_run_jobs(
        &self,
        ledger: &Ledger,
        n: usize,
        target: &str,
        d: Dialect,
    ) -> Result<Vec<usize>> {
        let all = self.downgrade_jobs(ledger, None, d)?;
        if n > all.len() {
            return Err(Error::BadTarget(format!(
                "Relative revision {target} didn't produce {n} migrations: only {} applied to this database",
                all.len()
            )));
        }
        Ok(all.into_iter().take(n).collect())
    }

    fn half_applied(&self, h: &LedgerEntry, refused: String, d: Dialect) -> Error {
        let i = self.chain.position_of(&h.revision);
        let m = i.map(|i| &self.chain.migrations()[i]);
        let rev = &h.revision;
        let (direction, fix) = if h.state == LedgerState::Upgrading {
            // The operations as the run counted them: prepared as it prepared them.
            let ran = m
                .and_then(|m| m.record_upgrade().ok())
                .and_then(|op| super::plan::prepare(op.into_operations(), d).ok())
                .map(|ops| {
                    ops[..h.ops_done.min(ops.len())]
                        .iter()
                        .map(|o| o.describe())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                "upgrade",
                format!(
                    "finish it: fix the migration if it failed and run `migrate upgrade` (it resumes at operation {}); or undo by hand what ran ({}) and run `migrate forget {rev}`",
                    h.ops_done + 1,
                    if ran.is_empty() { "nothing" } else { &ran }
                ),
            )
        } else {
            (
                "downgrade",
                format!(
                    "finish it with `migrate downgrade` to below {rev} (it resumes at operation {}), or redo by hand what it reverted and run `migrate forget {rev}` to keep it applied",
                    h.ops_done + 1,
                ),
            )
        };
        Error::HalfApplied(Box::new(HalfApplied {
            revision: h.revision.clone(),
            message: m.map(|m| m.message().to_owned()).unwrap_or_default(),
            direction,
            done: h.ops_done,
            total: h.ops_total,
            note: h.note.clone(),
            refused,
            fix,
        }))
    }

    /// Sets the version to `target` without running migrations, and the ledger
    /// to match: the revisions up to the target count as applied (`adopted`),
    /// those above it, and any half-applied one, as not. With `purge`, the
    /// version table is emptied first, whatever it holds (unknown revisions
    /// too), and relative targets count from base. The target is resolved before
    /// anything is written, and the change is one transaction where the backend
    /// has transactions. Returns the revision stamped (`None` is base).
    pub fn stamp(
        &mut self,
        conn: &mut AnyConnection,
        target: &str,
        purge: bool,
    ) -> Result<Option<&'a str>> {
        let chain = self.chain;
        let p = self.stamp_position(conn, target, purge)?;
        Ok(p.map(|i| chain.migrations()[i].revision()))
    }

    /// [`Migrator::stamp`], returning the position stamped.
    pub(crate) fn stamp_position(
        &mut self,
        conn: &mut AnyConnection,
        target: &str,
        purge: bool,
    ) -> Result<Position> {
        self.with_lock(conn, |this, conn, b| {
            this.ensure_version_table(conn, b)?;
            let d = b.dialect();
            let current = if purge { None } else { this.position(conn)? };
            let to = this.chain.resolve(target, current)?;
            let from_rev = current.map(|i| this.chain.migrations()[i].revision());
            let to_rev = to.map(|i| this.chain.migrations()[i].revision());
            let mut stmts = Vec::new();
            if purge {
                stmts.push(format!(
                    "DELETE FROM {}",
                    d.quote_ident(&this.version_table)
                ));
            }
            if purge || from_rev != to_rev {
                let from = if purge { None } else { from_rev };
                stmts.extend(sql::version::set(d, &this.version_table, from, to_rev));
            }
            let mut ledger = Ledger::read(conn, b, &this.version_table, false)?;
            if !ledger.exists() {
                conn.execute(&sql::version::ledger_create(d, &this.version_table))?;
            }
            conn.begin()?;
            let written = stmts
                .iter()
                .try_for_each(|s| conn.execute(s))
                .and_then(|()| this.stamp_ledger(conn, d, &mut ledger, to));
            if let Err(e) = written {
                return Err(super::step::abort(conn, e));
            }
            conn.commit()?;
            Ok(to)
        })
    }

    /// Records that a database no migration tool managed is at `revision`, a
    /// baseline just written from it and not yet compiled into the chain:
    /// the version table only, as Alembic would leave it, so that the build
    /// that has the baseline adopts it (see `run/ledger.rs`). Refused when
    /// the database already records a revision.
    #[cfg(feature = "cli")]
    pub(crate) fn stamp_baseline(
        &mut self,
        conn: &mut AnyConnection,
        revision: &str,
    ) -> Result<()> {
        self.with_lock(conn, |this, conn, b| {
            this.ensure_version_table(conn, b)?;
            if let Some(r) = this.version_row(conn, b)? {
                return Err(Error::Usage(format!(
                    "the database already records revision {r}: a baseline is for a database no migration tool manages yet"
                )));
            }
            match sql::version::set(b.dialect(), &this.version_table, None, Some(revision)) {
                Some(s) => conn.execute(&s),
                None => Ok(()),
            }
        })
    }

    /// The ledger after a stamp at `to`: everything up to it applied, nothing above.
    fn stamp_ledger(
        &self,
        conn: &mut AnyConnection,
        d: crate::dialect::Dialect,
        ledger: &mut Ledger,
        to: Position,
    ) -> Result<()> {
        let keep = to.map_or(0, |t| t + 1);
        let ms = &self.chain.migrations()[..keep];
        let drop: Vec<String> = ledger
            .entries()
            .iter()
            .filter(|r| !r.state.is_applied() || !ms.iter().any(|m| m.revision() == r.revision))
            .map(|r| r.revision.clone())
            .collect();
        for r in drop {
            ledger.remove(conn, d, &r)?;
        }
        let note = format!("stamped at {}", self.rev_name(to));
        for m in ms {
            if ledger.get(m.revision()).is_none() {
                let e = ledger.entry(m, LedgerState::Adopted, 0, 0, None, Some(note.clone()));
                ledger.insert(conn, d, e)?;
            }
        }
        Ok(())
    }

    /// What this database's ledger holds, in the order revisions were applied
    /// (empty when it has none yet: it is created by the first upgrade). Creates nothing.
    pub fn ledger(&self, conn: &mut AnyConnection) -> Result<Vec<LedgerEntry>> {
        let b = backend::of(conn);
        Ok(Ledger::read(conn, b, &self.version_table, true)?
            .entries()
            .to_vec())
    }

    /// Records the current checksum of an applied migration that was edited,
    /// after review (`migrate accept`), with who accepted it and when.
    /// Returns false when there was nothing to accept.
    pub fn accept(&mut self, conn: &mut AnyConnection, revision: &str, by: &str) -> Result<bool> {
        let i = self.chain.find(revision)?;
        self.with_lock(conn, |this, conn, b| {
            let mut ledger = Ledger::read(conn, b, &this.version_table, false)?;
            ledger.accept(conn, b.dialect(), &this.chain.migrations()[i], by)
        })
    }

    /// What stands between the database and a clean upgrade to head, without
    /// changing anything: an edited applied migration, revisions that never ran
    /// below the current one, a half-applied migration, an unknown revision.
    pub fn verify(&self, conn: &mut AnyConnection) -> Result<()> {
        let b = backend::of(conn);
        let current = self.position(conn)?;
        let ledger = self.ledger_view_at(conn, current, false)?;
        if !ledger.exists() {
            return Ok(());
        }
        ledger.verify(self.chain)?;
        if let Some(h) = ledger.half() {
            return Err(self.half_applied(h, "it must be finished first".into(), b.dialect()));
        }
        self.upgrade_jobs(&ledger, current, current, b.dialect())
            .map(|_| ())
    }

    #[cfg(feature = "cli")]
    /// Whether the ledger is the plain case for a database at `current`: every
    /// revision up to it applied, none half-applied, nothing to say. Two small
    /// queries instead of the rows: what `current` checks first.
    pub(crate) fn ledger_is_plain(
        &self,
        conn: &mut AnyConnection,
        current: Position,
    ) -> Result<bool> {
        let b = backend::of(conn);
        Ok(match Ledger::counts(conn, b, &self.version_table)? {
            None => true,
            Some((applied, half)) => half == 0 && applied == current.map_or(0, |c| c + 1),
        })
    }

    /// The ledger as the next upgrade will find it (brought in line with the
    /// version table at `current`), read without writing; every field of every
    /// row with `full` (see [`Ledger::read`]).
    pub(crate) fn ledger_view_at(
        &self,
        conn: &mut AnyConnection,
        current: Position,
        full: bool,
    ) -> Result<Ledger> {
        let b = backend::of(conn);
        let ledger = Ledger::read(conn, b, &self.version_table, full)?;
        Ok(ledger.reconciled(self.chain, current))
    }

    /// Forgets a half-applied (or half-reverted) migration after its completed
    /// operations were undone (or redone) by hand: the ledger then holds it as
    /// not applied (or as applied again), and runs go on. Refuses anything else.
    pub fn forget(&mut self, conn: &mut AnyConnection, revision: &str) -> Result<()> {
        let i = self.chain.find(revision)?;
        self.with_lock(conn, |this, conn, b| {
            let m = &this.chain.migrations()[i];
            let mut ledger = Ledger::read(conn, b, &this.version_table, false)?;
            let d = b.dialect();
            match ledger.get(m.revision()).map(|e| e.state) {
                Some(LedgerState::Upgrading) => ledger.remove(conn, d, m.revision()),
                Some(LedgerState::Downgrading) => ledger.mark_applied(conn, d, m.revision()),
                _ => Err(Error::Usage(format!(
                    "revision {} is not half-applied here: there is nothing to forget (use upgrade, downgrade or stamp)",
                    m.revision()
                ))),
            }
        })
    }

    pub(crate) fn rev_name(&self, p: Position) -> String {
        p.map_or_else(
            || "base".to_owned(),
            |i| self.chain.migrations()[i].revision().to_owned(),
        )
    }
}
