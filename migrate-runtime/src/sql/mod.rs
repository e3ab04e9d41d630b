//! Rendering operations to SQL statements for one dialect.
//!
//! Every identifier goes through [`Dialect::quote_ident`] and every literal through
//! [`Dialect::quote_str`] (or a number/hex form), so names such as `order`,
//! `user` or `a"b` work and cannot inject SQL. Raw SQL the user writes
//! (`execute`, check expressions, partial-index predicates, server defaults) is
//! passed through as written, as in Alembic.

use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::ops::value::Value;
use crate::ops::{
    Action, AlterColumn, ColumnDef, ColumnDefault, ConstraintKind, CreateIndex, CreateTable,
    ForeignKey, Operation,
};

/// A column's definition as MySQL reports it, needed to rewrite it with
/// `ALTER TABLE .. MODIFY` (which replaces the whole definition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingColumn {
    /// The full type, e.g. `varchar(255)`.
    pub column_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default as SQL, if any (`'x'`, `0`, `current_timestamp()`).
    pub default_sql: Option<String>,
    /// `AUTO_INCREMENT`.
    pub auto_increment: bool,
    /// `CHARACTER SET x COLLATE y` of a text column, restated while the type stays text.
    pub charset: Option<String>,
    /// `ON UPDATE CURRENT_TIMESTAMP[(n)]`, restated while the type stays a date-time.
    pub on_update: Option<String>,
    /// The column comment, as a quoted literal.
    pub comment: Option<String>,
}

/// Facts about the current schema that some renderings need and an operation
/// does not carry. Online they come from the live database; offline from the
/// schema the chain built so far.
pub trait SchemaFacts {
    /// The existing definition of `table.column`, if known.
    fn existing_column(&mut self, table: &str, column: &str) -> Result<Option<ExistingColumn>>;
}

/// Facts for renderings that need none: every lookup answers "unknown".
pub struct NoFacts;

impl SchemaFacts for NoFacts {
    fn existing_column(&mut self, _: &str, _: &str) -> Result<Option<ExistingColumn>> {
        Ok(None)
    }
}

fn unsupported(op: &Operation, dialect: Dialect, why: &str) -> Error {
    Error::Unsupported {
        operation: op.describe(),
        dialect,
        reason: why.to_owned(),
    }
}

/// Renders a literal value.
pub fn value(d: Dialect, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => "NULL".to_owned(),
        Value::Bool(b) => match (d, b) {
            (Dialect::Postgres, true) => "TRUE".to_owned(),
            (Dialect::Postgres, false) => "FALSE".to_owned(),
            (_, b) => (if *b { "1" } else { "0" }).to_owned(),
        },
        Value::Int(i) => i.to_string(),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(Error::InvalidOperation(format!(
                    "{f} cannot be written as a SQL literal"
                )));
            }
            format!("{f:?}")
        }
        Value::Text(s) => {
            if s.contains('\0') {
                return Err(Error::InvalidOperation(
                    "a string literal cannot contain a NUL character".into(),
                ));
            }
            d.quote_str(s)
        }
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            match d {
                Dialect::Postgres => format!("'\\x{hex}'::bytea"),
                _ => format!("X'{hex}'"),
            }
        }
    })
}

