//! Applying and reverting migrations on a live database.
//!
//! Guarantees, per dialect:
//! - PostgreSQL and SQLite: each migration and its version bump commit together
//!   (or the whole run in one transaction with [`Migrator::one_transaction`]); a
//!   failure rolls the failing migration back and leaves the database at the
//!   last good revision.
//! - MySQL/MariaDB commit DDL implicitly: the version row is written after each
//!   migration, so a re-run resumes where a failure stopped.
//! - A lock serializes concurrent runs: a PostgreSQL advisory lock, a MySQL
//!   `GET_LOCK`, or on SQLite an OS file lock on `<db>-migrate.lock`, for the
//!   whole run; on SQLite every step also takes the write lock (`BEGIN
//!   IMMEDIATE`) and re-reads the version under it. Concurrent processes apply
//!   each migration exactly once.

use std::time::{Duration, Instant};

use crate::chain::{Chain, Migration, Position};
use crate::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::Error;
use crate::ops::Operation;
use crate::rebuild;
use crate::render::{self, ExistingColumn, SchemaFacts};
use crate::Result;

/// The default version table name, Alembic's.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";

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
pub fn format_duration(d: Duration) -> String {
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
    chain: &'a Chain,
    version_table: String,
    one_transaction: bool,
    observer: Option<Observer<'a>>,
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

    /// Runs the whole range in one transaction (PostgreSQL and SQLite): all or nothing.
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

    fn version_table_exists(&self, conn: &mut AnyConnection) -> Result<bool> {
        let d = conn.dialect();
        let name = d.quote_str(&self.version_table);
        let sql = match d {
            Dialect::Sqlite => format!("SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name = {name}"),
            Dialect::Postgres => format!(
                "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = {name}"
            ),
            Dialect::Mysql => format!(
                "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = {name}"
            ),
        };
        Ok(!conn.query_text(&sql)?.is_empty())
    }

    fn read_versions(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        let d = conn.dialect();
        let cast = if d == Dialect::Mysql { "CHAR" } else { "TEXT" };
        let sql = format!(
            "SELECT CAST(version_num AS {cast}) AS v FROM {}",
            d.quote_ident(&self.version_table)
        );
        Ok(conn.query_text(&sql)?.into_iter().flatten().collect())
    }

    /// The revision recorded in the database (`None` at base or without a version
    /// table), as stored: it may be unknown to the chain. Creates nothing.
    pub fn stored_revision(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        if !self.version_table_exists(conn)? {
            return Ok(None);
        }
        let mut v = self.read_versions(conn)?;
        match v.len() {
            0 => Ok(None),
            1 => Ok(v.pop()),
            _ => Err(Error::MultipleVersions {
                table: self.version_table.clone(),
                revisions: v,
            }),
        }
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
    pub fn position(&self, conn: &mut AnyConnection) -> Result<Position> {
        Ok(match self.current(conn)? {
            Some(r) => self.chain.position_of(&r),
            None => None,
        })
    }

    /// True when the database is at the chain's head: the cheap start-up health check.
    pub fn is_at_head(&self, conn: &mut AnyConnection) -> Result<bool> {
        Ok(self.position(conn)? == self.chain.head_position())
    }

    fn position_in_tx(&self, conn: &mut AnyConnection) -> Result<Position> {
        let mut v = self.read_versions(conn)?;
        let rev = match v.len() {
            0 => return Ok(None),
            1 => v.pop().unwrap_or_default(),
            _ => {
                return Err(Error::MultipleVersions {
                    table: self.version_table.clone(),
                    revisions: v,
                })
            }
        };
        self.chain
            .position_of(&rev)
            .map(Some)
            .ok_or(Error::UnknownRevision(rev))
    }

    /// The name of the MySQL lock: GET_LOCK names are limited to 64 characters,
    /// so the database and table names are hashed into it.
    fn mysql_lock_name(&self) -> String {
        format!(
            "CONCAT('migrate:', SHA1(CONCAT(DATABASE(), ':', {})))",
            Dialect::Mysql.quote_str(&self.version_table)
        )
    }

    /// SQLite has no advisory lock: a lock file beside the database file
    /// (`<db>-migrate.lock`, locked with the OS's file lock, released when the
    /// file is closed, also when the process dies) serializes runs the way
    /// PostgreSQL's advisory lock does. An in-memory database needs none. When
    /// the file cannot be created (a read-only directory), the run goes on with
    /// the per-step write lock only.
    fn sqlite_lock_file(&self, conn: &mut AnyConnection) -> Result<Option<std::fs::File>> {
        let path = conn
            .query_text("SELECT file AS v FROM pragma_database_list WHERE name = 'main'")?
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_default();
        if path.is_empty() {
            return Ok(None);
        }
        // One lock per version table, as on PostgreSQL and MySQL: two chains
        // sharing a database file do not wait for each other.
        let suffix = if self.version_table == DEFAULT_VERSION_TABLE {
            String::new()
        } else {
            format!("-{:016x}", lock_key(&self.version_table))
        };
        let lock_path = format!("{path}-migrate{suffix}.lock");
        let Ok(file) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
        else {
            return Ok(None);
        };
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Message(format!(
                        "timed out after 600 s waiting for another migration run to release {lock_path}"
                    )))
                }
                // A file system without locks: fall back to the per-step write lock.
                Err(std::fs::TryLockError::Error(_)) => return Ok(None),
            }
        }
    }

    fn lock(&self, conn: &mut AnyConnection) -> Result<Option<std::fs::File>> {
        match conn.dialect() {
            Dialect::Postgres => conn
                .execute(&format!(
                    "SELECT pg_advisory_lock({})",
                    lock_key(&self.version_table)
                ))
                .map(|()| None),
            Dialect::Mysql => {
                let got = conn.query_text(&format!(
                    "SELECT CAST(GET_LOCK({}, 600) AS CHAR) AS v",
                    self.mysql_lock_name()
                ))?;
                if got.first().and_then(|v| v.as_deref()) == Some("1") {
                    Ok(None)
                } else {
                    Err(Error::Message("timed out after 600 s waiting for another migration run to release its lock".into()))
                }
            }
            Dialect::Sqlite => self.sqlite_lock_file(conn),
        }
    }

    fn unlock(&self, conn: &mut AnyConnection) -> Result<()> {
        match conn.dialect() {
            Dialect::Postgres => conn.execute(&format!(
                "SELECT pg_advisory_unlock({})",
                lock_key(&self.version_table)
            )),
            Dialect::Mysql => conn
                .query_text(&format!(
                    "SELECT CAST(RELEASE_LOCK({}) AS CHAR) AS v",
                    self.mysql_lock_name()
                ))
                .map(|_| ()),
            Dialect::Sqlite => Ok(()),
        }
    }

    fn with_lock<T>(
        &mut self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut Self, &mut AnyConnection) -> Result<T>,
    ) -> Result<T> {
        let lock_file = self.lock(conn)?;
        let out = f(self, conn);
        let unlocked = self.unlock(conn);
        // Closing the file releases the SQLite run lock.
        drop(lock_file);
        let out = out?;
        unlocked?;
        Ok(out)
    }

    fn ensure_version_table(&self, conn: &mut AnyConnection) -> Result<()> {
        if !self.version_table_exists(conn)? {
            conn.execute(&render::version::create(
                conn.dialect(),
                &self.version_table,
            ))?;
        }
        Ok(())
    }

    /// Upgrades to `target` (`head`, `+N`, a revision or prefix, `<rev>+N`).
    /// Returns the migrations applied.
    pub fn upgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.with_lock(conn, |this, conn| {
            this.ensure_version_table(conn)?;
            let current = this.position_in_tx(conn)?;
            let to = this.chain.resolve(target, current)?;
            if to < current {
                return Err(Error::BadTarget(format!(
                    "target {target} is below the current revision {}: use downgrade",
                    this.rev_name(current)
                )));
            }
            this.run(conn, Direction::Upgrade, current, to)
        })
    }

    /// Downgrades to `target` (`-N`, `base`, a revision or prefix).
    /// Returns the migrations reverted. Fails before changing anything when an
    /// irreversible migration lies in the way.
    pub fn downgrade(&mut self, conn: &mut AnyConnection, target: &str) -> Result<Vec<Step>> {
        self.with_lock(conn, |this, conn| {
            let current = this.position(conn)?;
            let to = this.chain.resolve(target, current)?;
            if to > current {
                return Err(Error::BadTarget(format!(
                    "target {target} is above the current revision {}: use upgrade",
                    this.rev_name(current)
                )));
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
            this.ensure_version_table(conn)?;
            this.run(conn, Direction::Downgrade, current, to)
        })
    }

    /// Sets the version to `target` without running migrations. With `purge`,
    /// the version table is emptied first, whatever it holds (unknown revisions
    /// too), and relative targets count from base. The target is resolved before
    /// anything is written, and the change is one transaction where the dialect has them.
    pub fn stamp(
        &mut self,
        conn: &mut AnyConnection,
        target: &str,
        purge: bool,
    ) -> Result<Position> {
        self.with_lock(conn, |this, conn| {
            this.ensure_version_table(conn)?;
            let d = conn.dialect();
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
                if let Some(sql) = render::version::set(
                    d,
                    &this.version_table,
                    if purge { None } else { from_rev },
                    to_rev,
                ) {
                    stmts.push(sql);
                }
            }
            if stmts.is_empty() {
                return Ok(to);
            }
            conn.begin()?;
            match stmts.iter().try_for_each(|s| conn.execute(s)) {
                Ok(()) => conn.commit()?,
                Err(e) => {
                    let _ = conn.rollback();
                    return Err(e);
                }
            }
            Ok(to)
        })
    }

    fn rev_name(&self, p: Position) -> String {
        p.map_or_else(
            || "base".to_owned(),
            |i| self.chain.migrations()[i].revision().to_owned(),
        )
    }

    fn plan(m: &Migration, direction: Direction, dialect: Dialect) -> Result<Vec<Operation>> {
        let plan = match direction {
            Direction::Upgrade => m.plan_upgrade(),
            Direction::Downgrade => m.plan_downgrade(),
        }?;
        rebuild::prepare(plan.into_operations(), dialect)
    }

    fn sqlite_foreign_keys_on(conn: &mut AnyConnection) -> Result<bool> {
        Ok(conn
            .query_text("SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys")?
            .first()
            .and_then(|v| v.as_deref())
            == Some("1"))
    }

    /// Switches SQLite's foreign key enforcement off for a table rebuild, and
    /// makes sure it went off: SQLite silently ignores the pragma inside a
    /// transaction, and a rebuild with enforcement on would run the ON DELETE
    /// actions of referencing tables when the old table is dropped.
    fn foreign_keys_off(conn: &mut AnyConnection) -> Result<()> {
        conn.execute("PRAGMA foreign_keys = OFF")?;
        if Self::sqlite_foreign_keys_on(conn)? {
            return Err(Error::Message(
                "a SQLite table rebuild needs foreign key enforcement switched off, which SQLite refuses inside an open transaction; run the migrations outside of a transaction".into(),
            ));
        }
        Ok(())
    }

    /// After rebuilds with enforcement off: the rebuilt tables and the tables that
    /// reference them must still satisfy their foreign keys. (Other tables are not
    /// checked: violations there are older than this migration.)
    fn check_foreign_keys(conn: &mut AnyConnection, rebuilt: &[String]) -> Result<()> {
        let q = |s: &str| Dialect::Sqlite.quote_str(s);
        let mut tables: Vec<String> = rebuilt.to_vec();
        for t in rebuilt {
            let referencing = conn.query_text(&format!(
                "SELECT DISTINCT m.name AS v FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f.\"table\" = {}",
                q(t)
            ))?;
            tables.extend(referencing.into_iter().flatten());
        }
        tables.sort();
        tables.dedup();
        // A table rebuilt earlier in a run may have been dropped since.
        let existing: Vec<String> = conn
            .query_text("SELECT name AS v FROM sqlite_master WHERE type = 'table'")?
            .into_iter()
            .flatten()
            .collect();
        tables.retain(|t| existing.contains(t));
        let mut bad = Vec::new();
        for t in &tables {
            bad.extend(conn.query_text(&format!(
                "SELECT \"table\" || ' row ' || ifnull(rowid, '?') || ' -> ' || parent AS v FROM pragma_foreign_key_check({})",
                q(t)
            ))?);
        }
        if bad.is_empty() {
            Ok(())
        } else {
            let list: Vec<String> = bad.into_iter().flatten().take(10).collect();
            Err(Error::Message(format!(
                "foreign key violations after the change: {}",
                list.join("; ")
            )))
        }
    }

    fn run(
        &mut self,
        conn: &mut AnyConnection,
        direction: Direction,
        current: Position,
        to: Position,
    ) -> Result<Vec<Step>> {
        let d = conn.dialect();
        let whole = self.one_transaction && d.transactional_ddl();
        // PRAGMA foreign_keys is ignored inside a transaction: a run-wide
        // transaction that rebuilds tables must switch enforcement off before it.
        let mut fk_off = false;
        if whole && d == Dialect::Sqlite && Self::sqlite_foreign_keys_on(conn)? {
            let mut cur = current;
            while let Some((m, _, next)) = self.next_step(cur, to, direction) {
                if Self::plan(m, direction, d)
                    .map(|ops| ops.iter().any(rebuild::may_rebuild))
                    .unwrap_or(false)
                {
                    Self::foreign_keys_off(conn)?;
                    fk_off = true;
                    break;
                }
                cur = next;
            }
        }
        let result = self.run_in(conn, direction, current, to, whole, fk_off);
        if fk_off {
            // Restored on every path: the caller may keep using the connection.
            let _ = conn.execute("PRAGMA foreign_keys = ON");
        }
        result
    }

    fn run_in(
        &mut self,
        conn: &mut AnyConnection,
        direction: Direction,
        current: Position,
        to: Position,
        whole: bool,
        fk_off: bool,
    ) -> Result<Vec<Step>> {
        if !whole {
            return self
                .run_steps(conn, direction, current, to, false)
                .map(|(steps, _)| steps);
        }
        conn.begin()?;
        // SQLite holds no lock before this BEGIN IMMEDIATE: read where we are again.
        let current = if conn.dialect() == Dialect::Sqlite {
            match self.position_in_tx(conn) {
                Ok(c) => c,
                Err(e) => {
                    let _ = conn.rollback();
                    return Err(e);
                }
            }
        } else {
            current
        };
        let mut result = self.run_steps(conn, direction, current, to, true);
        if fk_off {
            if let Ok((_, rebuilt)) = &result {
                if let Err(e) = Self::check_foreign_keys(conn, rebuilt) {
                    result = Err(e);
                }
            }
        }
        match result {
            Ok((steps, _)) => {
                conn.commit()?;
                Ok(steps)
            }
            Err(e) => {
                let _ = conn.rollback();
                Err(e)
            }
        }
    }

    /// Applies the steps from `current` to `to`. Returns them, and the tables
    /// rebuilt (for the run-wide foreign key check).
    fn run_steps(
        &mut self,
        conn: &mut AnyConnection,
        direction: Direction,
        current: Position,
        to: Position,
        whole: bool,
    ) -> Result<(Vec<Step>, Vec<String>)> {
        let d = conn.dialect();
        let mut steps = Vec::new();
        let mut rebuilt_all = Vec::new();
        // PostgreSQL and MySQL hold a lock for the whole run, so the position read
        // under it stays true; SQLite has no such lock and re-reads the version
        // under the write lock at every step (see `step`).
        let mut cur = current;
        while let Some((m, from, next)) = self.next_step(cur, to, direction) {
            let ops = Self::plan(m, direction, d)
                .map_err(|e| failure(m, direction, 0, 0, "planning".into(), e))?;
            let tx = d.transactional_ddl() && m.transactional() && !whole;
            let fk_off = d == Dialect::Sqlite
                && !whole
                && ops.iter().any(rebuild::may_rebuild)
                && Self::sqlite_foreign_keys_on(conn)?;
            if fk_off {
                Self::foreign_keys_off(conn)?;
            }
            let started = Instant::now();
            let outcome = self.step(conn, m, direction, (from, next), ops, tx, whole, fk_off);
            if fk_off {
                let _ = conn.execute("PRAGMA foreign_keys = ON");
            }
            match outcome? {
                StepOutcome::Moved(now) => {
                    cur = now;
                    continue;
                }
                StepOutcome::Applied(rebuilt) => rebuilt_all.extend(rebuilt),
            }
            let step = Step {
                direction,
                from: from.map(|i| self.chain.migrations()[i].revision()),
                to: next.map(|i| self.chain.migrations()[i].revision()),
                message: m.message(),
                elapsed: started.elapsed(),
            };
            if let Some(obs) = self.observer.as_mut() {
                obs(&step);
            }
            steps.push(step);
            cur = next;
        }
        Ok((steps, rebuilt_all))
    }

    /// Runs one migration, in its transaction when it has one.
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        conn: &mut AnyConnection,
        m: &Migration,
        direction: Direction,
        (from, next): (Position, Position),
        ops: Vec<Operation>,
        tx: bool,
        whole: bool,
        fk_off: bool,
    ) -> Result<StepOutcome> {
        let sqlite = conn.dialect() == Dialect::Sqlite;
        if tx {
            conn.begin()?;
            if sqlite {
                // Under SQLite's write lock now: another process may have moved the version.
                match self.position_in_tx(conn) {
                    Ok(now) if now == from => {}
                    Ok(now) => {
                        conn.rollback()?;
                        return Ok(StepOutcome::Moved(now));
                    }
                    Err(e) => {
                        let _ = conn.rollback();
                        return Err(e);
                    }
                }
            }
        } else if whole && !m.transactional() {
            // A migration that must not run in a transaction ends the one in progress.
            conn.commit()?;
        } else if sqlite && !whole {
            let now = self.position_in_tx(conn)?;
            if now != from {
                return Ok(StepOutcome::Moved(now));
            }
        }
        let mut outcome = self.apply(conn, m, direction, from, next, ops);
        // Checked at the end of every step that rebuilt a table (in a run-wide
        // transaction too), under the table's current name: renames are followed.
        if fk_off || (whole && sqlite) {
            let check = match &outcome {
                Ok(rebuilt) if !rebuilt.is_empty() => Self::check_foreign_keys(conn, rebuilt),
                _ => Ok(()),
            };
            if let Err(e) = check {
                outcome = Err(failure(m, direction, 0, 0, "foreign key check".into(), e));
            }
        }
        match outcome {
            Ok(rebuilt) => {
                if tx {
                    conn.commit()?;
                } else if whole && !m.transactional() {
                    conn.begin()?;
                }
                Ok(StepOutcome::Applied(rebuilt))
            }
            Err(e) => {
                if tx {
                    let _ = conn.rollback();
                } else if whole && !m.transactional() {
                    // Re-open the run-wide transaction so that the caller's rollback has one to end.
                    let _ = conn.begin();
                }
                Err(e)
            }
        }
    }

    fn next_step(
        &self,
        cur: Position,
        to: Position,
        direction: Direction,
    ) -> Option<(&'a Migration, Position, Position)> {
        let ms: &'a [Migration] = self.chain.migrations();
        match direction {
            Direction::Upgrade if cur < to => {
                let next = cur.map_or(0, |i| i + 1);
                Some((&ms[next], cur, Some(next)))
            }
            Direction::Downgrade if cur > to => {
                let i = cur?;
                Some((&ms[i], cur, i.checked_sub(1)))
            }
            _ => None,
        }
    }

    /// Runs a migration's operations and its version bump. Returns the tables it rebuilt.
    fn apply(
        &self,
        conn: &mut AnyConnection,
        m: &Migration,
        direction: Direction,
        from: Position,
        next: Position,
        ops: Vec<Operation>,
    ) -> Result<Vec<String>> {
        let d = conn.dialect();
        let total = ops.len();
        let mut rebuilt = Vec::new();
        let mut ops: Vec<Option<Operation>> = ops.into_iter().map(Some).collect();
        let mut i = 0;
        while i < total {
            let Some(op) = ops[i].take() else {
                i += 1;
                continue;
            };
            let desc = op.describe();
            if d == Dialect::Sqlite && rebuild::may_rebuild(&op) {
                // Consecutive changes to one table share a single rebuild.
                match sqlite_rebuild(conn, &op, &ops, i) {
                    Ok(Some((j, table))) => {
                        rebuilt.push(table);
                        i = j;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => {
                        // A failed RENAME may leave the pragma on for this connection.
                        let _ = conn.execute("PRAGMA legacy_alter_table = OFF");
                        return Err(failure(m, direction, i + 1, total, desc, e));
                    }
                }
            }
            let renamed = match &op {
                Operation::RenameTable { from, to } => Some((from.clone(), to.clone())),
                _ => None,
            };
            let r = match op {
                Operation::Run { f, .. } => f(conn),
                other => {
                    let rendered = render::operation(d, &other, &mut LiveFacts { conn });
                    rendered.and_then(|stmts| stmts.iter().try_for_each(|s| conn.execute(s)))
                }
            };
            r.map_err(|e| failure(m, direction, i + 1, total, desc, e))?;
            // A rebuilt table renamed later is checked under its new name.
            if let Some((from, to)) = renamed {
                for t in rebuilt.iter_mut().filter(|t| **t == from) {
                    *t = to.clone();
                }
            }
            i += 1;
        }
        let from_rev = from.map(|i| self.chain.migrations()[i].revision());
        let to_rev = next.map(|i| self.chain.migrations()[i].revision());
        if let Some(sql) = render::version::set(d, &self.version_table, from_rev, to_rev) {
            conn.execute(&sql)
                .map_err(|e| failure(m, direction, total, total, "version bump".into(), e))?;
        }
        Ok(rebuilt)
    }
}

