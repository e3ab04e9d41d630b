//! Offline mode: a whole upgrade or downgrade range as one SQL script, without
//! connecting to any database (Alembic's `upgrade --sql`).

use std::collections::BTreeMap;

use crate::chain::{Chain, Position};
use crate::dialect::Dialect;
use crate::error::Error;
use crate::executor::Direction;
use crate::ops::{CreateIndex, CreateTable, Default, Operation};
use crate::rebuild::{self, TableSource};
use crate::render::{self, ExistingColumn, SchemaFacts};
use crate::Result;

/// The schema as the chain's own operations built it, so that renderings that
/// need facts (MySQL's `MODIFY`, SQLite's table rebuild) work offline. Raw
/// `execute` SQL is opaque to it.
#[derive(Debug, Default, Clone)]
pub struct SchemaModel {
    tables: BTreeMap<String, CreateTable>,
    indexes: BTreeMap<String, CreateIndex>,
}

impl SchemaModel {
    /// Applies one operation to the model.
    pub fn apply(&mut self, op: &Operation) {
        match op {
            Operation::CreateTable(t) => {
                self.tables.insert(t.name.clone(), t.clone());
            }
            Operation::DropTable { name, .. } => {
                self.tables.remove(name);
                self.indexes.retain(|_, i| &i.table != name);
            }
            Operation::RenameTable { from, to } => {
                if let Some(mut t) = self.tables.remove(from) {
                    t.name = to.clone();
                    self.tables.insert(to.clone(), t);
                }
                for i in self.indexes.values_mut() {
                    if &i.table == from {
                        i.table = to.clone();
                    }
                }
            }
            Operation::AddColumn { table, column, .. } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.columns.push(column.clone());
                }
            }
            Operation::DropColumn { table, column, .. } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.columns.retain(|c| &c.name != column);
                    t.uniques.retain(|(_, cols)| !cols.contains(column));
                    t.foreign_keys.retain(|fk| !fk.columns.contains(column));
                    if t.primary_key
                        .as_ref()
                        .is_some_and(|(_, cols)| cols.contains(column))
                    {
                        t.primary_key = None;
                    }
                }
                self.indexes
                    .retain(|_, i| !(&i.table == table && i.columns.contains(column)));
            }
            Operation::AlterColumn(a) => {
                if let Some(c) = self
                    .tables
                    .get_mut(&a.table)
                    .and_then(|t| t.columns.iter_mut().find(|c| c.name == a.column))
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
                if let Some(new) = &a.new_name {
                    self.rename_column(&a.table, &a.column, new);
                }
            }
            Operation::CreateIndex(i) => {
                self.indexes.insert(i.name.clone(), i.clone());
            }
            Operation::Batch { ops, .. } => {
                for o in ops {
                    self.apply(o);
                }
            }
            Operation::DropIndex { name, .. } => {
                self.indexes.remove(name);
            }
            Operation::CreateUnique {
                name,
                table,
                columns,
            } => {
                // How SQLite renders it, and equivalent elsewhere for the model's needs.
                self.indexes.insert(
                    name.clone(),
                    CreateIndex {
                        name: name.clone(),
                        table: table.clone(),
                        columns: columns.clone(),
                        unique: true,
                        predicate: None,
                        if_not_exists: false,
                        concurrently: false,
                    },
                );
            }
            Operation::CreateForeignKey { table, fk } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.foreign_keys.push(fk.clone());
                }
            }
            Operation::CreateCheck { name, table, sql } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.checks.push((Some(name.clone()), sql.clone()));
                }
            }
            Operation::CreatePrimaryKey {
                name,
                table,
                columns,
            } => {
                if let Some(t) = self.tables.get_mut(table) {
                    t.primary_key = Some((Some(name.clone()), columns.clone()));
                }
            }
            Operation::DropConstraint { name, table, .. } => {
                self.indexes.remove(name);
                if let Some(t) = self.tables.get_mut(table) {
                    let n = Some(name.clone());
                    t.foreign_keys.retain(|fk| fk.name != n);
                    t.uniques.retain(|(un, _)| *un != n);
                    t.checks.retain(|(cn, _)| *cn != n);
                    if t.primary_key.as_ref().is_some_and(|(pn, _)| *pn == n) {
                        t.primary_key = None;
                    }
                }
            }
            _ => {}
        }
    }

    /// Follows a column rename into the indexes and constraints that name it, as
    /// the databases do.
    fn rename_column(&mut self, table: &str, old: &str, new: &str) {
        let rename = |cols: &mut Vec<String>| {
            for c in cols.iter_mut() {
                if c == old {
                    *c = new.to_owned();
                }
            }
        };
        for i in self.indexes.values_mut().filter(|i| i.table == table) {
            rename(&mut i.columns);
        }
        if let Some(t) = self.tables.get_mut(table) {
            for (_, cols) in &mut t.uniques {
                rename(cols);
            }
            for fk in &mut t.foreign_keys {
                rename(&mut fk.columns);
            }
            if let Some((_, cols)) = &mut t.primary_key {
                rename(cols);
            }
        }
    }

    /// A table's definition for an offline SQLite rebuild, as the model knows it.
    pub fn sqlite_source(&self, table: &str) -> Result<TableSource> {
        let t = self.tables.get(table).ok_or_else(|| {
            Error::Message(format!(
                "offline SQL cannot rebuild table {table}: the chain's operations did not create it (it may come from raw SQL); run this upgrade against the database instead"
            ))
        })?;
        let mut named = t.clone();
        named.if_not_exists = false;
        let create_sql = render::operation(
            Dialect::Sqlite,
            &Operation::CreateTable(named),
            &mut render::NoFacts,
        )?
        .join(";\n");
        let mut indexes = Vec::new();
        for i in self.indexes.values().filter(|i| i.table == table) {
            let sql = render::operation(
                Dialect::Sqlite,
                &Operation::CreateIndex(i.clone()),
                &mut render::NoFacts,
            )?
            .join(";\n");
            indexes.push((i.name.clone(), sql));
        }
        Ok(TableSource {
            create_sql,
            indexes,
            triggers: Vec::new(),
            sequence: None,
        })
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
            .and_then(|t| t.columns.iter().find(|c| c.name == column))
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
            charset: None,
            on_update: None,
            comment: None,
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
        for op in rebuild::prepare(m.plan_upgrade()?.into_operations(), dialect)? {
            model.apply(&op);
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
        let ops = rebuild::prepare(plan.into_operations(), dialect)?;
        let rev = |p: Position| p.map_or("", |i| ms[i].revision());
        out.push_str(&format!(
            "-- Running {verb} {} -> {}, {}\n\n",
            rev(before),
            rev(after),
            m.message()
        ));
        let in_tx = tx && m.transactional();
        let rebuilds = dialect == Dialect::Sqlite && ops.iter().any(rebuild::may_rebuild);
        if rebuilds {
            // Dropping the old table must not fire ON DELETE actions on referencing rows.
            out.push_str("PRAGMA foreign_keys = OFF;\n\n");
        }
        if in_tx {
            out.push_str("BEGIN;\n\n");
        }
        let context = |e: Error| Error::Message(format!("revision {}: {e}", m.revision()));
        let mut i = 0;
        while i < ops.len() {
            let op = &ops[i];
            if let Operation::Run { description, .. } = op {
                out.push_str(&format!(
                    "-- op.run({description:?}): a data migration that needs a live database connection; it is not part of this script\n\n"
                ));
                i += 1;
                continue;
            }
            if rebuilds && rebuild::may_rebuild(op) {
                if let Some(table) = rebuild::table_of(op) {
                    let src = model.sqlite_source(table).map_err(context)?;
                    if rebuild::needs_rebuild(op, &src).map_err(context)? {
                        let mut j = i + 1;
                        while j < ops.len()
                            && rebuild::may_rebuild(&ops[j])
                            && rebuild::table_of(&ops[j]) == Some(table)
                            && rebuild::needs_rebuild(&ops[j], &src).map_err(context)?
                        {
                            j += 1;
                        }
                        let group: Vec<&Operation> = ops[i..j].iter().collect();
                        // Never half a rebuild: outside the migration's transaction
                        // (transaction = false) the rebuild gets one of its own.
                        if !in_tx {
                            out.push_str("BEGIN;\n\n");
                        }
                        for s in rebuild::plan(table, &src, &group).map_err(context)? {
                            out.push_str(&s);
                            out.push_str(";\n\n");
                        }
                        if !in_tx {
                            out.push_str("COMMIT;\n\n");
                        }
                        for o in group {
                            model.apply(o);
                        }
                        i = j;
                        continue;
                    }
                }
            }
            let stmts = render::operation(
                dialect,
                op,
                &mut ModelFacts {
                    model: &model,
                    dialect,
                },
            )
            .map_err(context)?;
            for s in stmts {
                out.push_str(&s);
                out.push_str(";\n\n");
            }
            model.apply(op);
            i += 1;
        }
        if rebuilds {
            out.push_str("PRAGMA foreign_key_check;\n\n");
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
        if rebuilds {
            out.push_str("PRAGMA foreign_keys = ON;\n\n");
        }
    }
    Ok(out)
}
