//! Start-up upgrades: what a service calls before it serves.

use std::time::Duration;

use crate::chain::Chain;
use crate::db::conn::AnyConnection;
use crate::error::Result;
use crate::run::executor::Migrator;

/// Applies every pending migration of `chain` to the database at `url`: the
/// one call a service makes at start-up. Each migration's line (Alembic's
/// `Running upgrade ...`) is reported as [`Startup`] says. Returns the
/// revision the database is at.
///
/// ```
/// # fn main() -> migrate_runtime::Result<()> {
/// # use migrate_runtime::prelude::*;
/// # fn up(op: &mut Op) -> Result<()> { op.create_table("t").column(col::<Integer>("id")); Ok(()) }
/// # let chain = Chain::new(vec![Migration::new("a1", None, "initial", up, None)])?;
/// let dir = tempfile::tempdir().unwrap();
/// let url = format!("sqlite:///{}/app.db", dir.path().display());
/// let revision = migrate_runtime::upgrade_to_head(&chain, &url)?;
/// assert_eq!(revision.as_deref(), Some("a1"));
/// # Ok(()) }
/// ```
pub fn upgrade_to_head(chain: &Chain, url: &str) -> Result<Option<String>> {
    Startup::new(chain).url(url).run()
}

/// A start-up upgrade with options: the URL found as `migrate` finds it, a
/// SQLite backup first.
///
/// ```no_run
/// fn start(migrations: &migrate_runtime::Chain) -> migrate_runtime::Result<()> {
///     // DATABASE_URL, else .env; a copy of a SQLite database before anything
///     // changes, the newest 5 kept.
///     migrate_runtime::Startup::new(migrations).backup(Some(5)).run()?;
///     Ok(())
/// }
/// ```
///
/// Returned from `main`, an error prints its message and hint (its `Debug`
/// is written for people). The lines of the run (`Running upgrade ...`, a
/// wait for the run lock, a data step's progress) go to the [`log`] facade
/// under the target `migrate`, at `info` (a wait at `warn`), when the service
/// has set a logger (`env_logger`, or `tracing` through its log bridge), so
/// that they land in the service's own logs; without a logger they go to
/// standard error, as the `migrate` command prints them.
#[derive(Debug, Clone)]
#[must_use = "a Startup does nothing until `.run()`"]
pub struct Startup<'a> {
    chain: &'a Chain,
    url: Option<String>,
    backup: Option<Option<usize>>,
    version_table: Option<String>,
    lock_wait: Option<Duration>,
    lock_timeout: Option<Option<Duration>>,
    lock_retries: Option<u32>,
}

impl<'a> Startup<'a> {
    /// A start-up upgrade of `chain`, to the database [`crate::database_url`] finds.
    pub fn new(chain: &'a Chain) -> Self {
        Startup {
            chain,
            url: None,
            backup: None,
            version_table: None,
            lock_wait: None,
            lock_timeout: None,
            lock_retries: None,
        }
    }

    /// The database to upgrade, instead of `DATABASE_URL` or `.env`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Copies a SQLite database beside itself before the first migration
    /// runs, keeping the newest `keep` copies (all with `None`); see
    /// [`Migrator::backup_first`]. On PostgreSQL and MySQL no copy is made
    /// and a warning says so (take those backups with `pg_dump` or
    /// `mysqldump` before deploying): a service whose `.env` points at
    /// SQLite in development and at a server in production starts in both.
    pub fn backup(mut self, keep: Option<usize>) -> Self {
        self.backup = Some(keep);
        self
    }

    /// Uses another version table than `alembic_version` (as `migrate
    /// --version-table`); see [`Migrator::version_table`].
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = Some(name.into());
        self
    }

    /// How long to wait for another replica's run to finish; see
    /// [`Migrator::lock_wait`] (default [`crate::DEFAULT_LOCK_WAIT`]).
    pub fn lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = Some(wait);
        self
    }

    /// How long a migration's statements wait for a table lock before it is
    /// tried again; see [`Migrator::lock_timeout`] (default
    /// [`crate::DEFAULT_LOCK_TIMEOUT`]).
    pub fn lock_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// How many times a migration that timed out on a lock is tried again;
    /// see [`Migrator::lock_retries`] (default [`crate::DEFAULT_LOCK_RETRIES`]).
    pub fn lock_retries(mut self, retries: u32) -> Self {
        self.lock_retries = Some(retries);
        self
    }

    /// Runs the upgrade. Returns the revision the database is at. A SQLite
    /// file that does not exist yet is created, and a line says so (a typo
    /// in the path shows). When the upgrade fails after the backup was
    /// taken, the backup's path is still reported before the error returns.
    pub fn run(self) -> Result<Option<String>> {
        let url = match self.url {
            Some(u) => u,
            None => crate::db::env::database_url()?,
        };
        let missing = crate::db::url::missing_sqlite_file(&url);
        let mut conn = AnyConnection::establish(&url)?;
        // Said once the connection stands (a missing parent directory fails
        // it), so that a typo in the path is seen.
        if let Some(p) = missing {
            report(
                log::Level::Info,
                &format!("Creating the new SQLite database {}", p.display()),
            );
        }
        let mut migrator = Migrator::new(self.chain)
            .on_step(|s| report(log::Level::Info, &s.log_line()))
            .on_lock_wait(|w| report(log::Level::Warn, w))
            .on_progress(|p| report(log::Level::Info, p))
            .lease_url(&url);
        match self.backup {
            Some(keep) if conn.dialect() == crate::dialect::Dialect::Sqlite => {
                migrator = migrator.backup_first(keep);
            }
            Some(_) => report(
                log::Level::Warn,
                "No backup taken: .backup() copies SQLite databases only; back up PostgreSQL and MySQL with pg_dump or mysqldump before deploying",
            ),
            None => {}
        }
        if let Some(t) = self.version_table {
            migrator = migrator.version_table(t);
        }
        if let Some(w) = self.lock_wait {
            migrator = migrator.lock_wait(w);
        }
        if let Some(t) = self.lock_timeout {
            migrator = migrator.lock_timeout(t);
        }
        if let Some(r) = self.lock_retries {
            migrator = migrator.lock_retries(r);
        }
        let upgraded = migrator.upgrade(&mut conn, "head");
        // Before the error, if any: the copy is what a failed run restores from.
        if let Some(p) = migrator.last_backup() {
            report(
                log::Level::Info,
                &format!("Backed up the database to {}", p.display()),
            );
        }
        upgraded?;
        migrator.current(&mut conn)
    }
}

/// A line of the run: to the service's logger when it has one, else to
/// standard error.
pub(crate) fn report(level: log::Level, line: &str) {
    if log::log_enabled!(target: "migrate", level) {
        log::log!(target: "migrate", level, "{line}");
    } else if log::max_level() == log::LevelFilter::Off {
        eprintln!("{line}");
    }
}
