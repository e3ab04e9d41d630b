//! The embedded chain: migrations ordered base to head, and targets within it.

use std::borrow::Cow;

use crate::error::Error;
use crate::error::Result;
use crate::ops::Op;

/// A migration's upgrade or downgrade function.
pub type MigrationFn = fn(&mut Op) -> Result<()>;

/// One migration of the chain.
#[derive(Clone, Copy)]
pub struct Migration {
    revision: &'static str,
    down_revision: Option<&'static str>,
    message: &'static str,
    create_date: Option<&'static str>,
    file: &'static str,
    transactional: bool,
    upgrade: MigrationFn,
    downgrade: Option<MigrationFn>,
    checksum: Option<&'static str>,
    reviewed: Option<&'static str>,
    lock_timeout_ms: Option<u64>,
}

impl std::fmt::Debug for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migration")
            .field("revision", &self.revision)
            .field("down_revision", &self.down_revision)
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl Migration {
    /// A migration built by hand (tests, generated chains). `downgrade: None` marks it irreversible.
    pub const fn new(
        revision: &'static str,
        down_revision: Option<&'static str>,
        message: &'static str,
        upgrade: MigrationFn,
        downgrade: Option<MigrationFn>,
    ) -> Self {
        Migration {
            revision,
            down_revision,
            message,
            create_date: None,
            file: "",
            transactional: true,
            upgrade,
            downgrade,
            checksum: None,
            reviewed: None,
            lock_timeout_ms: None,
        }
    }

    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    pub const fn __new(
        revision: &'static str,
        down_revision: Option<&'static str>,
        message: &'static str,
        create_date: Option<&'static str>,
        file: &'static str,
        transactional: bool,
        upgrade: MigrationFn,
        downgrade: Option<MigrationFn>,
        checksum: &'static str,
    ) -> Self {
        Migration {
            revision,
            down_revision,
            message,
            create_date,
            file,
            transactional,
            upgrade,
            downgrade,
            checksum: Some(checksum),
            reviewed: None,
            lock_timeout_ms: None,
        }
    }

    /// Sets the checksum the ledger records for it (embedded migrations get one
    /// from their file's code; see the ledger in the README). Migrations built by
    /// hand have none unless given one, and are then not checked for edits.
    pub const fn with_checksum(mut self, checksum: &'static str) -> Self {
        self.checksum = Some(checksum);
        self
    }

    /// The checksum of what it does, if it has one.
    pub fn checksum(&self) -> Option<&'static str> {
        self.checksum
    }

    /// Runs outside a transaction when false (`#[migration(transaction = false)]`).
    pub const fn with_transaction(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Accepts every lint finding of this migration after review
    /// (`#[migration(reviewed = "why")]`); lint shows `why` instead.
    pub const fn reviewed(mut self, why: &'static str) -> Self {
        self.reviewed = Some(why);
        self
    }

    /// Why its lint findings were accepted, if they were.
    pub fn review(&self) -> Option<&'static str> {
        self.reviewed
    }

    /// How long its statements wait for a table lock, instead of the run's
    /// setting (`#[migration(lock_timeout = "10s")]`).
    pub const fn with_lock_timeout_ms(mut self, ms: u64) -> Self {
        self.lock_timeout_ms = Some(ms);
        self
    }

    /// Its own lock timeout, if it has one.
    pub fn lock_timeout(&self) -> Option<std::time::Duration> {
        self.lock_timeout_ms.map(std::time::Duration::from_millis)
    }

    /// The revision id.
    pub fn revision(&self) -> &'static str {
        self.revision
    }
    /// The revision it follows, `None` for the first.
    pub fn down_revision(&self) -> Option<&'static str> {
        self.down_revision
    }
    /// Its message.
    pub fn message(&self) -> &'static str {
        self.message
    }
    /// Its `create_date`, if declared.
    pub fn create_date(&self) -> Option<&'static str> {
        self.create_date
    }
    /// The file it came from, relative to the migrations directory.
    pub fn file(&self) -> &'static str {
        self.file
    }
    /// Whether it runs inside a transaction.
    pub fn transactional(&self) -> bool {
        self.transactional
    }
    /// Whether it has a downgrade.
    pub fn is_reversible(&self) -> bool {
        self.downgrade.is_some()
    }
    /// Records its upgrade operations.
    pub fn record_upgrade(&self) -> Result<Op> {
        let mut op = Op::new();
        (self.upgrade)(&mut op)?;
        Ok(op)
    }
    /// Records its downgrade operations.
    pub fn record_downgrade(&self) -> Result<Op> {
        let f = self.downgrade.ok_or_else(|| Error::Irreversible {
            revision: self.revision.to_owned(),
            message: self.message.to_owned(),
        })?;
        let mut op = Op::new();
        f(&mut op)?;
        Ok(op)
    }
}

