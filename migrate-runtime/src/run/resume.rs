//! Resuming a migration that was interrupted without a transaction.
//!
//! Without transactional DDL (MySQL, MariaDB, Galera; or a `transaction =
//! false` migration anywhere) each operation commits on its own and the ledger
//! records it just after. A process killed, or a connection lost (a Galera
//! node gone), between the two leaves an operation that took effect but is
//! not recorded: run again, `DROP COLUMN` would fail on a column already
//! gone, and worse, a non-idempotent statement would run twice.
//!
//! A run that stopped on an error writes why into the ledger's `note`; one
//! that was interrupted cannot. So a half-applied row without a note means
//! "the operation after `ops_done` may have run": the resumed run looks at
//! the database for that operation's effect, and skips it when it is there.
//! Only operations whose effect can be told from the schema are judged; any
//! other runs again, as before. A failure after an operation's statement
//! committed (its ledger write, or this check itself) writes no note either.
//!
//! A missing note cannot tell a dead run from one still going whose lock
//! lease ran out (a statement longer than the lease, on Galera or through a
//! pooler): the run that took the lock over may then judge an operation the
//! other is still running; the old run stops at its next lease renewal.

use crate::backend::{Backend, Object};
use crate::db::conn::AnyConnection;
use crate::error::Result;
use crate::ops::{ConstraintKind, Operation};

/// Whether `op`'s effect is already in the database; false when it is not,
/// or cannot be told (then it runs again).
pub(crate) fn took_effect(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    op: &Operation,
) -> Result<bool> {
    let mut has = |o: Object<'_>| b.exists(conn, o);
    let done = match op {
        Operation::CreateTable(t) => has(Object::Table(&t.name))?,
        Operation::DropTable { name, .. } => has(Object::Table(name))?.map(|e| !e),
        Operation::RenameTable { from, to } => both(
            has(Object::Table(from))?.map(|e| !e),
            has(Object::Table(to))?,
        ),
        Operation::AddColumn { table, column, .. } => has(Object::Column {
            table,
            column: &column.name,
        })?,
        Operation::DropColumn { table, column, .. } => {
            // A column is gone when its table is there without it.
            both(
                has(Object::Table(table))?,
                has(Object::Column { table, column })?.map(|e| !e),
            )
        }
        Operation::AlterColumn(a) => match &a.new_name {
            // A rename is seen: the old name gone, the new one there. Other
            // changes are not judged (they are statements that can run twice).
            Some(new) => both(
                has(Object::Column {
                    table: &a.table,
                    column: &a.column,
                })?
                .map(|e| !e),
                has(Object::Column {
                    table: &a.table,
                    column: new,
                })?,
            ),
            None => None,
        },
        Operation::CreateIndex(i) => has(Object::Index {
            table: &i.table,
            name: &i.name,
        })?,
        Operation::DropIndex { name, table, .. } => has(Object::Index { table, name })?.map(|e| !e),
        Operation::CreateUnique { name, table, .. }
        | Operation::CreateCheck { name, table, .. } => has(Object::Constraint { table, name })?,
        Operation::CreateForeignKey { table, fk } => match &fk.name {
            Some(name) => has(Object::Constraint { table, name })?,
            None => None,
        },
        Operation::CreatePrimaryKey { table, .. } => has(Object::PrimaryKey(table))?,
        Operation::DropConstraint {
            table,
            kind: ConstraintKind::PrimaryKey,
            ..
        } => has(Object::PrimaryKey(table))?.map(|e| !e),
        Operation::DropConstraint { name, table, .. } => {
            has(Object::Constraint { table, name })?.map(|e| !e)
        }
        // Raw SQL, rows and code: nothing in the schema tells. (Rows and code
        // commit with their ledger record where DDL is not transactional.)
        Operation::Execute(_)
        | Operation::BulkInsert { .. }
        | Operation::Run { .. }
        | Operation::Batch { .. } => None,
    };
    Ok(done == Some(true))
}

/// Both facts known and true.
fn both(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    Some(a? && b?)
}
