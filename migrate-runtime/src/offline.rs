//! Offline mode: a whole upgrade or downgrade range as one SQL script, without
//! connecting to any database (Alembic's `upgrade --sql`).

use std::collections::BTreeMap;

use crate::chain::{Chain, Position};
use crate::dialect::Dialect;
use crate::error::Error;
use crate::executor::Direction;
use crate::ops::{ColumnDef, Default, Operation};
use crate::render::{self, ExistingColumn, SchemaFacts};
use crate::Result;

/// The schema as the chain's own operations built it, so that renderings that
/// need facts (MySQL's `MODIFY`) work offline. Raw `execute` SQL is opaque to it.
#[derive(Debug, Default, Clone)]
pub struct SchemaModel {
    tables: BTreeMap<String, Vec<ColumnDef>>,
}

impl SchemaModel {
    /// Applies one operation to the model.
    pub fn apply(&mut self, op: &Operation) {
        match op {
            Operation::CreateTable(t) => {
                self.tables.insert(t.name.clone(), t.columns.clone());
            }
            Operation::DropTable { name, .. } => {
                self.tables.remove(name);
            }
            Operation::RenameTable { from, to } => {
                if let Some(cols) = self.tables.remove(from) {
                    self.tables.insert(to.clone(), cols);
                }
            }
            Operation::AddColumn { table, column } => {
                if let Some(cols) = self.tables.get_mut(table) {
                    cols.push(column.clone());
                }
            }
            Operation::DropColumn { table, column } => {
                if let Some(cols) = self.tables.get_mut(table) {
                    cols.retain(|c| &c.name != column);
                }
            }
            Operation::AlterColumn(a) => {
                if let Some(c) = self
                    .tables
                    .get_mut(&a.table)
                    .and_then(|cols| cols.iter_mut().find(|c| c.name == a.column))
                {
                    if let Some(ty) = a.ty {
                        c.ty = ty;
                    }
                    if let Some(n) = a.nullable {
                        c.nullable = n;
                    }
                    if let Some(d) = &a.default {
                        c.default = d.clone();
                    }
                    if let Some(n) = &a.new_name {
                        c.name = n.clone();
                    }
                }
            }
            _ => {}
        }
    }
}

struct ModelFacts<'m> {
    model: &'m SchemaModel,
    dialect: Dialect,
}

impl SchemaFacts for ModelFacts<'_> {
    fn existing_column(&mut self, table: &str, column: &str) -> Result<Option<ExistingColumn>> {
        let Some(c) = self
            .model
            .tables
            .get(table)
            .and_then(|cols| cols.iter().find(|c| c.name == column))
        else {
            return Ok(None);
        };
        let default_sql = match &c.default {
            None => None,
            Some(Default::Sql(s)) => Some(s.clone()),
            Some(Default::Value(v)) => Some(render::value(self.dialect, v)?),
        };
        Ok(Some(ExistingColumn {
            column_type: render::column_type(self.dialect, &c.ty, false),
            nullable: c.nullable,
            default_sql,
            auto_increment: c.autoincrement,
        }))
    }
}

/// Renders the script that moves a database from `from` to `to` in `direction`.
///
/// Each migration is wrapped in its own `BEGIN`/`COMMIT` where the dialect has
/// transactional DDL, with its version bump inside. A data migration
/// (`op.run`) cannot be rendered and appears as a comment saying so.
pub fn script(
    chain: &Chain,
    dialect: Dialect,
    version_table: &str,
    from: Position,
    to: Position,
    direction: Direction,
) -> Result<String> {
    let ms = chain.migrations();
    let mut out = String::new();
    let tx = dialect.transactional_ddl();
    // Build the model up to the starting point so that facts are known there.
    let mut model = SchemaModel::default();
    let start = from.map_or(0, |i| i + 1);
    for m in &ms[..start.min(ms.len())] {
        for op in m.plan_upgrade()?.operations() {
            model.apply(op);
        }
    }
    if direction == Direction::Upgrade {
        out.push_str(&format!(
            "{};\n\n",
            render::version::create(dialect, version_table)
        ));
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
    for (i, before, after) in steps {
        let m = &ms[i];
        let (plan, verb) = match direction {
            Direction::Upgrade => (m.plan_upgrade()?, "upgrade"),
            Direction::Downgrade => (m.plan_downgrade()?, "downgrade"),
        };
        let rev = |p: Position| p.map_or("", |i| ms[i].revision());
        out.push_str(&format!(
            "-- Running {verb} {} -> {}, {}\n\n",
            rev(before),
            rev(after),
            m.message()
        ));
        let in_tx = tx && m.transactional();
        if in_tx {
            out.push_str("BEGIN;\n\n");
        }
        for op in plan.operations() {
            if let Operation::Run { description, .. } = op {
                out.push_str(&format!(
                    "-- op.run({description:?}): a data migration that needs a live database connection; it is not part of this script\n\n"
                ));
                continue;
            }
            let stmts = render::operation(
                dialect,
                op,
                &mut ModelFacts {
                    model: &model,
                    dialect,
                },
            )
            .map_err(|e| Error::Message(format!("revision {}: {e}", m.revision())))?;
            for s in stmts {
                out.push_str(&s);
                out.push_str(";\n\n");
            }
            model.apply(op);
        }
        if let Some(sql) = render::version::set(
            dialect,
            version_table,
            Some(rev(before)).filter(|r| !r.is_empty()),
            Some(rev(after)).filter(|r| !r.is_empty()),
        ) {
            out.push_str(&sql);
            out.push_str(";\n\n");
        }
        if in_tx {
            out.push_str("COMMIT;\n\n");
        }
    }
    Ok(out)
}
