//! The operations a migration records: Alembic's `op`, typed.
//!
//! A migration function receives an [`Op`] and records what it wants done. The
//! executor renders the recording for the live database's dialect and runs it;
//! offline mode (`upgrade --sql`) renders the same recording as a script. A data
//! migration that needs the live connection is recorded as a closure with
//! [`Op::run`].
//!
//! Every recording method here and in the builders is `#[inline(never)]`: a
//! chain calls each a few times per migration over thousands of migrations,
//! once per run, and inlined (the string allocations, the moves of a column
//! definition, the vector growth) they were most of a long chain's release
//! build. Out of line, a migration compiles to one call per method
//! (BENCHMARKS.md, "Build cost of a long chain: literal rows as data, builders
//! out of line").

mod batch;
mod column;
mod names;
mod table;
pub mod types;
pub mod value;

pub use batch::BatchOp;
pub use column::{col, Column, ColumnDef, ColumnDefault};
pub use table::{
    Action, AlterColumn, ConstraintKind, CreateIndex, CreateTable, Execute, ForeignKey,
};

use crate::db::conn::AnyConnection;
use crate::error::Result;
use crate::ops::value::Value;

fn strings<I: IntoIterator<Item = S>, S: Into<String>>(i: I) -> Vec<String> {
    i.into_iter().map(Into::into).collect()
}

/// A data migration run with the live connection.
pub type DataFn = Box<dyn FnOnce(&mut AnyConnection) -> Result<()>>;

