//! Applying and reverting migrations on a live database.
//!
//! Guarantees, per dialect:
//! - PostgreSQL and SQLite: each migration and its version bump commit together
//!   (or the whole run in one transaction with [`Migrator::one_transaction`]); a
//!   failure rolls the failing migration back and leaves the database at the
//!   last good revision.
//! - MySQL/MariaDB commit DDL implicitly: the version row is written after each
//!   migration, so a re-run resumes where a failure stopped.
//! - A lock serializes concurrent runs: a PostgreSQL advisory lock or a MySQL
//!   `GET_LOCK` for the whole run; on SQLite every step takes the write lock
//!   (`BEGIN IMMEDIATE`) and re-reads the version under it, so concurrent
//!   processes apply each migration exactly once.

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

    fn lock(&self, conn: &mut AnyConnection) -> Result<()> {
        match conn.dialect() {
            Dialect::Postgres => conn.execute(&format!(
                "SELECT pg_advisory_lock({})",
                lock_key(&self.version_table)
            )),
            Dialect::Mysql => {
                let name = Dialect::Mysql.quote_str(&format!("migrate:{}", self.version_table));
                let got = conn.query_text(&format!(
                    "SELECT CAST(GET_LOCK(CONCAT(DATABASE(), {name}), 600) AS CHAR) AS v"
                ))?;
                if got.first().and_then(|v| v.as_deref()) == Some("1") {
                    Ok(())
                } else {
                    Err(Error::Message("timed out after 600 s waiting for another migration run to release its lock".into()))
                }
            }
            Dialect::Sqlite => Ok(()),
        }
    }

    fn unlock(&self, conn: &mut AnyConnection) -> Result<()> {
        match conn.dialect() {
            Dialect::Postgres => conn.execute(&format!(
                "SELECT pg_advisory_unlock({})",
                lock_key(&self.version_table)
            )),
            Dialect::Mysql => {
                let name = Dialect::Mysql.quote_str(&format!("migrate:{}", self.version_table));
                conn.query_text(&format!(
                    "SELECT CAST(RELEASE_LOCK(CONCAT(DATABASE(), {name})) AS CHAR) AS v"
                ))
                .map(|_| ())
            }
            Dialect::Sqlite => Ok(()),
        }
    }

    fn with_lock<T>(
        &mut self,
        conn: &mut AnyConnection,
        f: impl FnOnce(&mut Self, &mut AnyConnection) -> Result<T>,
    ) -> Result<T> {
        self.lock(conn)?;
        let out = f(self, conn);
        let unlocked = self.unlock(conn);
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
            let current = this.position(conn)?;
            let to = this.chain.resolve(target, current)?;
            if to < current {
                return Err(Error::BadTarget(format!(
                    "target {target} is below the current revision {}: use downgrade",
                    this.rev_name(current)
                )));
            }
            this.run(conn, Direction::Upgrade, to)
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
            this.run(conn, Direction::Downgrade, to)
        })
    }

    /// Sets the version to `target` without running migrations. With `purge`,
    /// first empties the version table, whatever it holds (unknown revisions too).
    pub fn stamp(
        &mut self,
        conn: &mut AnyConnection,
        target: &str,
        purge: bool,
    ) -> Result<Position> {
        self.with_lock(conn, |this, conn| {
            this.ensure_version_table(conn)?;
            let d = conn.dialect();
            let table = d.quote_ident(&this.version_table);
            let current = if purge {
                conn.execute(&format!("DELETE FROM {table}"))?;
                None
            } else {
                this.position(conn)?
            };
            let to = this.chain.resolve(target, current)?;
            let from_rev = current.map(|i| this.chain.migrations()[i].revision());
            let to_rev = to.map(|i| this.chain.migrations()[i].revision());
            if let Some(sql) = render::version::set(d, &this.version_table, from_rev, to_rev) {
                if from_rev != to_rev {
                    conn.execute(&sql)?;
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

    fn plan(m: &Migration, direction: Direction) -> Result<Vec<Operation>> {
        let plan = match direction {
            Direction::Upgrade => m.plan_upgrade(),
            Direction::Downgrade => m.plan_downgrade(),
        }?;
        Ok(rebuild::split_renames(plan.into_operations()))
    }

    fn sqlite_foreign_keys_on(conn: &mut AnyConnection) -> Result<bool> {
        Ok(conn
            .query_text("SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys")?
            .first()
            .and_then(|v| v.as_deref())
            == Some("1"))
    }

    /// After a rebuild with enforcement off: the data must still satisfy every foreign key.
    fn foreign_key_check(conn: &mut AnyConnection) -> Result<()> {
        let bad = conn.query_text(
            "SELECT \"table\" || ' row ' || ifnull(rowid, '?') || ' -> ' || parent AS v FROM pragma_foreign_key_check",
        )?;
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
        to: Position,
    ) -> Result<Vec<Step>> {
        let d = conn.dialect();
        let whole = self.one_transaction && d.transactional_ddl();
        // PRAGMA foreign_keys is ignored inside a transaction: a run-wide
        // transaction that rebuilds tables must switch enforcement off before it.
        let mut fk_off = false;
        if whole && d == Dialect::Sqlite && Self::sqlite_foreign_keys_on(conn)? {
            let mut cur = self.position(conn)?;
            let mut rebuilds = false;
            while let Some((m, _, next)) = self.next_step(cur, to, direction) {
                if Self::plan(m, direction)
                    .map(|ops| ops.iter().any(rebuild::may_rebuild))
                    .unwrap_or(false)
                {
                    rebuilds = true;
                    break;
                }
                cur = next;
            }
            if rebuilds {
                conn.execute("PRAGMA foreign_keys = OFF")?;
                fk_off = true;
            }
        }
        if whole {
            conn.begin()?;
        }
        let mut result = self.run_steps(conn, direction, to, whole);
        if whole {
            if result.is_ok() && fk_off {
                if let Err(e) = Self::foreign_key_check(conn) {
                    result = Err(e);
                }
            }
            match &result {
                Ok(_) => conn.commit()?,
                Err(_) => {
                    let _ = conn.rollback();
                }
            }
        }
        if fk_off {
            conn.execute("PRAGMA foreign_keys = ON")?;
        }
        result
    }

    fn run_steps(
        &mut self,
        conn: &mut AnyConnection,
        direction: Direction,
        to: Position,
        whole: bool,
    ) -> Result<Vec<Step>> {
        let d = conn.dialect();
        let mut steps = Vec::new();
        loop {
            // Peek at the next migration to plan it and learn whether it wants a
            // transaction; the authoritative read happens under the write lock below.
            let peek = self.position(conn)?;
            let Some((m, from, next)) = self.next_step(peek, to, direction) else {
                break;
            };
            let ops = Self::plan(m, direction)
                .map_err(|e| failure(m, direction, 0, 0, "planning".into(), e))?;
            let tx = d.transactional_ddl() && m.transactional() && !whole;
            let fk_off = d == Dialect::Sqlite
                && !whole
                && ops.iter().any(rebuild::may_rebuild)
                && Self::sqlite_foreign_keys_on(conn)?;
            if fk_off {
                conn.execute("PRAGMA foreign_keys = OFF")?;
            }
            let started = Instant::now();
            let outcome = self.step(
                conn,
                m,
                direction,
                (from, next, peek),
                ops,
                tx,
                whole,
                fk_off,
            );
            if fk_off {
                conn.execute("PRAGMA foreign_keys = ON")?;
            }
            if !outcome? {
                continue;
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
        }
        Ok(steps)
    }

    /// Runs one migration in its transaction. `Ok(false)` when another process
    /// moved the version first (the caller re-reads and goes on).
    #[allow(clippy::too_many_arguments)]
    fn step(
        &self,
        conn: &mut AnyConnection,
        m: &Migration,
        direction: Direction,
        (from, next, peek): (Position, Position, Position),
        ops: Vec<Operation>,
        tx: bool,
        whole: bool,
        fk_off: bool,
    ) -> Result<bool> {
        if tx {
            conn.begin()?;
            // Under the lock now: another process may have moved the version.
            let cur = match self.position_in_tx(conn) {
                Ok(c) => c,
                Err(e) => {
                    let _ = conn.rollback();
                    return Err(e);
                }
            };
            if cur != peek {
                conn.rollback()?;
                return Ok(false);
            }
        } else if whole && !m.transactional() {
            // A migration that must not run in a transaction ends the one in progress.
            conn.commit()?;
        }
        let mut outcome = self.apply(conn, m, direction, from, next, ops);
        if outcome.is_ok() && fk_off {
            outcome = Self::foreign_key_check(conn)
                .map_err(|e| failure(m, direction, 0, 0, "foreign key check".into(), e));
        }
        match outcome {
            Ok(()) => {
                if tx {
                    conn.commit()?;
                } else if whole && !m.transactional() {
                    conn.begin()?;
                }
                Ok(true)
            }
            Err(e) => {
                if tx {
                    let _ = conn.rollback();
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

    fn apply(
        &self,
        conn: &mut AnyConnection,
        m: &Migration,
        direction: Direction,
        from: Position,
        next: Position,
        ops: Vec<Operation>,
    ) -> Result<()> {
        let d = conn.dialect();
        let total = ops.len();
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
                    Ok(Some(j)) => {
                        i = j;
                        continue;
                    }
                    Ok(None) => {}
                    Err(e) => return Err(failure(m, direction, i + 1, total, desc, e)),
                }
            }
            let r = match op {
                Operation::Run { f, .. } => f(conn),
                other => {
                    let rendered = render::operation(d, &other, &mut LiveFacts { conn });
                    rendered.and_then(|stmts| stmts.iter().try_for_each(|s| conn.execute(s)))
                }
            };
            r.map_err(|e| failure(m, direction, i + 1, total, desc, e))?;
            i += 1;
        }
        let from_rev = from.map(|i| self.chain.migrations()[i].revision());
        let to_rev = next.map(|i| self.chain.migrations()[i].revision());
        if let Some(sql) = render::version::set(d, &self.version_table, from_rev, to_rev) {
            conn.execute(&sql)
                .map_err(|e| failure(m, direction, total, total, "version bump".into(), e))?;
        }
        Ok(())
    }
}

/// Rebuilds the table of `op` (at index `i`) together with the operations right
/// after it on the same table. Returns the index after the group, or `None` when
/// SQLite can make the change in place.
fn sqlite_rebuild(
    conn: &mut AnyConnection,
    op: &Operation,
    ops: &[Option<Operation>],
    i: usize,
) -> Result<Option<usize>> {
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
    stmts.iter().try_for_each(|s| conn.execute(s))?;
    Ok(Some(j))
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
            "SELECT CONCAT_WS(CHAR(31), COLUMN_TYPE, IS_NULLABLE, IFNULL(EXTRA, ''), IF(COLUMN_DEFAULT IS NULL, 'N', 'Y'), IFNULL(COLUMN_DEFAULT, ''), IF(VERSION() LIKE '%MariaDB%', 'M', 'O')) AS v \
             FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = {} AND column_name = {}",
            q(table),
            q(column)
        );
        let Some(Some(row)) = self.conn.query_text(&sql)?.into_iter().next() else {
            return Ok(None);
        };
        let parts: Vec<&str> = row.split('\u{1f}').collect();
        let [ty, nullable, extra, has_default, default, flavour] = parts.as_slice() else {
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
        }))
    }
}
