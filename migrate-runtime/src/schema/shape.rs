//! A live table in the parts a migration can recreate: what `revision
//! --from-database` reads (each backend's `Backend::shape`) and turns into a
//! baseline migration (`autogen::baseline`).
//!
//! [`super::live`] describes a table for comparison, one line per index or
//! constraint; this keeps the pieces apart (columns of each key, referenced
//! table, actions, predicate) and, where the database keeps it, the table's
//! own DDL, for what no typed operation reproduces exactly.

use crate::schema::live::ColumnInfo;

/// A primary key or unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// Its name, where the database keeps one.
    pub name: Option<String>,
    /// Its columns in order.
    pub columns: Vec<String>,
}

/// An index that is not a primary key or unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IndexShape {
    /// Name.
    pub name: String,
    /// Plain columns in order; empty when the index has an expression.
    pub columns: Vec<String>,
    /// `UNIQUE`.
    pub unique: bool,
    /// The `WHERE` of a partial index.
    pub predicate: Option<String>,
    /// The statement that recreates it, when the typed form would not
    /// (an expression, another method, a sort order, included columns).
    pub raw: Option<String>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignKeyShape {
    /// Name, where the database keeps one.
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON UPDATE` as the database reports it (`NO ACTION`, `CASCADE`, ...).
    pub on_update: String,
    /// `ON DELETE` likewise.
    pub on_delete: String,
}

/// A named constraint the typed operations do not reproduce, as the
/// database prints its definition (PostgreSQL's `pg_get_constraintdef`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawConstraint {
    /// Name.
    pub name: String,
    /// Definition, e.g. `FOREIGN KEY (a) REFERENCES t(id) DEFERRABLE`.
    pub definition: String,
}

/// One table, in parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TableShape {
    /// Name.
    pub name: String,
    /// Columns in order, as [`super::live`] reports them.
    pub columns: Vec<ColumnInfo>,
    /// Columns whose values the database generates (identity,
    /// `AUTO_INCREMENT`, SQLite `AUTOINCREMENT`).
    pub generated: Vec<String>,
    /// The primary key.
    pub primary_key: Option<Key>,
    /// Unique constraints (on MySQL: unique indexes).
    pub uniques: Vec<Key>,
    /// Other indexes.
    pub indexes: Vec<IndexShape>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeyShape>,
    /// Check constraints (name, expression).
    pub checks: Vec<(String, String)>,
    /// Constraints kept as the database prints them.
    pub raw_constraints: Vec<RawConstraint>,
    /// PostgreSQL: identity columns `GENERATED ALWAYS` (the rest of
    /// `generated` are `BY DEFAULT`).
    pub always_identity: Vec<String>,
    /// PostgreSQL: stored generated columns and their expressions.
    pub generated_as: Vec<(String, String)>,
    /// PostgreSQL: columns whose collation is not their type's, and that
    /// collation (quoted).
    pub collations: Vec<(String, String)>,
    /// PostgreSQL: the enum types the columns use (name as the column's type
    /// names it, and its `CREATE TYPE`).
    pub types: Vec<(String, String)>,
    /// Why the typed operations cannot recreate this table exactly, when
    /// they cannot: the baseline then recreates it from `ddl`.
    pub untyped: Option<String>,
    /// The table's `CREATE TABLE`, where the database keeps or prints one
    /// (SQLite's `sqlite_master`, MySQL's `SHOW CREATE TABLE`, or built from
    /// PostgreSQL's catalog: columns only).
    pub ddl: Option<String>,
}