/// Renders a column type.
pub fn column_type(d: Dialect, ty: &ColumnType, autoincrement_pk: bool) -> String {
    use ColumnKind::*;
    // SQLite only generates rowids for a column typed exactly INTEGER PRIMARY KEY.
    if d == Dialect::Sqlite && autoincrement_pk && matches!(ty.kind, SmallInt | Integer | BigInt) {
        return "INTEGER".to_owned();
    }
    match (ty.kind, d) {
        (SmallInt, _) => "SMALLINT".into(),
        (Integer, Dialect::Mysql) => "INT".into(),
        (Integer, _) => "INTEGER".into(),
        (BigInt, _) => "BIGINT".into(),
        (Text, _) => match ty.length {
            Some(n) => format!("VARCHAR({n})"),
            None => "TEXT".into(),
        },
        (Bool, Dialect::Mysql) => "BOOL".into(),
        (Bool, _) => "BOOLEAN".into(),
        (Float, Dialect::Mysql) => "FLOAT".into(),
        (Float, _) => "REAL".into(),
        (Double, Dialect::Postgres) => "DOUBLE PRECISION".into(),
        (Double, _) => "DOUBLE".into(),
        (Numeric, _) => {
            let name = if d == Dialect::Mysql {
                "DECIMAL"
            } else {
                "NUMERIC"
            };
            match ty.precision {
                Some((p, s)) => format!("{name}({p}, {s})"),
                None => name.into(),
            }
        }
        (Date, _) => "DATE".into(),
        (Time, _) => "TIME".into(),
        (Timestamp, Dialect::Mysql) => "DATETIME".into(),
        (Timestamp, _) => "TIMESTAMP".into(),
        (Timestamptz, Dialect::Postgres) => "TIMESTAMPTZ".into(),
        (Timestamptz, _) => "TIMESTAMP".into(),
        (Binary, Dialect::Postgres) => "BYTEA".into(),
        (Binary, _) => match ty.length {
            Some(n) if d == Dialect::Mysql => format!("VARBINARY({n})"),
            _ => "BLOB".into(),
        },
        // SQLite would give a column declared JSON numeric affinity and turn '1' into 1.
        (Json | Jsonb, Dialect::Sqlite) => "TEXT".into(),
        (Json, _) => "JSON".into(),
        (Jsonb, Dialect::Postgres) => "JSONB".into(),
        (Jsonb, _) => "JSON".into(),
        (Uuid, Dialect::Postgres) => "UUID".into(),
        (Uuid, Dialect::Mysql) => "CHAR(36)".into(),
        (Uuid, Dialect::Sqlite) => "TEXT".into(),
    }
}

fn default_sql(d: Dialect, def: &ColumnDefault) -> Result<String> {
    match def {
        ColumnDefault::Value(v) => value(d, v),
        ColumnDefault::Sql(s) => Ok(s.clone()),
    }
}