enum StepOutcome {
    /// Applied; the tables rebuilt on the way.
    Applied(Vec<String>),
    /// Another process moved the version first: here it is now.
    Moved(Position),
}

/// Rebuilds the table of `op` (at index `i`) together with the operations right
/// after it on the same table. Returns the index after the group and the table,
/// or `None` when SQLite can make the change in place. Outside a transaction (a
/// `transaction = false` migration) the rebuild gets one of its own: its
/// statements must never be half applied.
fn sqlite_rebuild(
    conn: &mut AnyConnection,
    op: &Operation,
    ops: &[Option<Operation>],
    i: usize,
) -> Result<Option<(usize, String)>> {
    let Some(table) = rebuild::table_of(op).map(str::to_owned) else {
        return Ok(None);
    };
    let src = rebuild::live_source(conn, &table)?;
    if !rebuild::needs_rebuild(op, &src)? {
        return Ok(None);
    }
    let mut group = vec![op];
    let mut j = i + 1;
    while let Some(Some(o)) = ops.get(j) {
        if rebuild::may_rebuild(o)
            && rebuild::table_of(o) == Some(table.as_str())
            && rebuild::needs_rebuild(o, &src)?
        {
            group.push(o);
            j += 1;
        } else {
            break;
        }
    }
    let stmts = rebuild::plan(&table, &src, &group)?;
    let own_tx = !conn.in_transaction()?;
    if own_tx {
        conn.begin()?;
    }
    let r = stmts.iter().try_for_each(|s| conn.execute(s));
    let r = r.and_then(|()| {
        if own_tx {
            Migrator::check_foreign_keys(conn, std::slice::from_ref(&table))
        } else {
            Ok(())
        }
    });
    match (r, own_tx) {
        (Ok(()), true) => conn.commit()?,
        (Ok(()), false) => {}
        (Err(e), own) => {
            if own {
                let _ = conn.rollback();
            }
            return Err(e);
        }
    }
    Ok(Some((j, table)))
}

