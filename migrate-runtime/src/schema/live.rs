//! A live database's schema as the database reports it: tables, columns, indexes
//! and constraints, in a form that compares across runs (round-trip tests,
//! `check`). Each backend reads it ([`crate::backend::schema`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A column as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// Type as the database spells it, lower case (`integer`, `character varying(255)`, `varchar(255)`).
    pub sql_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression, as the database reports it.
    pub default: Option<String>,
}

/// A table as the database reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// Columns in order.
    pub columns: Vec<ColumnInfo>,
    /// Indexes, each described as `name: UNIQUE (a, b) WHERE ...`.
    pub indexes: BTreeSet<String>,
    /// Constraints (primary key, unique, foreign keys, checks), each described in one line.
    pub constraints: BTreeSet<String>,
}

impl TableInfo {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every table of a database (the version table excluded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, TableInfo>,
}

// Read by `testing` (round trips) and its users; autogen reads the tables only.
#[cfg_attr(not(feature = "testing"), allow(dead_code))]
impl Schema {
    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.get(name)
    }

    /// What differs from `expected`, one line each; empty when equal. The
    /// order of a table's columns counts too, reported when nothing else
    /// differs in that table (see [`Schema::diff_with`]).
    pub fn diff(&self, expected: &Schema) -> Vec<String> {
        self.diff_with(expected, true)
    }

    /// [`Schema::diff`], with the order of columns counting only when
    /// `column_order` is set: a downgrade that adds back a column dropped
    /// from the middle of a table puts it last, and PostgreSQL cannot move it.
    pub fn diff_with(&self, expected: &Schema, column_order: bool) -> Vec<String> {
        let mut out = Vec::new();
        for (name, exp) in &expected.tables {
            let before = out.len();
            let Some(got) = self.tables.get(name) else {
                out.push(format!("table {name} is missing"));
                continue;
            };
            for c in &exp.columns {
                match got.column(&c.name) {
                    None => out.push(format!("table {name}: column {} is missing", c.name)),
                    Some(g) if g != c => out.push(format!(
                        "table {name}: column {} is {g:?}, expected {c:?}",
                        c.name
                    )),
                    _ => {}
                }
            }
            for c in &got.columns {
                if exp.column(&c.name).is_none() {
                    out.push(format!("table {name}: column {} is left over", c.name));
                }
            }
            let exp_names: Vec<&str> = exp.columns.iter().map(|c| c.name.as_str()).collect();
            let got_names: Vec<&str> = got.columns.iter().map(|c| c.name.as_str()).collect();
            if column_order && out.len() == before && exp_names != got_names {
                out.push(format!(
                    "table {name}: columns are in order {got_names:?}, expected {exp_names:?}"
                ));
            }
            for i in exp.indexes.difference(&got.indexes) {
                out.push(format!("table {name}: index {i} is missing"));
            }
            for i in got.indexes.difference(&exp.indexes) {
                out.push(format!("table {name}: index {i} is left over"));
            }
            for c in exp.constraints.difference(&got.constraints) {
                out.push(format!("table {name}: constraint {c} is missing"));
            }
            for c in got.constraints.difference(&exp.constraints) {
                out.push(format!("table {name}: constraint {c} is left over"));
            }
        }
        for name in self.tables.keys() {
            if !expected.tables.contains_key(name) {
                out.push(format!("table {name} is left over"));
            }
        }
        out
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, t) in &self.tables {
            writeln!(f, "table {name}")?;
            for c in &t.columns {
                write!(
                    f,
                    "  {} {}{}",
                    c.name,
                    c.sql_type,
                    if c.nullable { "" } else { " NOT NULL" }
                )?;
                if let Some(d) = &c.default {
                    write!(f, " DEFAULT {d}")?;
                }
                writeln!(f)?;
            }
            for i in &t.indexes {
                writeln!(f, "  index {i}")?;
            }
            for c in &t.constraints {
                writeln!(f, "  constraint {c}")?;
            }
        }
        Ok(())
    }
}
