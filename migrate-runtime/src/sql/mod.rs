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
use crate::ops::value::Value;
use crate::ops::Operation;

/// A reason for refusing an operation that SQLite can only make by rebuilding
/// the table: `rebuild_reason!("SQLite cannot ...")`.
macro_rules! rebuild_reason {
    ($what:literal) => {
        concat!(
            $what,
            "; the executor and offline scripts do that rebuild (see `rebuild`), ",
            "a single statement cannot"
        )
    };
}

mod column;
mod table;
pub mod version;

pub use column::{column_sql, column_type};
pub use table::foreign_key_sql;

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

fn idents(d: Dialect, names: &[String]) -> String {
    names
        .iter()
        .map(|n| d.quote_ident(n))
        .collect::<Vec<_>>()
        .join(", ")
}

const BATCH_ALONE: &str =
    "a batch is applied by the executor or the offline script, not rendered alone";

/// Renders one operation as the statements to run, in order. A data migration
/// (`Operation::Run`) renders to nothing: the executor runs it.
pub fn operation(d: Dialect, op: &Operation, facts: &mut dyn SchemaFacts) -> Result<Vec<String>> {
    let q = |n: &str| d.quote_ident(n);
    Ok(match op {
        Operation::CreateTable(t) => vec![table::create_table(d, t)?],
        Operation::DropTable { name, if_exists } => {
            let ie = if *if_exists { "IF EXISTS " } else { "" };
            vec![format!("DROP TABLE {ie}{}", q(name))]
        }
        Operation::RenameTable { from, to } => {
            vec![format!("ALTER TABLE {} RENAME TO {}", q(from), q(to))]
        }
        Operation::AddColumn {
            if_not_exists: true,
            ..
        }
        | Operation::DropColumn {
            if_exists: true, ..
        } if d == Dialect::Sqlite => {
            return Err(unsupported(
                op,
                d,
                "SQLite has no IF [NOT] EXISTS for columns",
            ));
        }
        Operation::Batch { .. } => return Err(unsupported(op, d, BATCH_ALONE)),
        Operation::AddColumn {
            table,
            column,
            if_not_exists,
        } => column::add_column(d, op, table, column, *if_not_exists)?,
        Operation::DropColumn {
            table,
            column,
            if_exists,
        } => {
            let ie = if *if_exists { "IF EXISTS " } else { "" };
            vec![format!(
                "ALTER TABLE {} DROP COLUMN {ie}{}",
                q(table),
                q(column)
            )]
        }
        Operation::AlterColumn(a) => column::alter_column(d, op, a, facts)?,
        Operation::CreateIndex(i) => vec![table::create_index(d, op, i)?],
        Operation::DropIndex {
            name,
            table,
            if_exists,
        } => {
            let ie = if *if_exists { "IF EXISTS " } else { "" };
            match d {
                Dialect::Mysql => vec![format!("DROP INDEX {ie}{} ON {}", q(name), q(table))],
                _ => vec![format!("DROP INDEX {ie}{}", q(name))],
            }
        }
        Operation::CreateUnique { .. }
        | Operation::CreateForeignKey { .. }
        | Operation::CreateCheck { .. }
        | Operation::CreatePrimaryKey { .. }
        | Operation::DropConstraint { .. } => table::constraint(d, op)?,
        Operation::Execute(e) => e
            .for_dialect(d)
            .map(|s| vec![s.to_owned()])
            .unwrap_or_default(),
        Operation::BulkInsert {
            table,
            columns,
            rows,
        } => bulk_insert(d, table, columns, rows)?,
        Operation::Run { .. } => Vec::new(),
    })
}

fn bulk_insert(
    d: Dialect,
    table: &str,
    columns: &[String],
    rows: &[Vec<Value>],
) -> Result<Vec<String>> {
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
        stmts.push(format!(
            "INSERT INTO {} ({}) VALUES {}",
            d.quote_ident(table),
            idents(d, columns),
            vals.join(", ")
        ));
    }
    Ok(stmts)
}

#[cfg(test)]
mod tests;