/// One recorded operation.
#[non_exhaustive]
pub enum Operation {
    /// `CREATE TABLE`.
    CreateTable(CreateTable),
    /// `DROP TABLE`.
    DropTable {
        /// Table.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `ALTER TABLE .. RENAME TO`.
    RenameTable {
        /// Old name.
        from: String,
        /// New name.
        to: String,
    },
    /// `ALTER TABLE .. ADD COLUMN`.
    AddColumn {
        /// Table.
        table: String,
        /// The new column.
        column: ColumnDef,
        /// `IF NOT EXISTS` (PostgreSQL, MariaDB).
        if_not_exists: bool,
    },
    /// `ALTER TABLE .. DROP COLUMN`.
    DropColumn {
        /// Table.
        table: String,
        /// Column.
        column: String,
        /// `IF EXISTS` (PostgreSQL, MariaDB).
        if_exists: bool,
    },
    /// Changes to one table applied together: on SQLite, in a single table rebuild
    /// (Alembic's `batch_alter_table`); elsewhere, one after the other.
    Batch {
        /// The table.
        table: String,
        /// The changes, in order.
        ops: Vec<Operation>,
    },
    /// Column changes.
    AlterColumn(AlterColumn),
    /// `CREATE INDEX`.
    CreateIndex(CreateIndex),
    /// `DROP INDEX`.
    DropIndex {
        /// Index.
        name: String,
        /// Its table (MySQL needs it).
        table: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `ADD CONSTRAINT .. UNIQUE`.
    CreateUnique {
        /// Constraint name.
        name: String,
        /// Table.
        table: String,
        /// Columns.
        columns: Vec<String>,
    },
    /// `ADD CONSTRAINT .. FOREIGN KEY`.
    CreateForeignKey {
        /// Referencing table.
        table: String,
        /// The key (its name is required here).
        fk: ForeignKey,
    },
    /// `ADD CONSTRAINT .. CHECK`.
    CreateCheck {
        /// Constraint name.
        name: String,
        /// Table.
        table: String,
        /// SQL expression.
        sql: String,
    },
    /// `ADD CONSTRAINT .. PRIMARY KEY`.
    CreatePrimaryKey {
        /// Constraint name.
        name: String,
        /// Table.
        table: String,
        /// Columns.
        columns: Vec<String>,
    },
    /// `DROP CONSTRAINT`.
    DropConstraint {
        /// Constraint name.
        name: String,
        /// Table.
        table: String,
        /// Its kind.
        kind: ConstraintKind,
    },
    /// Raw SQL.
    Execute(Execute),
    /// `INSERT` of literal rows.
    BulkInsert {
        /// Table.
        table: String,
        /// Columns.
        columns: Vec<String>,
        /// Rows, each as many values as columns.
        rows: Vec<Vec<Value>>,
    },
    /// A data migration with the live connection.
    Run {
        /// What it does, shown in logs and offline scripts.
        description: String,
        /// The code.
        f: DataFn,
        /// It commits batch by batch itself ([`Op::run_in_batches`]): never
        /// wrapped in a transaction with its ledger record.
        in_batches: bool,
    },
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Operation {
    /// Takes the code out of a data step, leaving one that does nothing: the
    /// executor calls each data step once.
    pub(crate) fn take_data_fn(&mut self) -> Option<DataFn> {
        match self {
            Operation::Run { f, .. } => Some(std::mem::replace(f, Box::new(|_| Ok(())))),
            _ => None,
        }
    }

    /// A short description for logs and error messages: `add_column users.email`.
    pub fn describe(&self) -> String {
        match self {
            Operation::CreateTable(t) => format!("create_table {}", t.name),
            Operation::DropTable { name, .. } => format!("drop_table {name}"),
            Operation::RenameTable { from, to } => format!("rename_table {from} -> {to}"),
            Operation::AddColumn { table, column, .. } => {
                format!("add_column {table}.{}", column.name)
            }
            Operation::DropColumn { table, column, .. } => format!("drop_column {table}.{column}"),
            Operation::Batch { table, ops } => {
                format!("batch_alter_table {table} ({} operations)", ops.len())
            }
            Operation::AlterColumn(a) => format!("alter_column {}.{}", a.table, a.column),
            Operation::CreateIndex(i) => format!("create_index {} on {}", i.name, i.table),
            Operation::DropIndex { name, .. } => format!("drop_index {name}"),
            Operation::CreateUnique { name, table, .. } => {
                format!("create_unique_constraint {name} on {table}")
            }
            Operation::CreateForeignKey { table, fk } => format!(
                "create_foreign_key {} on {table}",
                fk.name.as_deref().unwrap_or("(unnamed)")
            ),
            Operation::CreateCheck { name, table, .. } => {
                format!("create_check_constraint {name} on {table}")
            }
            Operation::CreatePrimaryKey { name, table, .. } => {
                format!("create_primary_key {name} on {table}")
            }
            Operation::DropConstraint { name, table, .. } => {
                format!("drop_constraint {name} on {table}")
            }
            Operation::Execute(e) => {
                let sql = e
                    .sql
                    .as_deref()
                    .or(e.postgres.as_deref())
                    .or(e.sqlite.as_deref())
                    .or(e.mysql.as_deref())
                    .unwrap_or("");
                let short: String = sql.chars().take(60).collect();
                format!("execute {short:?}")
            }
            Operation::BulkInsert { table, rows, .. } => {
                format!("bulk_insert {table} ({} rows)", rows.len())
            }
            Operation::Run { description, .. } => format!("run {description:?}"),
        }
    }
}

/// What a migration function receives: it records operations in order.
#[derive(Default)]
pub struct Op {
    ops: Vec<Operation>,
    /// Lint findings accepted after review: (operation index, why).
    reviews: Vec<(usize, String)>,
}

macro_rules! last_as {
    ($self:ident, $variant:ident) => {
        match $self.ops.last_mut() {
            Some(Operation::$variant(x)) => x,
            // Only reachable if the push just above pushed another variant.
            _ => unreachable!(concat!("just pushed ", stringify!($variant))),
        }
    };
}

impl Op {
    /// An empty recording.
    pub fn new() -> Self {
        Op::default()
    }

    /// The recorded operations, in order.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Marks the operation recorded last as reviewed: `migrate lint` (and
    /// [`crate::testing::lint`]) accept what they would report about it, and
    /// show `why` instead.
    ///
    /// ```
    /// # use migrate_runtime::prelude::*;
    /// # fn upgrade(op: &mut Op) -> Result<()> {
    /// op.drop_column("users", "legacy_flag");
    /// op.reviewed("unused since 2.3; every replica runs 2.4");
    /// # Ok(()) }
    /// ```
    #[inline(never)]
    pub fn reviewed(&mut self, why: impl Into<String>) -> &mut Self {
        if !self.ops.is_empty() {
            self.reviews.push((self.ops.len() - 1, why.into()));
        }
        self
    }

    /// The reviewed operations: index and why.
    pub(crate) fn reviews(&self) -> &[(usize, String)] {
        &self.reviews
    }

    /// Takes the recorded operations out.
    pub fn into_operations(self) -> Vec<Operation> {
        self.ops
    }

    /// `CREATE TABLE name (...)`; add columns and constraints on the result.
    ///
    /// ```
    /// use migrate_runtime::prelude::*;
    /// let mut op = Op::new();
    /// op.create_table("users")
    ///     .column(col::<Integer>("id").primary_key().autoincrement())
    ///     .column(col::<Text>("name").default("anonymous"))
    ///     .column(col::<Nullable<Text>>("email").unique());
    /// ```
    #[inline(never)]
    pub fn create_table(&mut self, name: impl Into<String>) -> &mut CreateTable {
        self.ops.push(Operation::CreateTable(CreateTable {
            name: name.into(),
            ..CreateTable::default()
        }));
        last_as!(self, CreateTable)
    }

    /// `DROP TABLE name`.
    #[inline(never)]
    pub fn drop_table(&mut self, name: impl Into<String>) {
        self.ops.push(Operation::DropTable {
            name: name.into(),
            if_exists: false,
        });
    }

    /// `DROP TABLE IF EXISTS name`.
    #[inline(never)]
    pub fn drop_table_if_exists(&mut self, name: impl Into<String>) {
        self.ops.push(Operation::DropTable {
            name: name.into(),
            if_exists: true,
        });
    }

    /// Renames a table.
    #[inline(never)]
    pub fn rename_table(&mut self, from: impl Into<String>, to: impl Into<String>) {
        self.ops.push(Operation::RenameTable {
            from: from.into(),
            to: to.into(),
        });
    }

    /// Adds a column.
    #[inline(never)]
    pub fn add_column(&mut self, table: impl Into<String>, column: impl Into<ColumnDef>) {
        self.ops.push(Operation::AddColumn {
            table: table.into(),
            column: column.into(),
            if_not_exists: false,
        });
    }

    /// Adds a column unless it exists (`ADD COLUMN IF NOT EXISTS`: PostgreSQL, MariaDB).
    #[inline(never)]
    pub fn add_column_if_not_exists(
        &mut self,
        table: impl Into<String>,
        column: impl Into<ColumnDef>,
    ) {
        self.ops.push(Operation::AddColumn {
            table: table.into(),
            column: column.into(),
            if_not_exists: true,
        });
    }

    /// Drops a column.
    #[inline(never)]
    pub fn drop_column(&mut self, table: impl Into<String>, column: impl Into<String>) {
        self.ops.push(Operation::DropColumn {
            table: table.into(),
            column: column.into(),
            if_exists: false,
        });
    }

    /// Drops a column if it exists (`DROP COLUMN IF EXISTS`: PostgreSQL, MariaDB).
    #[inline(never)]
    pub fn drop_column_if_exists(&mut self, table: impl Into<String>, column: impl Into<String>) {
        self.ops.push(Operation::DropColumn {
            table: table.into(),
            column: column.into(),
            if_exists: true,
        });
    }

    /// Several changes to one table applied together (Alembic's
    /// `batch_alter_table`): on SQLite in a single table rebuild, however many
    /// columns and constraints change; elsewhere one statement after the other.
    /// The closure's [`BatchOp`] names the table for every operation it records.
    ///
    /// ```
    /// use migrate_runtime::prelude::*;
    /// let mut op = Op::new();
    /// op.batch_alter_table("users", |b| {
    ///     b.add_column(col::<Nullable<Text>>("nick"));
    ///     b.alter_column("email").nullable(false);
    ///     b.drop_column("legacy");
    /// });
    /// ```
    #[inline(never)]
    pub fn batch_alter_table(&mut self, table: impl Into<String>, f: impl FnOnce(&mut BatchOp)) {
        let mut batch = BatchOp::new(table.into());
        f(&mut batch);
        let (table, ops) = batch.into_parts();
        self.ops.push(Operation::Batch { table, ops });
    }

    /// Changes a column: name, type, nullability or default.
    #[inline(never)]
    pub fn alter_column(
        &mut self,
        table: impl Into<String>,
        column: impl Into<String>,
    ) -> &mut AlterColumn {
        self.ops.push(Operation::AlterColumn(AlterColumn {
            table: table.into(),
            column: column.into(),
            new_name: None,
            ty: None,
            nullable: None,
            default: None,
        }));
        last_as!(self, AlterColumn)
    }

    /// `CREATE INDEX name ON table (columns)`.
    #[inline(never)]
    pub fn create_index<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        columns: I,
    ) -> &mut CreateIndex {
        self.ops.push(Operation::CreateIndex(CreateIndex {
            name: name.into(),
            table: table.into(),
            columns: strings(columns),
            unique: false,
            predicate: None,
            if_not_exists: false,
            concurrently: false,
        }));
        last_as!(self, CreateIndex)
    }

    /// `DROP INDEX name` (of `table`).
    #[inline(never)]
    pub fn drop_index(&mut self, name: impl Into<String>, table: impl Into<String>) {
        self.ops.push(Operation::DropIndex {
            name: name.into(),
            table: table.into(),
            if_exists: false,
        });
    }

    /// `DROP INDEX IF EXISTS name` (of `table`).
    #[inline(never)]
    pub fn drop_index_if_exists(&mut self, name: impl Into<String>, table: impl Into<String>) {
        self.ops.push(Operation::DropIndex {
            name: name.into(),
            table: table.into(),
            if_exists: true,
        });
    }

    /// Adds a named unique constraint.
    #[inline(never)]
    pub fn create_unique_constraint<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        columns: I,
    ) {
        self.ops.push(Operation::CreateUnique {
            name: name.into(),
            table: table.into(),
            columns: strings(columns),
        });
    }

    /// Adds a named foreign key from `table(columns)` to `ref_table(ref_columns)`.
    #[inline(never)]
    pub fn create_foreign_key<I, S, J, R>(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        ref_table: impl Into<String>,
        columns: I,
        ref_columns: J,
    ) -> &mut ForeignKey
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
        J: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let mut fk = ForeignKey::new(columns, ref_table, ref_columns);
        fk.name(name);
        self.ops.push(Operation::CreateForeignKey {
            table: table.into(),
            fk,
        });
        match self.ops.last_mut() {
            Some(Operation::CreateForeignKey { fk, .. }) => fk,
            _ => unreachable!("just pushed CreateForeignKey"),
        }
    }

