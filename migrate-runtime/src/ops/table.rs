//! The definitions table operations carry: tables, column changes, indexes,
//! foreign keys, constraint kinds and raw SQL.

use crate::dialect::Dialect;
use crate::ops::column::{ColumnDef, ColumnDefault};
use crate::ops::strings;
use crate::ops::types::{ColumnType, SqlColumnType};
use crate::ops::value::Value;

/// What happens to referencing rows on delete or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
    /// `RESTRICT`.
    Restrict,
    /// `NO ACTION`.
    NoAction,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignKey {
    /// Constraint name, if given.
    pub name: Option<String>,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// Referenced table.
    pub ref_table: String,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: Option<Action>,
    /// `ON UPDATE`.
    pub on_update: Option<Action>,
}

impl ForeignKey {
    /// `FOREIGN KEY (columns) REFERENCES ref_table (ref_columns)`.
    #[inline(never)]
    pub fn new<I, S, J, R>(columns: I, ref_table: impl Into<String>, ref_columns: J) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = R>,
        R: Into<String>,
    {
        ForeignKey {
            name: None,
            columns: strings(columns),
            ref_table: ref_table.into(),
            ref_columns: strings(ref_columns),
            on_delete: None,
            on_update: None,
        }
    }
    /// Names the constraint.
    #[inline(never)]
    pub fn name(&mut self, name: impl Into<String>) -> &mut Self {
        self.name = Some(name.into());
        self
    }
    /// Sets `ON DELETE`.
    #[inline(never)]
    pub fn on_delete(&mut self, action: Action) -> &mut Self {
        self.on_delete = Some(action);
        self
    }
    /// Sets `ON UPDATE`.
    #[inline(never)]
    pub fn on_update(&mut self, action: Action) -> &mut Self {
        self.on_update = Some(action);
        self
    }
}

/// Lets a builder chain (`ForeignKey::new(..).name(..)`, a `&mut ForeignKey`) be
/// passed where a key is expected.
impl From<&mut ForeignKey> for ForeignKey {
    fn from(fk: &mut ForeignKey) -> Self {
        fk.clone()
    }
}

/// `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreateTable {
    /// Table name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<ColumnDef>,
    /// Composite primary key (name, columns), when not given per column.
    pub primary_key: Option<(Option<String>, Vec<String>)>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Unique constraints (name, columns).
    pub uniques: Vec<(Option<String>, Vec<String>)>,
    /// Check constraints (name, SQL expression).
    pub checks: Vec<(Option<String>, String)>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
}

impl CreateTable {
    /// Adds a column.
    #[inline(never)]
    pub fn column(&mut self, column: impl Into<ColumnDef>) -> &mut Self {
        self.columns.push(column.into());
        self
    }
    /// Sets a (composite) primary key.
    #[inline(never)]
    pub fn primary_key<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        columns: I,
    ) -> &mut Self {
        self.primary_key = Some((None, strings(columns)));
        self
    }
    /// Adds a foreign key.
    #[inline(never)]
    pub fn foreign_key(&mut self, fk: impl Into<ForeignKey>) -> &mut Self {
        self.foreign_keys.push(fk.into());
        self
    }
    /// Adds a named unique constraint.
    #[inline(never)]
    pub fn unique<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        columns: I,
    ) -> &mut Self {
        self.uniques.push((Some(name.into()), strings(columns)));
        self
    }
    /// Adds a named check constraint.
    #[inline(never)]
    pub fn check(&mut self, name: impl Into<String>, sql: impl Into<String>) -> &mut Self {
        self.checks.push((Some(name.into()), sql.into()));
        self
    }
    /// Adds `IF NOT EXISTS`.
    #[inline(never)]
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }
}

/// A change to one column (`alter_column`). Unset fields stay as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterColumn {
    /// Table name.
    pub table: String,
    /// Current column name.
    pub column: String,
    /// New name.
    pub new_name: Option<String>,
    /// New type.
    pub ty: Option<ColumnType>,
    /// New nullability.
    pub nullable: Option<bool>,
    /// New default: `Some(None)` drops it.
    pub default: Option<Option<ColumnDefault>>,
}

