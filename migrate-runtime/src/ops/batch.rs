//! The recorder `batch_alter_table` hands its closure: [`Op`]'s one-table
//! operations with the batch's table already filled in.

use crate::ops::column::ColumnDef;
use crate::ops::table::{AlterColumn, ConstraintKind, CreateIndex, Execute, ForeignKey};
use crate::ops::value::Value;
use crate::ops::{Op, Operation};

/// What a [`Op::batch_alter_table`] closure receives: the operations of [`Op`]
/// that change one table, each recorded for the batch's table, so that a batch
/// cannot name another table by mistake.
///
/// ```
/// use migrate_runtime::prelude::*;
/// let mut op = Op::new();
/// op.batch_alter_table("users", |b| {
///     b.add_column(col::<Nullable<Integer>>("team_id"));
///     b.create_foreign_key("fk_users_team", "teams", ["team_id"], ["id"])
///         .on_delete(Action::SetNull);
///     b.create_check_constraint("ck_users_age", "age >= 0");
///     b.drop_constraint("uq_users_email", ConstraintKind::Unique);
/// });
/// ```
pub struct BatchOp {
    table: String,
    op: Op,
}

impl BatchOp {
    pub(super) fn new(table: String) -> Self {
        BatchOp {
            table,
            op: Op::new(),
        }
    }

    /// The batch's table and what was recorded for it.
    pub(super) fn into_parts(self) -> (String, Vec<Operation>) {
        (self.table, self.op.into_operations())
    }

    /// The table every operation of the batch changes.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The operations recorded so far, in order.
    pub fn operations(&self) -> &[Operation] {
        self.op.operations()
    }

    /// Adds a column ([`Op::add_column`]).
    #[inline(never)]
    pub fn add_column(&mut self, column: impl Into<ColumnDef>) {
        self.op.add_column(self.table.clone(), column);
    }

    /// Adds a column unless it exists ([`Op::add_column_if_not_exists`]).
    #[inline(never)]
    pub fn add_column_if_not_exists(&mut self, column: impl Into<ColumnDef>) {
        self.op.add_column_if_not_exists(self.table.clone(), column);
    }

    /// Drops a column ([`Op::drop_column`]).
    #[inline(never)]
    pub fn drop_column(&mut self, column: impl Into<String>) {
        self.op.drop_column(self.table.clone(), column);
    }

    /// Drops a column if it exists ([`Op::drop_column_if_exists`]).
    #[inline(never)]
    pub fn drop_column_if_exists(&mut self, column: impl Into<String>) {
        self.op.drop_column_if_exists(self.table.clone(), column);
    }

    /// Changes a column: name, type, nullability or default ([`Op::alter_column`]).
    #[inline(never)]
    pub fn alter_column(&mut self, column: impl Into<String>) -> &mut AlterColumn {
        self.op.alter_column(self.table.clone(), column)
    }

    /// `CREATE INDEX name ON <table> (columns)` ([`Op::create_index`]).
    #[inline(never)]
    pub fn create_index<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        columns: I,
    ) -> &mut CreateIndex {
        self.op.create_index(name, self.table.clone(), columns)
    }

    /// `DROP INDEX name` ([`Op::drop_index`]).
    #[inline(never)]
    pub fn drop_index(&mut self, name: impl Into<String>) {
        self.op.drop_index(name, self.table.clone());
    }

    /// `DROP INDEX IF EXISTS name` ([`Op::drop_index_if_exists`]).
    #[inline(never)]
    pub fn drop_index_if_exists(&mut self, name: impl Into<String>) {
        self.op.drop_index_if_exists(name, self.table.clone());
    }

    /// Adds a named unique constraint ([`Op::create_unique_constraint`]).
    #[inline(never)]
    pub fn create_unique_constraint<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        columns: I,
    ) {
        self.op
            .create_unique_constraint(name, self.table.clone(), columns);
    }

    /// Adds a named foreign key from `<table>(columns)` to `ref_table(ref_columns)`
    /// ([`Op::create_foreign_key`]).
    #[inline(never)]
    pub fn create_foreign_key<I, S, J, R>(
        &mut self,
        name: impl Into<String>,
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
        self.op
            .create_foreign_key(name, self.table.clone(), ref_table, columns, ref_columns)
    }

    /// Adds a named check constraint ([`Op::create_check_constraint`]).
    #[inline(never)]
    pub fn create_check_constraint(&mut self, name: impl Into<String>, sql: impl Into<String>) {
        self.op
            .create_check_constraint(name, self.table.clone(), sql);
    }

    /// Adds a named primary key ([`Op::create_primary_key`]).
    #[inline(never)]
    pub fn create_primary_key<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        name: impl Into<String>,
        columns: I,
    ) {
        self.op
            .create_primary_key(name, self.table.clone(), columns);
    }

    /// Drops a named constraint of the given kind ([`Op::drop_constraint`]).
    #[inline(never)]
    pub fn drop_constraint(&mut self, name: impl Into<String>, kind: ConstraintKind) {
        self.op.drop_constraint(name, self.table.clone(), kind);
    }

    /// Inserts literal rows into the table ([`Op::bulk_insert`]).
    #[inline(never)]
    pub fn bulk_insert<I: IntoIterator<Item = S>, S: Into<String>>(
        &mut self,
        columns: I,
        rows: Vec<Vec<Value>>,
    ) {
        self.op.bulk_insert(self.table.clone(), columns, rows);
    }

    /// Runs raw SQL in the batch's place ([`Op::execute`]); the SQL is written
    /// as given, so it names its tables itself.
    #[inline(never)]
    pub fn execute(&mut self, sql: impl Into<String>) -> &mut Execute {
        self.op.execute(sql)
    }

    /// Runs raw SQL only on the dialects given on the result ([`Op::execute_per_dialect`]).
    #[inline(never)]
    pub fn execute_per_dialect(&mut self) -> &mut Execute {
        self.op.execute_per_dialect()
    }
}

#[cfg(test)]
mod tests {
    use crate::dialect::Dialect;
    use crate::ops::types::Integer;
    use crate::ops::{col, Op, Operation};
    use crate::sqlite::rebuild;

    #[test]
    fn a_hand_built_batch_naming_another_table_is_still_refused() {
        // The bound API cannot name another table, but `Operation::Batch` is public.
        let batch = || {
            let mut inner = Op::new();
            inner.add_column("b", col::<Integer>("n").nullable());
            Operation::Batch {
                table: "a".into(),
                ops: inner.into_operations(),
            }
        };
        for d in Dialect::ALL {
            let e = rebuild::prepare(vec![batch()], d).unwrap_err().to_string();
            assert!(
                e.contains("batch_alter_table a: add_column b.n names another table"),
                "{d}: {e}"
            );
        }
    }
}