impl migrate_core::ChainNode for Migration {
    fn revision(&self) -> &str {
        self.revision
    }
    fn down_revision(&self) -> Option<&str> {
        self.down_revision
    }
}

/// A position in the chain: `None` is base (no migration applied), `Some(i)` is
/// "migration `i` is the last applied".
pub type Position = Option<usize>;

/// The migrations of a crate, ordered base to head, as `embed_migrations!` builds them.
///
/// With the feature `diesel-migrations` a chain is also a diesel
/// `MigrationSource` for each backend compiled in, so that diesel_migrations'
/// `MigrationHarness` runs it (`conn.run_pending_migrations(&MIGRATIONS)`,
/// `revert_last_migration`, `run_next_migration`) on diesel's own
/// `SqliteConnection`, `PgConnection` or `MysqlConnection`:
///
/// - each migration runs as the SQL `migrate upgrade --sql` writes for it
///   (SQLite table rebuilds planned from the schema the chain's operations
///   build), without the version table or the ledger; diesel records it in
///   `__diesel_schema_migrations` as its position from 1 in six digits and its
///   revision (`000002_a1b2c3d4e5f6`), so that diesel, which orders versions as
///   strings, applies and reverts in chain order;
/// - a data step (`op.run`, `run_in_batches`) cannot run there: the harness
///   stops before that migration with [`Error::HarnessDataStep`]; apply the
///   chain with `migrate upgrade` or [`crate::upgrade_to_head`], which adopt
///   what the harness applied;
/// - there is no run lock (replicas starting at once may both run a
///   migration), no ledger (no checksum of edited migrations, no resume of a
///   half-applied one), no targets (only "all pending", "the next one" and
///   "revert the last"), no lock timeout or retries;
/// - on SQLite a change that may rebuild a table is planned from that model,
///   so a table made by raw SQL (an imported diesel directory's) cannot be
///   rebuilt there: [`Error::OfflineUnknownTable`]; `migrate upgrade` can;
/// - a migration that may rebuild a SQLite table, or runs with
///   `transaction = false`, is not wrapped in diesel's transaction: its
///   statements carry their own, and diesel records its version after the
///   commit; after a rebuild foreign key enforcement is left on, as the
///   offline script leaves it;
/// - before each migration it checks the rows diesel has (on diesel's own
///   connection types; through a pool's wrapper the checks are skipped): a
///   database with `alembic_version` (the default name; the harness knows no
///   other) is managed by `migrate` and refused ([`Error::HarnessManaged`]), and a chain changed below what was applied
///   (a migration inserted or re-pointed) is refused ([`Error::HarnessOrder`])
///   where diesel would apply it out of order. A migration that diesel applied
///   from the directory `migrate import diesel` read (its row is the revision
///   id itself) is not run again: its row is replaced by the harness's.
#[derive(Debug, Clone)]
pub struct Chain {
    migrations: Cow<'static, [Migration]>,
    dir: &'static str,
    files: &'static [&'static str],
    /// Revision to position, built on first use: a run over a long chain looks
    /// up every revision of the ledger.
    index: std::sync::OnceLock<std::collections::HashMap<&'static str, usize>>,
}