fn idents(d: Dialect, names: &[String]) -> String {
    names
        .iter()
        .map(|n| d.quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

fn action(a: Action) -> &'static str {
    match a {
        Action::Cascade => "CASCADE",
        Action::SetNull => "SET NULL",
        Action::SetDefault => "SET DEFAULT",
        Action::Restrict => "RESTRICT",
        Action::NoAction => "NO ACTION",
    }
}

/// Renders one column definition (name, type, constraints) as `ADD COLUMN` takes it.
pub fn column_sql(d: Dialect, c: &ColumnDef) -> Result<String> {
    column_def(d, c, false, true)
}

/// Renders `[CONSTRAINT name] FOREIGN KEY (..) REFERENCES t (..) [ON DELETE ..] [ON UPDATE ..]`.
pub fn foreign_key_sql(d: Dialect, fk: &ForeignKey) -> String {
    foreign_key(d, fk)
}

fn foreign_key(d: Dialect, fk: &ForeignKey) -> String {
    let mut s = String::new();
    if let Some(n) = &fk.name {
        s.push_str(&format!("CONSTRAINT {} ", d.quote_ident(n)));
    }
    s.push_str(&format!(
        "FOREIGN KEY ({}) REFERENCES {} ({})",
        idents(d, &fk.columns),
        d.quote_ident(&fk.ref_table),
        idents(d, &fk.ref_columns)
    ));
    if let Some(a) = fk.on_delete {
        s.push_str(&format!(" ON DELETE {}", action(a)));
    }
    if let Some(a) = fk.on_update {
        s.push_str(&format!(" ON UPDATE {}", action(a)));
    }
    s
}

/// Renders one column definition. `inline_pk` puts `PRIMARY KEY` on the column.
fn column_def(d: Dialect, c: &ColumnDef, inline_pk: bool, inline_refs: bool) -> Result<String> {
    let mut s = format!(
        "{} {}",
        d.quote_ident(&c.name),
        column_type(d, &c.ty, inline_pk && c.autoincrement)
    );
    if c.autoincrement && d == Dialect::Postgres {
        s.push_str(" GENERATED BY DEFAULT AS IDENTITY");
    }
    if !c.nullable {
        s.push_str(" NOT NULL");
    }
    if let Some(def) = &c.default {
        s.push_str(" DEFAULT ");
        s.push_str(&default_sql(d, def)?);
    }
    if inline_pk {
        s.push_str(" PRIMARY KEY");
        if c.autoincrement && d == Dialect::Sqlite {
            s.push_str(" AUTOINCREMENT");
        }
    }
    if c.autoincrement && d == Dialect::Mysql {
        s.push_str(" AUTO_INCREMENT");
    }
    if c.unique {
        s.push_str(" UNIQUE");
    }
    if inline_refs {
        if let Some((t, col)) = &c.references {
            s.push_str(&format!(
                " REFERENCES {} ({})",
                d.quote_ident(t),
                d.quote_ident(col)
            ));
        }
    }
    Ok(s)
}

fn create_table(d: Dialect, t: &CreateTable) -> Result<String> {
    if t.columns.is_empty() {
        return Err(Error::InvalidOperation(format!(
            "create_table {}: a table needs at least one column",
            t.name
        )));
    }
    let pk_cols: Vec<&ColumnDef> = t.columns.iter().filter(|c| c.primary_key).collect();
    let inline_pk = t.primary_key.is_none() && pk_cols.len() == 1;
    let mut parts = Vec::new();
    for c in &t.columns {
        parts.push(column_def(d, c, inline_pk && c.primary_key, false)?);
    }
    if let Some((name, cols)) = &t.primary_key {
        let prefix = name
            .as_ref()
            .map(|n| format!("CONSTRAINT {} ", d.quote_ident(n)))
            .unwrap_or_default();
        parts.push(format!("{prefix}PRIMARY KEY ({})", idents(d, cols)));
    } else if pk_cols.len() > 1 {
        let cols: Vec<String> = pk_cols.iter().map(|c| c.name.clone()).collect();
        parts.push(format!("PRIMARY KEY ({})", idents(d, &cols)));
    }
    for (name, cols) in &t.uniques {
        let prefix = name
            .as_ref()
            .map(|n| format!("CONSTRAINT {} ", d.quote_ident(n)))
            .unwrap_or_default();
        parts.push(format!("{prefix}UNIQUE ({})", idents(d, cols)));
    }
    for c in &t.columns {
        if let Some((rt, rc)) = &c.references {
            parts.push(foreign_key(
                d,
                &ForeignKey::new([c.name.clone()], rt.clone(), [rc.clone()]),
            ));
        }
    }
    for fk in &t.foreign_keys {
        parts.push(foreign_key(d, fk));
    }
    for (name, sql) in &t.checks {
        let prefix = name
            .as_ref()
            .map(|n| format!("CONSTRAINT {} ", d.quote_ident(n)))
            .unwrap_or_default();
        parts.push(format!("{prefix}CHECK ({sql})"));
    }
    Ok(format!(
        "CREATE TABLE {}{} (\n    {}\n)",
        if t.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
        d.quote_ident(&t.name),
        parts.join(",\n    ")
    ))
}

fn create_index(d: Dialect, op: &Operation, i: &CreateIndex) -> Result<String> {
    if i.columns.is_empty() {
        return Err(Error::InvalidOperation(format!(
            "create_index {}: an index needs at least one column",
            i.name
        )));
    }
    if i.predicate.is_some() && d == Dialect::Mysql {
        return Err(unsupported(
            op,
            d,
            "MySQL and MariaDB have no partial indexes",
        ));
    }
    if i.concurrently && d != Dialect::Postgres {
        return Err(unsupported(op, d, "CONCURRENTLY exists only on PostgreSQL"));
    }
    let mut s = format!(
        "CREATE {}INDEX {}{}{} ON {} ({})",
        if i.unique { "UNIQUE " } else { "" },
        if i.concurrently { "CONCURRENTLY " } else { "" },
        if i.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        },
        d.quote_ident(&i.name),
        d.quote_ident(&i.table),
        idents(d, &i.columns)
    );
    if let Some(p) = &i.predicate {
        s.push_str(&format!(" WHERE {p}"));
    }
    Ok(s)
}