fn failure(
    m: &Migration,
    direction: Direction,
    index: usize,
    total: usize,
    operation: String,
    source: Error,
) -> Error {
    Error::MigrationFailed {
        direction: direction.as_str(),
        revision: m.revision().to_owned(),
        message: m.message().to_owned(),
        index,
        total,
        operation,
        source: Box::new(source),
    }
}

/// A stable 63-bit key for `pg_advisory_lock`, from the version table name
/// (FNV-1a: the same on every platform and build).
fn lock_key(table: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("migrate-runtime:{table}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}

/// Schema facts read from the live database.
struct LiveFacts<'c> {
    conn: &'c mut AnyConnection,
}

impl SchemaFacts for LiveFacts<'_> {
    fn existing_column(&mut self, table: &str, column: &str) -> Result<Option<ExistingColumn>> {
        if self.conn.dialect() != Dialect::Mysql {
            return Ok(None);
        }
        let q = |s: &str| Dialect::Mysql.quote_str(s);
        let sql = format!(
            "SELECT CONCAT_WS(CHAR(31), COLUMN_TYPE, IS_NULLABLE, IFNULL(EXTRA, ''), IF(COLUMN_DEFAULT IS NULL, 'N', 'Y'), IFNULL(COLUMN_DEFAULT, ''), IF(VERSION() LIKE '%MariaDB%', 'M', 'O'), IFNULL(CHARACTER_SET_NAME, ''), IFNULL(COLLATION_NAME, ''), IFNULL(COLUMN_COMMENT, '')) AS v \
             FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = {} AND column_name = {}",
            q(table),
            q(column)
        );
        let Some(Some(row)) = self.conn.query_text(&sql)?.into_iter().next() else {
            return Ok(None);
        };
        let parts: Vec<&str> = row.split('\u{1f}').collect();
        let [ty, nullable, extra, has_default, default, flavour, charset, collation, comment] =
            parts.as_slice()
        else {
            return Ok(None);
        };
        let extra = extra.to_ascii_lowercase();
        let default_sql = if *has_default == "Y" {
            // MariaDB reports defaults as SQL (quoted literals, NULL, expressions);
            // MySQL reports the bare value and flags expressions in EXTRA.
            if *flavour == "M" {
                (*default != "NULL").then(|| (*default).to_owned())
            } else if extra.contains("default_generated") {
                Some(format!("({default})"))
            } else {
                Some(Dialect::Mysql.quote_str(default))
            }
        } else {
            None
        };
        Ok(Some(ExistingColumn {
            column_type: (*ty).to_owned(),
            nullable: *nullable == "YES",
            default_sql,
            auto_increment: extra.contains("auto_increment"),
            // MODIFY would reset these to the table's defaults: restate them.
            charset: (!charset.is_empty() && !collation.is_empty())
                .then(|| format!("CHARACTER SET {charset} COLLATE {collation}")),
            on_update: extra
                .find("on update ")
                .map(|i| extra[i..].trim().to_uppercase()),
            comment: (!comment.is_empty()).then(|| Dialect::Mysql.quote_str(comment)),
        }))
    }
}
