//! The offline sink of the planner: a whole upgrade or downgrade range as one
//! SQL script, without connecting to any database (Alembic's `upgrade --sql`).
//! Facts come from the schema the chain's own operations build.

use super::plan::{self, Action};
use super::step::failure;
use crate::backend;
use crate::chain::{Chain, Migration, Position};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::ops::Operation;
use crate::run::executor::Direction;
use crate::schema::model::{ModelFacts, SchemaModel};
use crate::sql;
use crate::sql::version::LedgerRecord;

/// An offline script, and the revisions whose data steps it leaves out.
pub(crate) struct Script {
    /// The SQL.
    pub sql: String,
    /// Revisions with a data step (`op.run`) written as a comment (the CLI
    /// warns about them; the library's callers see the marked comments).
    #[cfg_attr(not(feature = "cli"), allow(dead_code))]
    pub skipped: Vec<String>,
}

/// Renders the script that moves a database from `from` to `to` in `direction`.
///
/// It starts by telling the dialect's client to stop at the first error
/// (`.bail on` for sqlite3, `ON_ERROR_STOP` for psql; mysql stops by default).
/// Each migration is wrapped in its own `BEGIN`/`COMMIT` where the dialect has
/// transactional DDL, with its version bump inside. A data step (`op.run`)
/// cannot be rendered: it is an error naming the revisions, unless
/// `skip_data_steps`, and then a marked comment.
pub(crate) fn script(
    chain: &Chain,
    dialect: Dialect,
    version_table: &str,
    (from, to, direction): (Position, Position, Direction),
    skip_data_steps: bool,
) -> Result<Script> {
    let ms = chain.migrations();
    let mut out = String::new();
    match dialect {
        Dialect::Sqlite => out.push_str(".bail on\n\n"),
        Dialect::Postgres => out.push_str("\\set ON_ERROR_STOP on\n\n"),
        Dialect::Mysql => {}
    }
    let mut skipped = Vec::new();
    // Build the model up to the starting point so that facts are known there.
    let mut model = SchemaModel::default();
    let start = from.map_or(0, |i| i + 1);
    for m in &ms[..start.min(ms.len())] {
        for op in plan::prepare(m.record_upgrade()?.into_operations(), dialect)? {
            model.apply(&op);
        }
    }
    if direction == Direction::Upgrade {
        out.push_str(&format!(
            "{};\n\n",
            sql::version::create(dialect, version_table)
        ));
    }
    // The ledger, as an online run keeps it: a database the script migrated
    // goes on online with what ran recorded.
    out.push_str(&format!(
        "{};\n\n",
        sql::version::ledger_create(dialect, version_table)
    ));
    // A script that starts above base on a database whose ledger does not know
    // what lies below: recorded as adopted, as an online run would.
    if direction == Direction::Upgrade {
        for m in &ms[..start.min(ms.len())] {
            out.push_str(&ledger_row(
                dialect,
                version_table,
                m,
                LedgerRecord::Adopted,
            ));
            out.push_str(";\n\n");
        }
    }
    let steps: Vec<(usize, Position, Position)> = match direction {
        Direction::Upgrade => {
            let end = to.map_or(0, |i| i + 1);
            (start..end)
                .map(|i| (i, i.checked_sub(1), Some(i)))
                .collect()
        }
        Direction::Downgrade => {
            let lo = to.map_or(0, |i| i + 1);
            let hi = from.map_or(0, |i| i + 1);
            (lo..hi)
                .rev()
                .map(|i| (i, Some(i), i.checked_sub(1)))
                .collect()
        }
    };
    let rev = |p: Position| p.map(|i| ms[i].revision());
    for (i, before, after) in steps {
        let m = &ms[i];
        let recorded = match direction {
            Direction::Upgrade => m.record_upgrade()?,
            Direction::Downgrade => m.record_downgrade()?,
        };
        let ops = plan::prepare(recorded.into_operations(), dialect)?;
        out.push_str(&format!(
            "-- Running {} {} -> {}, {}\n\n",
            direction.as_str(),
            rev(before).unwrap_or(""),
            rev(after).unwrap_or(""),
            m.message()
        ));
        let in_tx = backend::for_dialect(dialect)
            .capabilities()
            .transactional_ddl
            && m.transactional();
        if ops.iter().any(|o| matches!(o, Operation::Run { .. })) {
            skipped.push(m.revision().to_owned());
        }
        let record = if direction == Direction::Upgrade {
            LedgerRecord::Applied
        } else {
            LedgerRecord::Removed
        };
        let mut bookkeeping = Vec::new();
        if let Some(sql) = sql::version::set(dialect, version_table, rev(before), rev(after)) {
            bookkeeping.push(sql);
        }
        bookkeeping.push(ledger_row(dialect, version_table, m, record));
        let body = migration_body(
            &mut model,
            dialect,
            (m, direction),
            &ops,
            in_tx,
            bookkeeping,
        )?;
        for piece in body {
            match piece {
                Piece::Sql(s) => {
                    out.push_str(&s);
                    out.push_str(";\n\n");
                }
                Piece::Note(s) => {
                    out.push_str(&s);
                    out.push_str("\n\n");
                }
            }
        }
    }
    if !skipped.is_empty() && !skip_data_steps {
        return Err(Error::DataStepsOffline(skipped));
    }
    Ok(Script { sql: out, skipped })
}

