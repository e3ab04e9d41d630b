//! The schema as a chain's own operations build it, without a database.

use std::collections::BTreeMap;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::ops::{AlterColumn, ColumnDefault, CreateIndex, CreateTable, Operation};
use crate::sql::{self, ExistingColumn, SchemaFacts};
use crate::sqlite::rebuild::TableSource;

/// Whether `op` may change the schema in a way [`SchemaModel::apply`] does
/// not follow: raw SQL other than `INSERT`, `UPDATE` or `DELETE`, or a data
/// step (inside a batch too).
pub(crate) fn unseen(op: &Operation) -> bool {
    match op {
        Operation::Execute(e) => [&e.sql, &e.sqlite, &e.postgres, &e.mysql]
            .into_iter()
            .flatten()
            .any(|s| !migrate_core::changes_rows_only(s)),
        Operation::Run { .. } => true,
        Operation::Batch { ops, .. } => ops.iter().any(unseen),
        _ => false,
    }
}

/// The schema as the chain's own operations built it, so that renderings that
/// need facts (MySQL's `MODIFY`, SQLite's table rebuild) work offline. Raw
/// `execute` SQL is opaque to it.
#[derive(Debug, Default, Clone)]
pub struct SchemaModel {
    tables: BTreeMap<String, CreateTable>,
    indexes: BTreeMap<String, CreateIndex>,
}

impl SchemaModel {
    /// The tables, by name.
    #[cfg(feature = "autogen")]
    pub(crate) fn tables(&self) -> impl Iterator<Item = &CreateTable> {
        self.tables.values()
    }

    /// The type of `table.column`, when the model has that column.
    pub(crate) fn column_type(
        &self,
        table: &str,
        column: &str,
    ) -> Option<crate::ops::types::ColumnType> {
        let t = self.tables.get(table)?;
        t.columns.iter().find(|c| c.name == column).map(|c| c.ty)
    }

    /// Applies one operation to the model.
    pub fn apply(&mut self, op: &Operation) {
        match op {
            // IF NOT EXISTS over a table that is there leaves it as it is.
            Operation::CreateTable(t) if t.if_not_exists && self.tables.contains_key(&t.name) => {}
            Operation::CreateTable(t) => {
                self.tables.insert(t.name.clone(), t.clone());
            }
            Operation::DropTable { name, .. } => {
                self.tables.remove(name);
                self.indexes.retain(|_, i| &i.table != name);
            }
            Operation::RenameTable { from, to } => self.rename_table(from, to),
            Operation::AddColumn {
                table,
                column,
                if_not_exists,
            } => {
                if let Some(t) = self.tables.get_mut(table) {
                    if !(*if_not_exists && t.columns.iter().any(|c| c.name == column.name)) {
                        t.columns.push(column.clone());
                    }
                }
            }
            Operation::DropColumn { table, column, .. } => self.drop_column(table, column),
            Operation::AlterColumn(a) => self.alter_column(a),
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
            Operation::DropConstraint { name, table, .. } => self.drop_constraint(table, name),
            _ => {}
        }
    }

    fn rename_table(&mut self, from: &str, to: &str) {
        if let Some(mut t) = self.tables.remove(from) {
            t.name = to.to_owned();
            self.tables.insert(to.to_owned(), t);
        }
        // The keys that point at it follow, as the databases do.
        for t in self.tables.values_mut() {
            for fk in &mut t.foreign_keys {
                if fk.ref_table == from {
                    fk.ref_table = to.to_owned();
                }
            }
            for c in &mut t.columns {
                if let Some((parent, _)) = &mut c.references {
                    if parent == from {
                        *parent = to.to_owned();
                    }
                }
            }
        }
        for i in self.indexes.values_mut() {
            if i.table == from {
                i.table = to.to_owned();
            }
        }
    }

    /// Drops the column and, as the databases do, the keys and indexes over it.
    fn drop_column(&mut self, table: &str, column: &String) {
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
            .retain(|_, i| !(i.table == table && i.columns.contains(column)));
    }

    fn alter_column(&mut self, a: &AlterColumn) {
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

    /// Drops the named constraint, whichever kind it is (a unique constraint
    /// may be modelled as an index).
    fn drop_constraint(&mut self, table: &str, name: &str) {
        self.indexes.remove(name);
        if let Some(t) = self.tables.get_mut(table) {
            let n = Some(name.to_owned());
            t.foreign_keys.retain(|fk| fk.name != n);
            t.uniques.retain(|(un, _)| *un != n);
            t.checks.retain(|(cn, _)| *cn != n);
            if t.primary_key.as_ref().is_some_and(|(pn, _)| *pn == n) {
                t.primary_key = None;
            }
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
        let t = self
            .tables
            .get(table)
            .ok_or_else(|| Error::OfflineUnknownTable(table.to_owned()))?;
        let mut named = t.clone();
        named.if_not_exists = false;
        let create_sql = sql::operation(
            Dialect::Sqlite,
            &Operation::CreateTable(named),
            &mut sql::NoFacts,
        )?
        .join(";\n");
        let mut indexes = Vec::new();
        for i in self.indexes.values().filter(|i| i.table == table) {
            let sql = sql::operation(
                Dialect::Sqlite,
                &Operation::CreateIndex(i.clone()),
                &mut sql::NoFacts,
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

/// Facts for rendering, read from a [`SchemaModel`].
pub(crate) struct ModelFacts<'m> {
    pub(crate) model: &'m SchemaModel,
    pub(crate) dialect: Dialect,
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
            Some(ColumnDefault::Sql(s)) => Some(s.clone()),
            Some(ColumnDefault::Value(v)) => Some(sql::value(self.dialect, v)?),
        };
        Ok(Some(ExistingColumn {
            column_type: sql::column_type(self.dialect, &c.ty, false),
            nullable: c.nullable,
            default_sql,
            auto_increment: c.autoincrement,
            charset: None,
            on_update: None,
            comment: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::types::{Integer, Text};
    use crate::ops::{col, Op};

    fn fold(f: impl FnOnce(&mut Op)) -> SchemaModel {
        let mut op = Op::new();
        f(&mut op);
        let mut m = SchemaModel::default();
        for o in op.into_operations() {
            m.apply(&o);
        }
        m
    }

    #[test]
    fn if_not_exists_leaves_what_is_there_and_renames_follow_into_keys() {
        let m = fold(|op| {
            op.create_table("users")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Text>("email"));
            op.create_table("users")
                .if_not_exists()
                .column(col::<Integer>("other"));
            op.add_column_if_not_exists("users", col::<Text>("email"));
            op.create_table("posts")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Integer>("user_id").references("users", "id"));
            op.rename_table("users", "people");
        });
        let people = &m.tables["people"];
        let names: Vec<&str> = people.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "email"]);
        let posts = &m.tables["posts"];
        assert_eq!(
            posts.columns[1].references,
            Some(("people".to_owned(), "id".to_owned()))
        );
    }
}