/// `SET DEFAULT` / `DROP DEFAULT` and `RENAME COLUMN`, which PostgreSQL and
/// MySQL spell alike (`table` and `col` already quoted).
fn default_and_rename(
    d: Dialect,
    table: &str,
    col: &str,
    a: &AlterColumn,
    out: &mut Vec<String>,
) -> Result<()> {
    match &a.default {
        Some(Some(def)) => out.push(format!(
            "ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {}",
            default_sql(d, def)?
        )),
        Some(None) => out.push(format!(
            "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT"
        )),
        None => {}
    }
    if let Some(new) = &a.new_name {
        out.push(format!(
            "ALTER TABLE {table} RENAME COLUMN {col} TO {}",
            d.quote_ident(new)
        ));
    }
    Ok(())
}

fn alter_column(
    d: Dialect,
    op: &Operation,
    a: &AlterColumn,
    facts: &mut dyn SchemaFacts,
) -> Result<Vec<String>> {
    let table = d.quote_ident(&a.table);
    let col = d.quote_ident(&a.column);
    let mut out = Vec::new();
    let changes_definition = a.ty.is_some() || a.nullable.is_some();
    match d {
        Dialect::Postgres => {
            if let Some(ty) = &a.ty {
                let t = column_type(d, ty, false);
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} TYPE {t} USING {col}::{t}"
                ));
            }
            if let Some(n) = a.nullable {
                out.push(format!(
                    "ALTER TABLE {table} ALTER COLUMN {col} {} NOT NULL",
                    if n { "DROP" } else { "SET" }
                ));
            }
            default_and_rename(d, &table, &col, a, &mut out)?;
        }
        Dialect::Mysql => {
            if changes_definition {
                // MODIFY replaces the whole definition: everything not being changed
                // must be restated exactly, or MySQL silently drops it (the default,
                // NOT NULL, AUTO_INCREMENT). Alembic asks users for `existing_type`;
                // we read it from the database.
                let existing = facts.existing_column(&a.table, &a.column)?.ok_or_else(|| {
                    unsupported(op, d, "the column's current definition is unknown (not found in the database or in the schema built by earlier migrations)")
                })?;
                let ty =
                    a.ty.as_ref()
                        .map_or(existing.column_type.clone(), |t| column_type(d, t, false));
                // Attributes that belong to the kind of type: kept while the new type
                // is of that kind (a character set only means something for text).
                let new_kind = a.ty.map(|t| t.kind);
                let keeps_text = new_kind.is_none_or(|k| k == ColumnKind::Text);
                let keeps_datetime = new_kind
                    .is_none_or(|k| matches!(k, ColumnKind::Timestamp | ColumnKind::Timestamptz));
                let nullable = a.nullable.unwrap_or(existing.nullable);
                let default = match &a.default {
                    Some(Some(def)) => Some(default_sql(d, def)?),
                    Some(None) => None,
                    None => existing.default_sql.clone(),
                };
                let mut s = match &a.new_name {
                    Some(new) => format!(
                        "ALTER TABLE {table} CHANGE COLUMN {col} {} {ty}",
                        d.quote_ident(new)
                    ),
                    None => format!("ALTER TABLE {table} MODIFY COLUMN {col} {ty}"),
                };
                if let (Some(cs), true) = (&existing.charset, keeps_text) {
                    s.push_str(&format!(" {cs}"));
                }
                s.push_str(if nullable { " NULL" } else { " NOT NULL" });
                if let Some(def) = default {
                    s.push_str(&format!(" DEFAULT {def}"));
                }
                if let (Some(on), true) = (&existing.on_update, keeps_datetime) {
                    s.push_str(&format!(" {on}"));
                }
                if existing.auto_increment {
                    s.push_str(" AUTO_INCREMENT");
                }
                if let Some(c) = &existing.comment {
                    s.push_str(&format!(" COMMENT {c}"));
                }
                out.push(s);
            } else {
                default_and_rename(d, &table, &col, a, &mut out)?;
            }
        }
        Dialect::Sqlite => {
            if changes_definition || a.default.is_some() {
                return Err(unsupported(
                    op,
                    d,
                    "SQLite cannot change a column's type, nullability or default in place; that needs a table rebuild; the executor and offline scripts do that rebuild (see `rebuild`), a single statement cannot",
                ));
            }
            if let Some(new) = &a.new_name {
                out.push(format!(
                    "ALTER TABLE {table} RENAME COLUMN {col} TO {}",
                    d.quote_ident(new)
                ));
            }
        }
    }
    Ok(out)
}