/// The schema the chain's operations build, at one point of the chain: what
/// diesel's `MigrationHarness` (`run/harness.rs`) renders each migration
/// against. It moves forward with the migrations the harness applies, in
/// chain order, so that a run folds the chain once.
#[cfg(feature = "diesel-migrations")]
#[derive(Default)]
pub(crate) struct Cursor {
    /// The schema after the migrations before `at`.
    model: SchemaModel,
    at: usize,
}

#[cfg(feature = "diesel-migrations")]
impl Cursor {
    /// Moves the model to just before migration `to`, from base again when
    /// it lies behind.
    fn seek(&mut self, chain: &Chain, dialect: Dialect, to: usize) -> Result<()> {
        if to < self.at {
            *self = Cursor::default();
        }
        for m in &chain.migrations()[self.at..to] {
            for op in plan::prepare(m.record_upgrade()?.into_operations(), dialect)? {
                self.model.apply(&op);
            }
            self.at += 1;
        }
        Ok(())
    }

    /// The statements of one migration's upgrade or downgrade alone, as the
    /// offline script writes them but without the client's directives, the
    /// version table or the ledger. Where [`caller_transaction`] says so the
    /// caller runs them in its transaction, else they hold the migration's
    /// own `BEGIN`/`COMMIT`. A data step is [`Error::HarnessDataStep`]: no
    /// statement can hold it.
    pub(crate) fn statements(
        &mut self,
        chain: &Chain,
        dialect: Dialect,
        (index, direction): (usize, Direction),
    ) -> Result<Vec<String>> {
        let out = self.render(chain, dialect, (index, direction));
        match (&out, direction) {
            (Ok(_), Direction::Upgrade) => self.at = index + 1,
            // A downgrade folds back, which no upgrade from base does: the
            // next migration starts from base, as the offline script would.
            // A failure leaves the model half way.
            _ => *self = Cursor::default(),
        }
        out
    }

    fn render(
        &mut self,
        chain: &Chain,
        dialect: Dialect,
        (index, direction): (usize, Direction),
    ) -> Result<Vec<String>> {
        let m = &chain.migrations()[index];
        let caller_tx = caller_transaction(m, dialect)?;
        let recorded = match direction {
            Direction::Upgrade => {
                self.seek(chain, dialect, index)?;
                m.record_upgrade()?
            }
            Direction::Downgrade => {
                self.seek(chain, dialect, index + 1)?;
                m.record_downgrade()?
            }
        };
        let ops = plan::prepare(recorded.into_operations(), dialect)?;
        if ops.iter().any(|o| matches!(o, Operation::Run { .. })) {
            return Err(Error::HarnessDataStep {
                revision: m.revision().to_owned(),
                message: m.message().to_owned(),
            });
        }
        let in_tx = !caller_tx
            && backend::for_dialect(dialect)
                .capabilities()
                .transactional_ddl
            && m.transactional();
        let body = migration_body(
            &mut self.model,
            dialect,
            (m, direction),
            &ops,
            in_tx,
            Vec::new(),
        )?;
        Ok(body
            .into_iter()
            .filter_map(|p| match p {
                Piece::Sql(s) => Some(s),
                Piece::Note(_) => None,
            })
            .collect())
    }
}