impl Chain {
    #[doc(hidden)]
    pub const fn __new(
        migrations: &'static [Migration],
        dir: &'static str,
        files: &'static [&'static str],
    ) -> Self {
        Chain {
            migrations: Cow::Borrowed(migrations),
            dir,
            files,
            index: std::sync::OnceLock::new(),
        }
    }

    #[doc(hidden)]
    pub const fn __invalid() -> Self {
        Chain {
            migrations: Cow::Borrowed(&[]),
            dir: "",
            files: &[],
            index: std::sync::OnceLock::new(),
        }
    }

    /// Builds a chain at run time from migrations in any order, with the same
    /// rules the compiler applies to embedded chains.
    pub fn new(migrations: Vec<Migration>) -> Result<Self> {
        // No migration yet is a chain too (a new service), as an empty
        // migrations directory is.
        let order = if migrations.is_empty() {
            Ok(Vec::new())
        } else {
            migrate_core::order_chain(&migrations)
        };
        let order = order.map_err(|errs| {
            Error::Chain(
                errs.iter()
                    .map(|e| format!("{e:?}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let ordered = order.into_iter().map(|i| migrations[i]).collect::<Vec<_>>();
        Ok(Chain {
            migrations: Cow::Owned(ordered),
            dir: "",
            files: &[],
            index: std::sync::OnceLock::new(),
        })
    }

    /// The migrations, base to head.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }

    /// Number of migrations.
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// True when there is no migration.
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    /// The head migration.
    pub fn head(&self) -> Option<&Migration> {
        self.migrations.last()
    }

    /// The position of the head.
    pub fn head_position(&self) -> Position {
        self.migrations.len().checked_sub(1)
    }

    /// The migrations directory the chain was compiled from.
    pub fn directory(&self) -> &str {
        self.dir
    }

    /// The position of an exact revision id.
    pub fn position_of(&self, revision: &str) -> Option<usize> {
        self.index
            .get_or_init(|| {
                self.migrations
                    .iter()
                    .enumerate()
                    .map(|(i, m)| (m.revision, i))
                    .collect()
            })
            .get(revision)
            .copied()
    }

    /// Resolves a full revision id or a unique prefix of one.
    pub fn find(&self, rev: &str) -> Result<usize> {
        if let Some(i) = self.position_of(rev) {
            return Ok(i);
        }
        let matches: Vec<usize> = (0..self.migrations.len())
            .filter(|&i| self.migrations[i].revision.starts_with(rev))
            .collect();
        match matches.as_slice() {
            [i] if !rev.is_empty() => Ok(*i),
            [] | [_] => Err(Error::UnknownRevision(rev.to_owned())),
            _ => Err(Error::AmbiguousRevision {
                prefix: rev.to_owned(),
                candidates: matches
                    .iter()
                    .map(|&i| self.migrations[i].revision.to_owned())
                    .collect(),
            }),
        }
    }

    /// The position a target names, from `current`: `head`, `base`, `+N`, `-N`,
    /// a revision or unique prefix, `<rev>+N`, `<rev>-N`, `current`.
    pub fn resolve(&self, target: &str, current: Position) -> Result<Position> {
        let t = target.trim();
        let relative = |from: Position, delta: i64| -> Result<Position> {
            let base = from.map_or(-1, |i| i as i64);
            // Saturating: `+9223372036854775807` is far past the head, not a panic.
            let to = base.saturating_add(delta);
            if to < -1 {
                return Err(Error::BadTarget(format!(
                    "Relative revision {target} didn't produce {} migrations: only {} below the current revision",
                    delta.unsigned_abs(),
                    base + 1
                )));
            }
            if to >= self.migrations.len() as i64 {
                return Err(Error::BadTarget(format!(
                    "Relative revision {target} didn't produce {delta} migrations: only {} above the current revision",
                    self.migrations.len() as i64 - 1 - base
                )));
            }
            Ok(if to < 0 { None } else { Some(to as usize) })
        };
        match t {
            "head" | "heads" => return Ok(self.head_position()),
            "base" => return Ok(None),
            "current" => return Ok(current),
            _ => {}
        }
        if let Some(n) = t
            .strip_prefix('+')
            .or_else(|| t.strip_prefix('-').map(|_| t))
        {
            let delta: i64 = n.parse().map_err(|_| {
                Error::BadTarget(format!(
                    "invalid relative target `{target}`: expected +N or -N"
                ))
            })?;
            return relative(current, delta);
        }
        if let Some(pos) = t.rfind(['+', '-']) {
            let (rev, n) = t.split_at(pos);
            let delta: i64 = n
                .parse()
                .map_err(|_| Error::BadTarget(format!("invalid target `{target}`")))?;
            let from = self.find(rev)?;
            return relative(Some(from), delta);
        }
        Ok(Some(self.find(t)?))
    }

    /// When the migrations directory on disk no longer matches what was compiled
    /// in (a file added or removed since the build), says how.
    pub fn directory_drift(&self) -> Option<String> {
        if self.dir.is_empty() {
            return None;
        }
        let entries = std::fs::read_dir(self.dir).ok()?;
        let mut on_disk: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".rs") && !n.starts_with('.'))
            .collect();
        on_disk.sort();
        // Sets: a chain of a thousand files compares a thousand names each way.
        let compiled: std::collections::HashSet<&str> = self.files.iter().copied().collect();
        let present: std::collections::HashSet<&str> = on_disk.iter().map(String::as_str).collect();
        let added: Vec<&str> = on_disk
            .iter()
            .map(String::as_str)
            .filter(|n| !compiled.contains(n))
            .collect();
        let removed: Vec<&str> = self
            .files
            .iter()
            .copied()
            .filter(|n| !present.contains(n))
            .collect();
        if added.is_empty() && removed.is_empty() {
            return None;
        }
        let mut parts = Vec::new();
        if !added.is_empty() {
            parts.push(format!("added since the build: {}", added.join(", ")));
        }
        if !removed.is_empty() {
            parts.push(format!("removed since the build: {}", removed.join(", ")));
        }
        Some(format!(
            "the migrations directory {} differs from the chain compiled into this binary ({}); rebuild to include the change",
            self.dir,
            parts.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop(_: &mut Op) -> Result<()> {
        Ok(())
    }

    fn chain() -> Chain {
        Chain::new(vec![
            Migration::new("abc123", Some("ab0000"), "third", noop, Some(noop)),
            Migration::new("ab0000", Some("7f71"), "second", noop, Some(noop)),
            Migration::new("7f71", None, "first", noop, Some(noop)),
        ])
        .unwrap()
    }

    #[test]
    fn targets() {
        let c = chain();
        assert_eq!(c.resolve("head", None).unwrap(), Some(2));
        assert_eq!(c.resolve("base", Some(2)).unwrap(), None);
        assert_eq!(c.resolve("+1", None).unwrap(), Some(0));
        assert_eq!(c.resolve("+3", None).unwrap(), Some(2));
        assert!(c.resolve("+4", None).is_err());
        assert_eq!(c.resolve("-1", Some(2)).unwrap(), Some(1));
        assert_eq!(c.resolve("-3", Some(2)).unwrap(), None);
        assert!(c.resolve("-4", Some(2)).is_err());
        assert_eq!(c.resolve("7f", None).unwrap(), Some(0));
        assert_eq!(c.resolve("abc", None).unwrap(), Some(2));
        assert_eq!(c.resolve("7f71+1", None).unwrap(), Some(1));
        assert_eq!(c.resolve("abc123-2", None).unwrap(), Some(0));
        match c.resolve("ab", None) {
            Err(Error::AmbiguousRevision { candidates, .. }) => {
                assert_eq!(candidates, ["ab0000", "abc123"])
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            c.resolve("zz", None),
            Err(Error::UnknownRevision(_))
        ));
        assert!(c.resolve("+x", None).is_err());
        for huge in [
            "+9223372036854775807",
            "-9223372036854775808",
            "abc123+9223372036854775807",
            "7f71-9223372036854775807",
        ] {
            assert!(
                matches!(c.resolve(huge, Some(1)), Err(Error::BadTarget(_))),
                "{huge}"
            );
        }
    }
}