impl AlterColumn {
    /// Renames the column.
    #[inline(never)]
    pub fn rename_to(&mut self, name: impl Into<String>) -> &mut Self {
        self.new_name = Some(name.into());
        self
    }
    /// Changes the type to `T` (nullability changes only with [`AlterColumn::nullable`]).
    #[inline(never)]
    pub fn set_type<T: SqlColumnType>(&mut self) -> &mut Self {
        self.ty = Some(ColumnType::of(T::KIND));
        self
    }
    /// Changes the type to a full [`ColumnType`] (with length or precision).
    #[inline(never)]
    pub fn set_column_type(&mut self, ty: ColumnType) -> &mut Self {
        self.ty = Some(ty);
        self
    }
    /// Allows or forbids NULL.
    #[inline(never)]
    pub fn nullable(&mut self, nullable: bool) -> &mut Self {
        self.nullable = Some(nullable);
        self
    }
    /// Sets the default to a raw SQL expression.
    #[inline(never)]
    pub fn server_default(&mut self, sql: impl Into<String>) -> &mut Self {
        self.default = Some(Some(ColumnDefault::Sql(sql.into())));
        self
    }
    /// Sets the default to a literal.
    #[inline(never)]
    pub fn default_value(&mut self, value: impl Into<Value>) -> &mut Self {
        self.default = Some(Some(ColumnDefault::Value(value.into())));
        self
    }
    /// Drops the default.
    #[inline(never)]
    pub fn drop_default(&mut self) -> &mut Self {
        self.default = Some(None);
        self
    }
}

/// `CREATE INDEX`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndex {
    /// Index name.
    pub name: String,
    /// Table name.
    pub table: String,
    /// Indexed columns.
    pub columns: Vec<String>,
    /// `UNIQUE`.
    pub unique: bool,
    /// Partial index predicate (PostgreSQL and SQLite).
    pub predicate: Option<String>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `CONCURRENTLY` (PostgreSQL; the migration must be `transaction = false`).
    pub concurrently: bool,
}

impl CreateIndex {
    /// Makes it a unique index.
    #[inline(never)]
    pub fn unique(&mut self) -> &mut Self {
        self.unique = true;
        self
    }
    /// Makes it a partial index: `WHERE <sql>`.
    #[inline(never)]
    pub fn where_(&mut self, sql: impl Into<String>) -> &mut Self {
        self.predicate = Some(sql.into());
        self
    }
    /// Adds `IF NOT EXISTS`.
    #[inline(never)]
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }
    /// Builds it without locking writes (PostgreSQL `CONCURRENTLY`).
    #[inline(never)]
    pub fn concurrently(&mut self) -> &mut Self {
        self.concurrently = true;
        self
    }
}

/// The kind of a constraint to drop: MySQL needs it to pick the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A foreign key.
    ForeignKey,
    /// A unique constraint.
    Unique,
    /// A check constraint.
    Check,
    /// The primary key.
    PrimaryKey,
}

/// Raw SQL, optionally different per dialect.
#[derive(Debug, Clone, PartialEq)]
pub struct Execute {
    /// SQL for every dialect without its own.
    pub sql: Option<String>,
    /// SQL for SQLite.
    pub sqlite: Option<String>,
    /// SQL for PostgreSQL.
    pub postgres: Option<String>,
    /// SQL for MySQL/MariaDB.
    pub mysql: Option<String>,
}

impl Execute {
    /// SQL to run on SQLite instead.
    #[inline(never)]
    pub fn sqlite(&mut self, sql: impl Into<String>) -> &mut Self {
        self.sqlite = Some(sql.into());
        self
    }
    /// SQL to run on PostgreSQL instead.
    #[inline(never)]
    pub fn postgres(&mut self, sql: impl Into<String>) -> &mut Self {
        self.postgres = Some(sql.into());
        self
    }
    /// SQL to run on MySQL/MariaDB instead.
    #[inline(never)]
    pub fn mysql(&mut self, sql: impl Into<String>) -> &mut Self {
        self.mysql = Some(sql.into());
        self
    }
    /// The SQL for `dialect`, if any.
    pub fn for_dialect(&self, dialect: Dialect) -> Option<&str> {
        let specific = match dialect {
            Dialect::Sqlite => &self.sqlite,
            Dialect::Postgres => &self.postgres,
            Dialect::Mysql => &self.mysql,
        };
        specific.as_deref().or(self.sql.as_deref())
    }
}