/// Whether the caller of [`Cursor::statements`] runs migration `m` in a
/// transaction of its own (diesel's `run_in_transaction`): when `m` runs in
/// one, unless its upgrade or downgrade may rebuild a SQLite table, which must
/// switch foreign keys off first, and SQLite ignores that inside a
/// transaction; those statements then hold their own `BEGIN`/`COMMIT`.
#[cfg(feature = "diesel-migrations")]
pub(crate) fn caller_transaction(m: &Migration, dialect: Dialect) -> Result<bool> {
    if !m.transactional() {
        return Ok(false);
    }
    let up = plan::prepare(m.record_upgrade()?.into_operations(), dialect)?;
    if plan::may_rebuild(&up, dialect) {
        return Ok(false);
    }
    if m.is_reversible() {
        let down = plan::prepare(m.record_downgrade()?.into_operations(), dialect)?;
        if plan::may_rebuild(&down, dialect) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One piece of a migration's part of a script: a statement, or a comment.
enum Piece {
    /// A statement (written with its `;`).
    Sql(String),
    /// A comment line (a data step the script leaves out).
    Note(String),
}

/// One migration's part of a script: its planned actions, with foreign key
/// enforcement off around a SQLite rebuild and, when `in_tx`, its own
/// `BEGIN`/`COMMIT` around them and the `bookkeeping` statements (version
/// bump, ledger row) before the commit. The model is kept in step.
fn migration_body(
    model: &mut SchemaModel,
    dialect: Dialect,
    (m, direction): (&Migration, Direction),
    ops: &[Operation],
    in_tx: bool,
    bookkeeping: Vec<String>,
) -> Result<Vec<Piece>> {
    let mut out = Vec::new();
    let sql = |s: &str| Piece::Sql(s.to_owned());
    let rebuilds = plan::may_rebuild(ops, dialect);
    if rebuilds {
        // Dropping the old table must not fire ON DELETE actions on referencing rows.
        out.push(sql("PRAGMA foreign_keys = OFF"));
    }
    if in_tx {
        out.push(sql("BEGIN"));
    }
    write_ops(&mut out, model, dialect, (m, direction), ops, in_tx)?;
    if rebuilds {
        out.push(sql("PRAGMA foreign_key_check"));
    }
    out.extend(bookkeeping.into_iter().map(Piece::Sql));
    if in_tx {
        out.push(sql("COMMIT"));
    }
    if rebuilds {
        out.push(sql("PRAGMA foreign_keys = ON"));
    }
    Ok(out)
}

/// Writes the planned actions of one migration, keeping the model in step.
fn write_ops(
    out: &mut Vec<Piece>,
    model: &mut SchemaModel,
    dialect: Dialect,
    (m, direction): (&Migration, Direction),
    ops: &[Operation],
    in_tx: bool,
) -> Result<()> {
    let mut i = 0;
    while i < ops.len() {
        let mut facts = ModelFacts { model, dialect };
        let planned = plan::next(dialect, ops, i, &mut facts)
            .map_err(|e| failure(m, direction, i + 1, ops.len(), ops[i].describe(), e))?;
        match planned.action {
            Action::Data { description } => out.push(Piece::Note(format!(
                "-- SKIPPED DATA STEP op.run({description:?}) of {}: it needs a live database connection and is not part of this script; do it by hand here",
                m.revision()
            ))),
            Action::Rebuild { stmts, .. } => {
                // Never half a rebuild: outside the migration's transaction
                // (transaction = false) the rebuild gets one of its own.
                if !in_tx {
                    out.push(Piece::Sql("BEGIN".into()));
                }
                out.extend(stmts.into_iter().map(Piece::Sql));
                if !in_tx {
                    out.push(Piece::Sql("COMMIT".into()));
                }
            }
            Action::Sql(stmts) => out.extend(stmts.into_iter().map(Piece::Sql)),
        }
        for op in &ops[planned.ops.clone()] {
            model.apply(op);
        }
        i = planned.ops.end;
    }
    Ok(())
}

fn ledger_row(d: Dialect, version_table: &str, m: &Migration, record: LedgerRecord) -> String {
    let row = (m.revision(), m.down_revision(), m.checksum());
    sql::version::ledger_offline(d, version_table, row, record)
}

impl plan::Facts for ModelFacts<'_> {
    fn table_source(&mut self, table: &str) -> Result<crate::sqlite::rebuild::TableSource> {
        self.model.sqlite_source(table)
    }
}

impl crate::run::executor::Migrator<'_> {
    /// The SQL script that moves a database from `from` to `to` on `dialect`,
    /// without connecting to it (`upgrade --sql FROM:TO`): an upgrade when `to`
    /// lies above `from`, else a downgrade. Both are targets as the commands take
    /// them (`base`, `head`, a revision or prefix); a relative `to` counts from `from`.
    /// A data step (`op.run`) in the range is an error ([`Error::DataStepsOffline`])
    /// unless [`Migrator::skip_data_steps`].
    ///
    /// ```
    /// # fn main() -> migrate_runtime::Result<()> {
    /// use migrate_runtime::prelude::*;
    /// use migrate_runtime::Migrator;
    /// # fn up(op: &mut Op) -> Result<()> { op.create_table("t").column(col::<Integer>("id")); Ok(()) }
    /// # fn down(op: &mut Op) -> Result<()> { op.drop_table("t"); Ok(()) }
    /// # let chain = Chain::new(vec![Migration::new("a1", None, "t", up, Some(down))])?;
    /// let sql = Migrator::new(&chain).script(Dialect::Postgres, "base", "head")?;
    /// assert!(sql.contains("CREATE TABLE \"t\""));
    /// # Ok(()) }
    /// ```
    pub fn script(&self, dialect: Dialect, from: &str, to: &str) -> Result<String> {
        let from = self.chain.resolve(from, None)?;
        let to = self.chain.resolve(to, from)?;
        let direction = if to >= from {
            Direction::Upgrade
        } else {
            Direction::Downgrade
        };
        let s = script(
            self.chain,
            dialect,
            &self.version_table,
            (from, to, direction),
            self.skip_data_steps,
        )?;
        Ok(s.sql)
    }
}
