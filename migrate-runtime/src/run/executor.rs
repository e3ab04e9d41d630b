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

use std::time::Duration;

use crate::backend::{self, Backend};
use crate::chain::{Chain, Position};
use crate::db::conn::AnyConnection;
use crate::error::{Error, Result};
use crate::sql;

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
    pub(crate) observer: Option<Observer<'a>>,
}

impl<'a> Migrator<'a> {
    /// A migrator for `chain` with Alembic's version table.
    pub fn new(chain: &'a Chain) -> Self {
        Migrator {
            chain,
            version_table: DEFAULT_VERSION_TABLE.to_owned(),
            one_transaction: false,
            observer: None,
        }
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

    /// Calls `f` after each migration applied or reverted, e.g. to print
    /// [`Step::log_line`]. Without it the migrator prints nothing.
    pub fn on_step(mut self, f: impl FnMut(&Step) + 'a) -> Self {
        self.observer = Some(Box::new(f));
        self
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
        Ok(conn.query_text(&sql)?.into_iter().flatten().collect())
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
    pub fn stored_revision(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        let b = backend::of(conn);
        if !b.table_exists(conn, &self.version_table)? {
            return Ok(None);
        }
        self.version_row(conn, b)
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

    /// True when the database is at the chain's head: the cheap start-up health check.
    pub fn is_at_head(&self, conn: &mut AnyConnection) -> Result<bool> {
        Ok(self.position(conn)? == self.chain.head_position())
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

    fn with_lock<T>(
        &mut self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut Self, &mut AnyConnection, &'static dyn Backend) -> Result<T>,
    ) -> Result<T> {
        let b = backend::of(conn);
        let lock = b.lock(conn, &self.version_table)?;
        let out = f(self, conn, b);
        let unlocked = b.unlock(conn, &self.version_table, lock);
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
    /// Returns the migrations applied.
    pub fn upgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.with_lock(conn, |this, conn, b| {
            this.ensure_version_table(conn, b)?;
            let current = this.position_in_table(conn, b)?;
            let to = this.chain.resolve(target, current)?;
            if to < current {
                return Err(Error::WrongDirection {
                    target: target.to_owned(),
                    current: this.rev_name(current),
                    command: "downgrade",
                });
            }
            this.run(conn, b, Direction::Upgrade, current, to)
        })
    }

    /// Downgrades to `target` (`-N`, `base`, a revision or prefix).
    /// Returns the migrations reverted. Fails before changing anything when an
    /// irreversible migration lies in the way.
    pub fn downgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.with_lock(conn, |this, conn, b| {
            let current = this.position(conn)?;
            let to = this.chain.resolve(target, current)?;
            if to > current {
                return Err(Error::WrongDirection {
                    target: target.to_owned(),
                    current: this.rev_name(current),
                    command: "upgrade",
                });
            }
            let lo = to.map_or(0, |i| i + 1);
            if let Some(cur) = current {
                if let Some(m) = this.chain.migrations()[lo..=cur]
                    .iter()
                    .rev()
                    .find(|m| !m.is_reversible())
                {
                    return Err(Error::Irreversible {
                        revision: m.revision().to_owned(),
                        message: m.message().to_owned(),
                    });
                }
            }
            this.ensure_version_table(conn, b)?;
            this.run(conn, b, Direction::Downgrade, current, to)
        })
    }

    /// Sets the version to `target` without running migrations. With `purge`,
    /// the version table is emptied first, whatever it holds (unknown revisions
    /// too), and relative targets count from base. The target is resolved before
    /// anything is written, and the change is one transaction where the backend
    /// has transactions.
    /// Returns the revision stamped (`None` is base).
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
            if stmts.is_empty() {
                return Ok(to);
            }
            conn.begin()?;
            if let Err(e) = stmts.iter().try_for_each(|s| conn.execute(s)) {
                return Err(super::step::abort(conn, e));
            }
            conn.commit()?;
            Ok(to)
        })
    }

    pub(crate) fn rev_name(&self, p: Position) -> String {
        p.map_or_else(
            || "base".to_owned(),
            |i| self.chain.migrations()[i].revision().to_owned(),
        )
    }
}
