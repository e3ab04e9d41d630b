//! Table-level renderings: `CREATE TABLE`, indexes, foreign keys and the
//! named constraints added to or dropped from an existing table.

use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;
use crate::ops::{
    Action, ColumnDef, ConstraintKind, CreateIndex, CreateTable, ForeignKey, Operation,
};
use crate::sql::column::column_def;
use crate::sql::{idents, unsupported};

const SQLITE_ADD_FOREIGN_KEY: &str =
    rebuild_reason!("SQLite cannot add a foreign key to an existing table without a table rebuild");
const SQLITE_ADD_CHECK: &str = rebuild_reason!(
    "SQLite cannot add a check constraint to an existing table without a table rebuild"
);
const SQLITE_ADD_PRIMARY_KEY: &str =
    rebuild_reason!("SQLite cannot add a primary key to an existing table without a table rebuild");
const SQLITE_DROP_CONSTRAINT: &str =
    rebuild_reason!("SQLite cannot drop this constraint without a table rebuild");

fn action(a: Action) -> &'static str {
    match a {
        Action::Cascade => "CASCADE",
        Action::SetNull => "SET NULL",
        Action::SetDefault => "SET DEFAULT",
        Action::Restrict => "RESTRICT",
        Action::NoAction => "NO ACTION",
    }
}

/// Renders `[CONSTRAINT name] FOREIGN KEY (..) REFERENCES t (..) [ON DELETE ..] [ON UPDATE ..]`.
pub fn foreign_key_sql(d: Dialect, fk: &ForeignKey) -> String {
    foreign_key(d, fk)
}

pub(super) fn foreign_key(d: Dialect, fk: &ForeignKey) -> String {
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

pub(super) fn create_table(d: Dialect, t: &CreateTable) -> Result<String> {
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

pub(super) fn create_index(d: Dialect, op: &Operation, i: &CreateIndex) -> Result<String> {
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

/// Adding and dropping named constraints.
pub(super) fn constraint(d: Dialect, op: &Operation) -> Result<Vec<String>> {
    let q = |n: &str| d.quote_ident(n);
    let sqlite = d == Dialect::Sqlite;
    let sql = match op {
        Operation::CreateUnique {
            name,
            table,
            columns,
        } => match d {
            Dialect::Sqlite => format!(
                "CREATE UNIQUE INDEX {} ON {} ({})",
                q(name),
                q(table),
                idents(d, columns)
            ),
            _ => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE ({})",
                q(table),
                q(name),
                idents(d, columns)
            ),
        },
        Operation::CreateForeignKey { .. } if sqlite => {
            return Err(unsupported(op, d, SQLITE_ADD_FOREIGN_KEY))
        }
        Operation::CreateForeignKey { table, fk } => {
            format!("ALTER TABLE {} ADD {}", q(table), foreign_key(d, fk))
        }
        Operation::CreateCheck { .. } if sqlite => {
            return Err(unsupported(op, d, SQLITE_ADD_CHECK))
        }
        Operation::CreateCheck { name, table, sql } => format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({sql})",
            q(table),
            q(name)
        ),
        Operation::CreatePrimaryKey {
            name,
            table,
            columns,
        } => match d {
            Dialect::Sqlite => return Err(unsupported(op, d, SQLITE_ADD_PRIMARY_KEY)),
            Dialect::Mysql => format!(
                "ALTER TABLE {} ADD PRIMARY KEY ({})",
                q(table),
                idents(d, columns)
            ),
            Dialect::Postgres => format!(
                "ALTER TABLE {} ADD CONSTRAINT {} PRIMARY KEY ({})",
                q(table),
                q(name),
                idents(d, columns)
            ),
        },
        Operation::DropConstraint { name, table, kind } => {
            drop_constraint(d, op, name, table, *kind)?
        }
        other => unreachable!("not a constraint operation: {}", other.describe()),
    };
    Ok(vec![sql])
}

fn drop_constraint(
    d: Dialect,
    op: &Operation,
    name: &str,
    table: &str,
    kind: ConstraintKind,
) -> Result<String> {
    let (t, n) = (d.quote_ident(table), d.quote_ident(name));
    Ok(match (d, kind) {
        (Dialect::Postgres, _) => format!("ALTER TABLE {t} DROP CONSTRAINT {n}"),
        (Dialect::Mysql, ConstraintKind::ForeignKey) => {
            format!("ALTER TABLE {t} DROP FOREIGN KEY {n}")
        }
        (Dialect::Mysql, ConstraintKind::Unique) => format!("ALTER TABLE {t} DROP INDEX {n}"),
        (Dialect::Mysql, ConstraintKind::Check) => format!("ALTER TABLE {t} DROP CONSTRAINT {n}"),
        (Dialect::Mysql, ConstraintKind::PrimaryKey) => format!("ALTER TABLE {t} DROP PRIMARY KEY"),
        // create_unique_constraint makes a unique index on SQLite.
        (Dialect::Sqlite, ConstraintKind::Unique) => format!("DROP INDEX {n}"),
        (Dialect::Sqlite, _) => return Err(unsupported(op, d, SQLITE_DROP_CONSTRAINT)),
    })
}
