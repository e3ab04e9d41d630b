//! SQLite table rebuild ("move and copy", Alembic's batch mode) for the changes
//! SQLite's `ALTER TABLE` cannot make: a column's type, nullability or default,
//! adding or dropping foreign keys, checks and primary keys, and dropping a column
//! that an index or constraint uses.
//!
//! The new table's definition is the old `CREATE TABLE` text, edited (see
//! [`crate::sqlite::ddl`]), so unnamed checks, collations and table options
//! survive. Rows are copied with their rowids; indexes and triggers are recreated
//! from their own SQL; the AUTOINCREMENT high-water mark is kept. Foreign key
//! enforcement must be off while the old table is dropped (or SQLite would run
//! its ON DELETE actions on referencing rows): the executor turns it off around
//! the migration and runs `PRAGMA foreign_key_check` before committing.

use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;
use crate::ops::types::ColumnKind;
use crate::ops::{AlterColumn, ColumnDef, ColumnDefault, ConstraintKind, ForeignKey, Operation};
use crate::sql;
use crate::sqlite::ddl::{self, ConstraintType, TableDdl};
use crate::sqlite::tokens::{self, Token};

/// What a rebuild reads about a table.
#[derive(Debug, Clone, Default)]
pub struct TableSource {
    /// Its `CREATE TABLE` statement.
    pub create_sql: String,
    /// Its explicitly created indexes: (name, `CREATE INDEX` statement).
    pub indexes: Vec<(String, String)>,
    /// Its triggers' `CREATE TRIGGER` statements.
    pub triggers: Vec<String>,
    /// Its AUTOINCREMENT high-water mark, when it has one.
    pub sequence: Option<i64>,
}

/// Splits an `alter_column` that renames *and* changes the definition into a
/// native rename followed by the change under the new name, so that the rename
/// keeps SQLite's own rewriting of indexes, triggers and views.
pub fn split_renames(ops: Vec<Operation>) -> Vec<Operation> {
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Operation::AlterColumn(a)
                if a.new_name.is_some()
                    && (a.ty.is_some() || a.nullable.is_some() || a.default.is_some()) =>
            {
                let new = a.new_name.clone().unwrap_or_default();
                let mut rename = a.clone();
                rename.ty = None;
                rename.nullable = None;
                rename.default = None;
                let mut change = a;
                change.column = new;
                change.new_name = None;
                out.push(Operation::AlterColumn(rename));
                out.push(Operation::AlterColumn(change));
            }
            Operation::Batch { table, ops } => out.push(Operation::Batch {
                table,
                ops: split_renames(ops),
            }),
            other => out.push(other),
        }
    }
    out
}

/// Whether the rebuild can apply `op` by editing the table's definition.
fn editable(op: &Operation) -> bool {
    match op {
        Operation::AlterColumn(a) => a.new_name.is_none(),
        Operation::AddColumn {
            column,
            if_not_exists,
            ..
        } => !column.primary_key && !if_not_exists,
        Operation::DropColumn { if_exists, .. } => !if_exists,
        Operation::CreateForeignKey { .. }
        | Operation::CreateCheck { .. }
        | Operation::CreatePrimaryKey { .. }
        | Operation::DropConstraint { .. } => true,
        _ => false,
    }
}

fn flatten(ops: Vec<Operation>, out: &mut Vec<Operation>) {
    for op in ops {
        match op {
            Operation::Batch { ops, .. } => flatten(ops, out),
            other => out.push(other),
        }
    }
}