    /// Adds a named check constraint.
    #[inline(never)]
    pub fn create_check_constraint(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        sql: impl Into<String>,
    ) {
        self.ops.push(Operation::CreateCheck {
            name: name.into(),
            table: table.into(),
            sql: sql.into(),
        });
    }

    /// Adds a named primary key.
    #[inline(never)]
    pub fn create_primary_key<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        columns: I,
    ) {
        self.ops.push(Operation::CreatePrimaryKey {
            name: name.into(),
            table: table.into(),
            columns: strings(columns),
        });
    }

    /// Drops a named constraint of the given kind.
    #[inline(never)]
    pub fn drop_constraint(
        &mut self,
        name: impl Into<String>,
        table: impl Into<String>,
        kind: ConstraintKind,
    ) {
        self.ops.push(Operation::DropConstraint {
            name: name.into(),
            table: table.into(),
            kind,
        });
    }

    /// Runs raw SQL; add per-dialect variants on the result.
    #[inline(never)]
    pub fn execute(&mut self, sql: impl Into<String>) -> &mut Execute {
        self.ops.push(Operation::Execute(Execute {
            sql: Some(sql.into()),
            sqlite: None,
            postgres: None,
            mysql: None,
        }));
        last_as!(self, Execute)
    }

    /// Runs raw SQL only on the dialects given on the result (none by default).
    #[inline(never)]
    pub fn execute_per_dialect(&mut self) -> &mut Execute {
        self.ops.push(Operation::Execute(Execute {
            sql: None,
            sqlite: None,
            postgres: None,
            mysql: None,
        }));
        last_as!(self, Execute)
    }

    /// Inserts literal rows: `op.bulk_insert("t", ["id", "name"], vec![row![1, "a"]])`.
    #[inline(never)]
    pub fn bulk_insert<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        table: impl Into<String>,
        columns: I,
        rows: Vec<Vec<Value>>,
    ) {
        self.ops.push(Operation::BulkInsert {
            table: table.into(),
            columns: strings(columns),
            rows,
        });
    }

    /// A data step that works through a table a batch at a time: `batch(conn,
    /// size)` changes up to `size` rows and returns how many it changed, and
    /// is called again until it returns 0. In a migration without a
    /// transaction (`#[migration(transaction = false)]`) each batch commits on
    /// its own, so that no lock is held for the whole table and a re-run goes
    /// on where it stopped (write the batch so that rows already done are not
    /// picked again, e.g. `WHERE email IS NULL`); otherwise the batches run in
    /// the migration's transaction. Once it has run two seconds it reports the
    /// rows done and the rate every two seconds ([`crate::Migrator::on_progress`]).
    ///
    /// ```
    /// # use migrate_runtime::prelude::*;
    /// # fn upgrade(op: &mut Op) -> Result<()> {
    /// op.run_in_batches("backfill users.email_lower", 5000, |conn, size| {
    ///     // MySQL and MariaDB take no subquery on the table being updated.
    ///     let sql = match conn.dialect() {
    ///         Dialect::Mysql => format!(
    ///             "UPDATE users SET email_lower = lower(email) \
    ///              WHERE email_lower IS NULL LIMIT {size}"
    ///         ),
    ///         _ => format!(
    ///             "UPDATE users SET email_lower = lower(email) WHERE id IN \
    ///              (SELECT id FROM users WHERE email_lower IS NULL LIMIT {size})"
    ///         ),
    ///     };
    ///     conn.execute_count(&sql)
    /// });
    /// # Ok(()) }
    /// ```
    #[inline(never)]
    pub fn run_in_batches<F>(&mut self, description: impl Into<String>, size: u64, mut batch: F)
    where
        F: FnMut(&mut AnyConnection, u64) -> Result<u64> + 'static,
    {
        let description = description.into();
        let name = description.clone();
        self.run(description, move |conn| {
            let size = size.max(1);
            let started = std::time::Instant::now();
            let mut next_report = std::time::Duration::from_secs(2);
            let mut done = 0u64;
            loop {
                // Outside a transaction each batch gets its own.
                let own = !conn.in_transaction()?;
                if own {
                    conn.begin()?;
                }
                let n = match batch(conn, size) {
                    Ok(n) => n,
                    Err(e) if own => {
                        return Err(match conn.rollback() {
                            Ok(()) => e,
                            Err(c) => crate::error::Error::cleanup(e, c),
                        })
                    }
                    Err(e) => return Err(e),
                };
                if own {
                    conn.commit()?;
                }
                if n == 0 {
                    return Ok(());
                }
                done = done.saturating_add(n);
                let elapsed = started.elapsed();
                if elapsed >= next_report {
                    next_report = elapsed + std::time::Duration::from_secs(2);
                    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
                    crate::progress::report(&format!(
                        "{name}: {done} rows in {:.0} s ({rate:.0} rows/s)",
                        elapsed.as_secs_f64()
                    ));
                }
            }
        });
        if let Some(Operation::Run { in_batches, .. }) = self.ops.last_mut() {
            *in_batches = true;
        }
    }

    /// A data migration that uses the live connection. Offline scripts show it as a
    /// comment, since it cannot be rendered as SQL.
    #[inline(never)]
    pub fn run<F>(&mut self, description: impl Into<String>, f: F)
    where
        F: FnOnce(&mut AnyConnection) -> Result<()> + 'static,
    {
        self.ops.push(Operation::Run {
            description: description.into(),
            f: Box::new(f),
            in_batches: false,
        });
    }
}