/// Renders one operation as the statements to run, in order. A data migration
/// (`Operation::Run`) renders to nothing: the executor runs it.
pub fn operation(d: Dialect, op: &Operation, facts: &mut dyn SchemaFacts) -> Result<Vec<String>> {
    let q = |n: &str| d.quote_ident(n);
    Ok(match op {
        Operation::CreateTable(t) => vec![create_table(d, t)?],
        Operation::DropTable { name, if_exists } => {
            vec![format!("DROP TABLE {}{}", if *if_exists { "IF EXISTS " } else { "" }, q(name))]
        }
        Operation::RenameTable { from, to } => vec![format!("ALTER TABLE {} RENAME TO {}", q(from), q(to))],
        Operation::AddColumn { if_not_exists: true, .. } | Operation::DropColumn { if_exists: true, .. } if d == Dialect::Sqlite => {
            return Err(unsupported(op, d, "SQLite has no IF [NOT] EXISTS for columns"));
        }
        Operation::Batch { .. } => {
            return Err(unsupported(op, d, "a batch is applied by the executor or the offline script, not rendered alone"));
        }
        Operation::AddColumn { table, column, if_not_exists } => {
            if column.primary_key {
                return Err(unsupported(op, d, "a primary key column cannot be added to an existing table; use create_primary_key"));
            }
            let mut stmts = Vec::new();
            // SQLite refuses ADD COLUMN .. UNIQUE; a unique index enforces the same.
            let unique_as_index = column.unique && d == Dialect::Sqlite;
            // MySQL parses and silently ignores an inline REFERENCES.
            let inline_refs = d != Dialect::Mysql;
            let mut c = column.clone();
            c.unique = column.unique && !unique_as_index;
            let ine = if *if_not_exists { "IF NOT EXISTS " } else { "" };
            stmts.push(format!("ALTER TABLE {} ADD COLUMN {ine}{}", q(table), column_def(d, &c, false, inline_refs)?));
            if unique_as_index {
                stmts.push(format!(
                    "CREATE UNIQUE INDEX {} ON {} ({})",
                    q(&format!("uq_{table}_{}", column.name)),
                    q(table),
                    q(&column.name)
                ));
            }
            if let (Some((rt, rc)), false) = (&column.references, inline_refs) {
                stmts.push(format!(
                    "ALTER TABLE {} ADD {}",
                    q(table),
                    foreign_key(d, &ForeignKey::new([column.name.clone()], rt.clone(), [rc.clone()]))
                ));
            }
            stmts
        }
        Operation::DropColumn { table, column, if_exists } => {
            let ie = if *if_exists { "IF EXISTS " } else { "" };
            vec![format!("ALTER TABLE {} DROP COLUMN {ie}{}", q(table), q(column))]
        }
        Operation::AlterColumn(a) => alter_column(d, op, a, facts)?,
        Operation::CreateIndex(i) => vec![create_index(d, op, i)?],
        Operation::DropIndex { name, table, if_exists } => {
            let ie = if *if_exists { "IF EXISTS " } else { "" };
            match d {
                Dialect::Mysql => vec![format!("DROP INDEX {ie}{} ON {}", q(name), q(table))],
                _ => vec![format!("DROP INDEX {ie}{}", q(name))],
            }
        }
        Operation::CreateUnique { name, table, columns } => match d {
            Dialect::Sqlite => vec![format!("CREATE UNIQUE INDEX {} ON {} ({})", q(name), q(table), idents(d, columns))],
            _ => vec![format!("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})", q(table), q(name), idents(d, columns))],
        },
        Operation::CreateForeignKey { table, fk } => match d {
            Dialect::Sqlite => return Err(unsupported(op, d, "SQLite cannot add a foreign key to an existing table without a table rebuild; the executor and offline scripts do that rebuild (see `rebuild`), a single statement cannot")),
            _ => vec![format!("ALTER TABLE {} ADD {}", q(table), foreign_key(d, fk))],
        },
        Operation::CreateCheck { name, table, sql } => match d {
            Dialect::Sqlite => return Err(unsupported(op, d, "SQLite cannot add a check constraint to an existing table without a table rebuild; the executor and offline scripts do that rebuild (see `rebuild`), a single statement cannot")),
            _ => vec![format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({sql})", q(table), q(name))],
        },
        Operation::CreatePrimaryKey { name, table, columns } => match d {
            Dialect::Sqlite => return Err(unsupported(op, d, "SQLite cannot add a primary key to an existing table without a table rebuild; the executor and offline scripts do that rebuild (see `rebuild`), a single statement cannot")),
            Dialect::Mysql => vec![format!("ALTER TABLE {} ADD PRIMARY KEY ({})", q(table), idents(d, columns))],
            Dialect::Postgres => vec![format!("ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})", q(table), q(name), idents(d, columns))],
        },
        Operation::DropConstraint { name, table, kind } => match (d, kind) {
            (Dialect::Postgres, _) => vec![format!("ALTER TABLE {} DROP CONSTRAINT {}", q(table), q(name))],
            (Dialect::Mysql, ConstraintKind::ForeignKey) => vec![format!("ALTER TABLE {} DROP FOREIGN KEY {}", q(table), q(name))],
            (Dialect::Mysql, ConstraintKind::Unique) => vec![format!("ALTER TABLE {} DROP INDEX {}", q(table), q(name))],
            (Dialect::Mysql, ConstraintKind::Check) => vec![format!("ALTER TABLE {} DROP CONSTRAINT {}", q(table), q(name))],
            (Dialect::Mysql, ConstraintKind::PrimaryKey) => vec![format!("ALTER TABLE {} DROP PRIMARY KEY", q(table))],
            // create_unique_constraint makes a unique index on SQLite.
            (Dialect::Sqlite, ConstraintKind::Unique) => vec![format!("DROP INDEX {}", q(name))],
            (Dialect::Sqlite, _) => return Err(unsupported(op, d, "SQLite cannot drop this constraint without a table rebuild; the executor and offline scripts do that rebuild (see `rebuild`), a single statement cannot")),
        },
        Operation::Execute(e) => e.for_dialect(d).map(|s| vec![s.to_owned()]).unwrap_or_default(),
        Operation::BulkInsert { table, columns, rows } => {
            let mut stmts = Vec::new();
            // Bounded statements: SQLite caps a compound SELECT/VALUES list at 500 terms by default.
            for chunk in rows.chunks(500) {
                let mut vals = Vec::with_capacity(chunk.len());
                for (i, row) in chunk.iter().enumerate() {
                    if row.len() != columns.len() {
                        return Err(Error::InvalidOperation(format!(
                            "bulk_insert {table}: row {} has {} values for {} columns",
                            i + 1,
                            row.len(),
                            columns.len()
                        )));
                    }
                    let r: Result<Vec<String>> = row.iter().map(|v| value(d, v)).collect();
                    vals.push(format!("({})", r?.join(", ")));
                }
                stmts.push(format!("INSERT INTO {} ({}) VALUES {}", q(table), idents(d, columns), vals.join(", ")));
            }
            stmts
        }
        Operation::Run { .. } => Vec::new(),
    })
}

pub mod version;

#[cfg(test)]
mod tests;
