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
        let rebuilds = plan::may_rebuild(&ops, dialect);
        if rebuilds {
            // Dropping the old table must not fire ON DELETE actions on referencing rows.
            out.push_str("PRAGMA foreign_keys = OFF;\n\n");
        }
        if in_tx {
            out.push_str("BEGIN;\n\n");
        }
        if ops.iter().any(|o| matches!(o, Operation::Run { .. })) {
            skipped.push(m.revision().to_owned());
        }
        write_ops(&mut out, &mut model, dialect, (m, direction), &ops, in_tx)?;
        if rebuilds {
            out.push_str("PRAGMA foreign_key_check;\n\n");
        }
        if let Some(sql) = sql::version::set(dialect, version_table, rev(before), rev(after)) {
            out.push_str(&sql);
            out.push_str(";\n\n");
        }
        let record = if direction == Direction::Upgrade {
            LedgerRecord::Applied
        } else {
            LedgerRecord::Removed
        };
        out.push_str(&ledger_row(dialect, version_table, m, record));
        if in_tx {
            out.push_str("COMMIT;\n\n");
        }
        if rebuilds {
            out.push_str("PRAGMA foreign_keys = ON;\n\n");
        }
    }
    if !skipped.is_empty() && !skip_data_steps {
        return Err(Error::DataStepsOffline(skipped));
    }
    Ok(Script { sql: out, skipped })
}

/// Writes the planned actions of one migration, keeping the model in step.
fn write_ops(
    out: &mut String,
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
            Action::Data { description } => out.push_str(&format!(
                "-- SKIPPED DATA STEP op.run({description:?}) of {}: it needs a live database connection and is not part of this script; do it by hand here\n\n",
                m.revision()
            )),
            Action::Rebuild { stmts, .. } => {
                // Never half a rebuild: outside the migration's transaction
                // (transaction = false) the rebuild gets one of its own.
                if !in_tx {
                    out.push_str("BEGIN;\n\n");
                }
                push_statements(out, &stmts);
                if !in_tx {
                    out.push_str("COMMIT;\n\n");
                }
            }
            Action::Sql(stmts) => push_statements(out, &stmts),
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
    format!(
        "{};\n\n",
        sql::version::ledger_offline(d, version_table, row, record)
    )
}

fn push_statements(out: &mut String, stmts: &[String]) {
    for s in stmts {
        out.push_str(s);
        out.push_str(";\n\n");
    }
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