/// Prepares a migration's operations for `d`.
///
/// - An `alter_column` that renames and changes is split (see [`split_renames`]).
/// - Batches keep their order. Elsewhere than SQLite they are flattened into
///   their operations. On SQLite each run of operations the rebuild can edit
///   stays one batch (one rebuild); anything else inside (a rename, an index,
///   raw SQL) runs natively between those runs, in the order written.
/// - An operation inside a batch must name the batch's table.
pub fn prepare(ops: Vec<Operation>, d: Dialect) -> Result<Vec<Operation>> {
    for op in &ops {
        if let Operation::Batch { table, ops: inner } = op {
            check_batch_tables(table, inner)?;
        }
    }
    let ops = split_renames(ops);
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        match op {
            Operation::Batch { table, ops: inner } => {
                let mut flat = Vec::new();
                flatten(inner, &mut flat);
                if d != Dialect::Sqlite {
                    out.extend(flat);
                    continue;
                }
                let mut run: Vec<Operation> = Vec::new();
                for o in flat {
                    if editable(&o) {
                        run.push(o);
                    } else {
                        if !run.is_empty() {
                            out.push(Operation::Batch {
                                table: table.clone(),
                                ops: std::mem::take(&mut run),
                            });
                        }
                        out.push(o);
                    }
                }
                if !run.is_empty() {
                    out.push(Operation::Batch { table, ops: run });
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn check_batch_tables(table: &str, ops: &[Operation]) -> Result<()> {
    for o in ops {
        let t = match o {
            Operation::Batch {
                table: t,
                ops: inner,
            } => {
                check_batch_tables(table, inner)?;
                Some(t.as_str())
            }
            Operation::AddColumn { table: t, .. }
            | Operation::CreateIndex(crate::ops::CreateIndex { table: t, .. })
            | Operation::DropIndex { table: t, .. }
            | Operation::CreateUnique { table: t, .. } => Some(t.as_str()),
            other => table_of(other),
        };
        if let Some(t) = t {
            if t != table {
                return Err(Error::InvalidOperation(format!(
                    "batch_alter_table {table}: {} names another table",
                    o.describe()
                )));
            }
        }
    }
    Ok(())
}

/// The table an operation changes.
pub fn table_of(op: &Operation) -> Option<&str> {
    Some(match op {
        Operation::AlterColumn(a) => &a.table,
        Operation::Batch { table, .. } => table,
        Operation::DropColumn { table, .. }
        | Operation::CreateForeignKey { table, .. }
        | Operation::CreateCheck { table, .. }
        | Operation::CreatePrimaryKey { table, .. }
        | Operation::DropConstraint { table, .. } => table,
        _ => return None,
    })
}

/// Whether an operation may need a rebuild on SQLite (decided for sure by
/// [`needs_rebuild`] once the table is known).
pub fn may_rebuild(op: &Operation) -> bool {
    match op {
        Operation::AlterColumn(a) => a.ty.is_some() || a.nullable.is_some() || a.default.is_some(),
        Operation::Batch { .. }
        | Operation::DropColumn { .. }
        | Operation::CreateForeignKey { .. }
        | Operation::CreateCheck { .. }
        | Operation::CreatePrimaryKey { .. }
        | Operation::DropConstraint { .. } => true,
        _ => false,
    }
}

/// Whether `op` needs a rebuild of the table described by `src`, rather than
/// SQLite's own `ALTER TABLE` or `DROP INDEX`.
pub fn needs_rebuild(op: &Operation, src: &TableSource) -> Result<bool> {
    Ok(match op {
        Operation::DropColumn { column, .. } => {
            // Native DROP COLUMN refuses a column that a key, an index, a check or a
            // foreign key uses; only then is a rebuild needed.
            let ddl = ddl::parse(&src.create_sql)?;
            let col = ddl
                .columns
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(column));
            let in_column = col.is_some_and(|c| {
                ["PRIMARY", "UNIQUE", "REFERENCES", "CHECK"]
                    .iter()
                    .any(|w| c.has_word(w))
            });
            let generated = col.is_some_and(|c| c.is_generated());
            let in_other_columns = ddl
                .columns
                .iter()
                .filter(|c| !c.name.eq_ignore_ascii_case(column))
                .any(|c| c.expression_mentions(column));
            let in_constraints = ddl.constraints.iter().any(|c| c.mentions(column));
            let in_indexes = src
                .indexes
                .iter()
                .any(|(_, sql)| ddl::index_mentions(sql, column));
            in_column || generated || in_other_columns || in_constraints || in_indexes
        }
        Operation::DropConstraint {
            name,
            kind: ConstraintKind::Unique,
            ..
        } => !src.indexes.iter().any(|(n, _)| n == name),
        other => may_rebuild(other),
    })
}

fn default_sql(def: &ColumnDefault) -> Result<String> {
    match def {
        ColumnDefault::Value(v) => sql::value(Dialect::Sqlite, v),
        ColumnDefault::Sql(s) => Ok(s.clone()),
    }
}

fn constraint(sql: &str, name: Option<&str>, kind: ConstraintType) -> Result<ddl::ConstraintDdl> {
    let mut tokens = tokens::tokenize(sql)?;
    if let Some(first) = tokens.first_mut() {
        first.space = false;
    }
    Ok(ddl::ConstraintDdl {
        name: name.map(str::to_owned),
        kind,
        tokens,
    })
}

/// Applies `ops` (all on one table) to its definition, noting the columns and
/// unique indexes dropped so that their indexes are not recreated.
fn edit(
    table: &str,
    ddl: &mut TableDdl,
    ops: &[&Operation],
    dropped: &mut Vec<String>,
    dropped_indexes: &mut Vec<String>,
) -> Result<()> {
    for op in ops {
        match op {
            Operation::AlterColumn(a) => edit_column(table, ddl, a)?,
            Operation::DropColumn { column, .. } => {
                drop_column(table, ddl, column)?;
                dropped.push(column.clone());
            }
            Operation::CreateForeignKey { fk, .. } => {
                ddl.constraints.push(foreign_key_constraint(fk)?);
            }
            Operation::CreateCheck { name, sql, .. } => {
                let d = Dialect::Sqlite;
                let text = format!("CONSTRAINT {} CHECK ({sql})", d.quote_ident(name));
                ddl.constraints
                    .push(constraint(&text, Some(name), ConstraintType::Check)?);
            }
            Operation::CreatePrimaryKey { name, columns, .. } => {
                add_primary_key(table, ddl, name, columns)?;
            }
            Operation::DropConstraint { name, kind, .. } => {
                drop_constraint(table, ddl, name, *kind, dropped_indexes)?;
            }
            Operation::Batch { ops: inner, .. } => {
                let inner: Vec<&Operation> = inner.iter().collect();
                edit(table, ddl, &inner, dropped, dropped_indexes)?;
            }
            Operation::AddColumn { column, .. } => add_column(table, ddl, column)?,
            other => {
                return Err(Error::Rebuild(format!(
                    "{} cannot be part of a table rebuild",
                    other.describe()
                )))
            }
        }
    }
    Ok(())
}

fn not_found(table: &str, what: String) -> Error {
    Error::Rebuild(format!("table {table} has no {what}"))
}

/// `alter_column`: the type, nullability and default of the column's definition.
fn edit_column(table: &str, ddl: &mut TableDdl, a: &AlterColumn) -> Result<()> {
    let col = ddl
        .column_mut(&a.column)
        .ok_or_else(|| not_found(table, format!("column {}", a.column)))?;
    if let Some(ty) = &a.ty {
        // SQLite integers are 64-bit already; retyping the rowid alias
        // (`INTEGER PRIMARY KEY`) would turn it into an ordinary column
        // that no longer gets ids assigned.
        let integer = matches!(
            ty.kind,
            ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt
        );
        if !(col.is_rowid_alias() && integer) {
            col.set_type(&sql::column_type(Dialect::Sqlite, ty, false))?;
        }
    }
    if let Some(n) = a.nullable {
        col.set_nullable(n);
    }
    if let Some(def) = &a.default {
        col.set_default(def.as_ref().map(default_sql).transpose()?.as_deref())?;
    }
    Ok(())
}

fn drop_column(table: &str, ddl: &mut TableDdl, column: &str) -> Result<()> {
    let before = ddl.columns.len();
    ddl.columns.retain(|c| !c.name.eq_ignore_ascii_case(column));
    if ddl.columns.len() == before {
        return Err(not_found(table, format!("column {column}")));
    }
    if ddl.columns.is_empty() {
        return Err(Error::Rebuild(format!(
            "cannot drop {column}: it is the last column of {table}"
        )));
    }
    // A table constraint over the dropped column cannot outlive it.
    ddl.constraints.retain(|c| !c.mentions(column));
    Ok(())
}

fn foreign_key_constraint(fk: &ForeignKey) -> Result<ddl::ConstraintDdl> {
    let d = Dialect::Sqlite;
    let mut fk = fk.clone();
    let name = fk.name.take();
    let body = sql::foreign_key_sql(d, &fk);
    let sql = match &name {
        Some(n) => format!("CONSTRAINT {} {body}", d.quote_ident(n)),
        None => body,
    };
    constraint(&sql, name.as_deref(), ConstraintType::ForeignKey)
}

fn add_primary_key(table: &str, ddl: &mut TableDdl, name: &str, columns: &[String]) -> Result<()> {
    let d = Dialect::Sqlite;
    let has_pk = ddl
        .constraints
        .iter()
        .any(|c| c.kind == ConstraintType::PrimaryKey)
        || ddl.columns.iter().any(|c| c.has_word("PRIMARY"));
    if has_pk {
        return Err(Error::Rebuild(format!(
            "table {table} already has a primary key; drop it first"
        )));
    }
    let cols: Vec<String> = columns.iter().map(|c| d.quote_ident(c)).collect();
    let text = format!(
        "CONSTRAINT {} PRIMARY KEY ({})",
        d.quote_ident(name),
        cols.join(", ")
    );
    ddl.constraints
        .push(constraint(&text, Some(name), ConstraintType::PrimaryKey)?);
    Ok(())
}

fn drop_constraint(
    table: &str,
    ddl: &mut TableDdl,
    name: &str,
    kind: ConstraintKind,
    dropped_indexes: &mut Vec<String>,
) -> Result<()> {
    let before = ddl.constraints.len();
    ddl.constraints.retain(|c| c.name.as_deref() != Some(name));
    if ddl.constraints.len() == before {
        // create_unique_constraint makes a unique index on SQLite:
        // dropping it means not recreating that index.
        if kind == ConstraintKind::Unique {
            dropped_indexes.push(name.to_owned());
        } else {
            return Err(not_found(
                table,
                format!("constraint named {name} (only named table constraints can be dropped)"),
            ));
        }
    }
    Ok(())
}

fn add_column(table: &str, ddl: &mut TableDdl, column: &ColumnDef) -> Result<()> {
    if ddl
        .columns
        .iter()
        .any(|c| c.name.eq_ignore_ascii_case(&column.name))
    {
        return Err(Error::Rebuild(format!(
            "table {table} already has a column {}",
            column.name
        )));
    }
    let tokens = tokens::tokenize(&sql::column_sql(Dialect::Sqlite, column)?)?;
    let Some(name) = tokens.first().and_then(Token::ident) else {
        return Err(Error::Rebuild(format!(
            "cannot add column {} to {table}",
            column.name
        )));
    };
    ddl.columns.push(ddl::ColumnDdl {
        name,
        rest: tokens[1..].to_vec(),
    });
    Ok(())
}

/// The statements that rebuild `table` with `ops` applied.
pub fn plan(table: &str, src: &TableSource, ops: &[&Operation]) -> Result<Vec<String>> {
    let d = Dialect::Sqlite;
    let mut ddl = ddl::parse(&src.create_sql)?;
    let old_columns: Vec<String> = ddl.columns.iter().map(|c| c.name.clone()).collect();
    let mut dropped = Vec::new();
    let mut dropped_indexes = Vec::new();
    edit(table, &mut ddl, ops, &mut dropped, &mut dropped_indexes)?;
    let tmp = format!("_migrate_new_{table}");
    let qt = d.quote_ident(table);
    let qtmp = d.quote_ident(&tmp);
    // Generated columns are computed by SQLite, never copied.
    let kept: Vec<String> = old_columns
        .iter()
        .filter(|c| {
            ddl.columns
                .iter()
                .any(|n| n.name.eq_ignore_ascii_case(c) && !n.is_generated())
        })
        .map(|c| d.quote_ident(c))
        .collect();
    let rowid = if ddl.without_rowid() { "" } else { "rowid, " };
    let mut out = vec![
        ddl.to_sql(&qtmp),
        format!(
            "INSERT INTO {qtmp} ({rowid}{cols}) SELECT {rowid}{cols} FROM {qt}",
            cols = kept.join(", ")
        ),
        format!("DROP TABLE {qt}"),
        // The old name is gone now: a view naming it must not stop the rename.
        "PRAGMA legacy_alter_table = ON".to_owned(),
        format!("ALTER TABLE {qtmp} RENAME TO {qt}"),
        "PRAGMA legacy_alter_table = OFF".to_owned(),
    ];
    for (name, sql) in &src.indexes {
        if dropped_indexes.contains(name) || dropped.iter().any(|c| ddl::index_mentions(sql, c)) {
            continue;
        }
        out.push(sql.clone());
    }
    out.extend(src.triggers.iter().cloned());
    if let Some(seq) = src.sequence {
        // DROP TABLE removed the old counter, and an empty copy creates none:
        // raise or recreate it so that AUTOINCREMENT never reuses an id.
        let name = d.quote_str(table);
        out.push(format!(
            "UPDATE sqlite_sequence SET seq = {seq} WHERE name = {name} AND seq < {seq}"
        ));
        out.push(format!(
            "INSERT INTO sqlite_sequence (name, seq) SELECT {name}, {seq} WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {name})"
        ));
    }
    Ok(out)
}
