//! Column renderings: types, definitions, `ADD COLUMN` and `alter_column`,
//! whose SQL differs most between the dialects.

use crate::dialect::Dialect;
use crate::error::Result;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::ops::{AlterColumn, ColumnDef, ColumnDefault, ForeignKey, Operation};
use crate::sql::table::foreign_key;
use crate::sql::{unsupported, value, SchemaFacts};

const SQLITE_ALTER_COLUMN: &str = rebuild_reason!(
    "SQLite cannot change a column's type, nullability or default in place; \
     that needs a table rebuild"
);
const MYSQL_UNKNOWN_COLUMN: &str = concat!(
    "the column's current definition is unknown (not found in the database ",
    "or in the schema built by earlier migrations)"
);
const PRIMARY_KEY_COLUMN: &str =
    "a primary key column cannot be added to an existing table; use create_primary_key";

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
        ColumnDefault::Sql(s) if d == Dialect::Sqlite => Ok(sqlite_default(s)),
        ColumnDefault::Sql(s) => Ok(s.clone()),
    }
}

/// SQLite takes an expression as a default only in parentheses
/// (`DEFAULT (datetime('now'))`), and reports it without them: anything but a
/// literal, a signed number, NULL, TRUE, FALSE or `CURRENT_*` is wrapped. A
/// bare or double-quoted identifier (`DEFAULT active`) is left alone: SQLite
/// takes it as the string `'active'` there, and in parentheses as a column,
/// which a default cannot name.
fn sqlite_default(s: &str) -> String {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let number = {
        let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
        !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    };
    let quoted = |q: char| {
        t.len() >= 2
            && t.starts_with(q)
            && t.ends_with(q)
            && !t[1..t.len() - 1]
                .replace(&format!("{q}{q}"), "")
                .contains(q)
    };
    let identifier = t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let simple = number
        || identifier
        || quoted('"')
        || quoted('\'')
        || ((upper.starts_with("X'")) && t.ends_with('\''))
        || matches!(
            upper.as_str(),
            "NULL" | "TRUE" | "FALSE" | "CURRENT_TIME" | "CURRENT_DATE" | "CURRENT_TIMESTAMP"
        )
        || (t.starts_with('(') && t.ends_with(')'));
    if simple {
        s.to_owned()
    } else {
        format!("({t})")
    }
}

/// Renders one column definition (name, type, constraints) as `ADD COLUMN` takes it.
pub fn column_sql(d: Dialect, c: &ColumnDef) -> Result<String> {
    column_def(d, c, false, true)
}

/// Renders one column definition. `inline_pk` puts `PRIMARY KEY` on the column.
pub(super) fn column_def(
    d: Dialect,
    c: &ColumnDef,
    inline_pk: bool,
    inline_refs: bool,
) -> Result<String> {
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
    } else if d == Dialect::Mysql && c.ty.kind == ColumnKind::Timestamptz {
        // Where `explicit_defaults_for_timestamp` is off (MySQL 5.7, MariaDB
        // before 10.10), a TIMESTAMP not said to be NULL is NOT NULL.
        s.push_str(" NULL");
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

pub(super) fn add_column(
    d: Dialect,
    op: &Operation,
    table: &str,
    column: &ColumnDef,
    if_not_exists: bool,
) -> Result<Vec<String>> {
    let q = |n: &str| d.quote_ident(n);
    if column.primary_key {
        return Err(unsupported(op, d, PRIMARY_KEY_COLUMN));
    }
    let mut stmts = Vec::new();
    // SQLite refuses ADD COLUMN .. UNIQUE; a unique index enforces the same.
    let unique_as_index = column.unique && d == Dialect::Sqlite;
    // MySQL parses and silently ignores an inline REFERENCES.
    let inline_refs = d != Dialect::Mysql;
    let mut c = column.clone();
    c.unique = column.unique && !unique_as_index;
    let ine = if if_not_exists { "IF NOT EXISTS " } else { "" };
    // MySQL: the foreign key goes into the same ALTER TABLE, so that the
    // operation is one statement, done or not (a lock timeout between two
    // statements would leave the column without its key).
    let fk = match (&column.references, inline_refs) {
        (Some((rt, rc)), false) => {
            let fk = ForeignKey::new([column.name.clone()], rt.clone(), [rc.clone()]);
            format!(", ADD {}", foreign_key(d, &fk))
        }
        _ => String::new(),
    };
    stmts.push(format!(
        "ALTER TABLE {} ADD COLUMN {ine}{}{fk}",
        q(table),
        column_def(d, &c, false, inline_refs)?
    ));
    if unique_as_index {
        stmts.push(format!(
            "CREATE UNIQUE INDEX {} ON {} ({})",
            q(&format!("uq_{table}_{}", column.name)),
            q(table),
            q(&column.name)
        ));
    }
    Ok(stmts)
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

pub(super) fn alter_column(
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
                let existing = facts
                    .existing_column(&a.table, &a.column)?
                    .ok_or_else(|| unsupported(op, d, MYSQL_UNKNOWN_COLUMN))?;
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
                return Err(unsupported(op, d, SQLITE_ALTER_COLUMN));
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

#[cfg(test)]
mod default_tests {
    use super::sqlite_default;

    #[test]
    fn sqlite_defaults_that_are_expressions_get_their_parentheses() {
        for (given, written) in [
            ("datetime('now')", "(datetime('now'))"),
            ("1 + 2", "(1 + 2)"),
            ("'it''s'", "'it''s'"),
            ("'a' || 'b'", "('a' || 'b')"),
            ("-1.5", "-1.5"),
            ("1e3", "1e3"),
            ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
            ("null", "null"),
            ("X'00ff'", "X'00ff'"),
            ("(lower('A'))", "(lower('A'))"),
            ("abs(-1)", "(abs(-1))"),
            ("active", "active"),
            ("\"active\"", "\"active\""),
            ("a b", "(a b)"),
        ] {
            assert_eq!(sqlite_default(given), written, "{given}");
        }
    }
}
