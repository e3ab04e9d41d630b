//! The online sink of the planner: running migrations on a live connection,
//! each in the transaction its backend and its attribute allow.

use std::collections::HashMap;
use std::time::Instant;

use super::executor::{Direction, Migrator, Step};
use super::plan::{self, Action, Facts};
use crate::backend::Backend;
use crate::chain::{Migration, Position};
use crate::db::conn::AnyConnection;
use crate::error::{Error, Result};
use crate::ops::Operation;
use crate::sql::{self, ExistingColumn, SchemaFacts};
use crate::sqlite::rebuild::TableSource;

/// The transaction a migration runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Txn {
    /// Its own, committed with its version bump.
    Own,
    /// The run-wide one ([`Migrator::one_transaction`]).
    RunWide,
    /// None: each statement commits (no transactional DDL, or `transaction = false`).
    Autocommit,
}

/// One migration to run, one way.
#[derive(Clone, Copy)]
struct Job<'m> {
    m: &'m Migration,
    direction: Direction,
    /// The position before it.
    from: Position,
    /// The position after it.
    next: Position,
}

impl Job<'_> {
    fn failure(&self, index: usize, total: usize, operation: String, source: Error) -> Error {
        failure(self.m, self.direction, index, total, operation, source)
    }
}

enum StepOutcome {
    /// Applied; the tables rebuilt on the way.
    Applied(Vec<String>),
    /// Another process moved the version first: here it is now.
    Moved(Position),
}

/// The recorded operations of a run's migrations, by chain index: each
/// migration function is called once per run, whatever needs to look at it.
#[derive(Default)]
struct Recorded(HashMap<usize, Vec<Operation>>);

impl Recorded {
    fn get(
        &mut self,
        m: &Migration,
        i: usize,
        dir: Direction,
        b: &dyn Backend,
    ) -> Result<&[Operation]> {
        let ops = match self.0.entry(i) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(record(m, dir, b)?),
        };
        Ok(ops)
    }

    fn take(
        &mut self,
        m: &Migration,
        i: usize,
        dir: Direction,
        b: &dyn Backend,
    ) -> Result<Vec<Operation>> {
        match self.0.remove(&i) {
            Some(ops) => Ok(ops),
            None => record(m, dir, b),
        }
    }
}

/// Records a migration's operations and prepares them for the backend.
fn record(m: &Migration, direction: Direction, b: &dyn Backend) -> Result<Vec<Operation>> {
    let op = match direction {
        Direction::Upgrade => m.record_upgrade(),
        Direction::Downgrade => m.record_downgrade(),
    };
    op.and_then(|op| plan::prepare(op.into_operations(), b.dialect()))
        .map_err(|e| failure(m, direction, 0, 0, "planning".into(), e))
}

impl Migrator<'_> {
    /// Runs the migrations from `current` to `to`.
    pub(crate) fn run(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        direction: Direction,
        current: Position,
        to: Position,
    ) -> Result<Vec<Step>> {
        let caps = b.capabilities();
        let whole = self.one_transaction && caps.transactional_ddl;
        let mut recorded = Recorded::default();
        // Foreign key enforcement cannot be switched inside a transaction: a
        // run-wide transaction that rebuilds tables switches it off before.
        let mut fk_off = false;
        if whole && caps.rebuilds_tables {
            let mut cur = current;
            while let Some((i, _, next)) = self.next_step(cur, to, direction) {
                let m = &self.chain.migrations()[i];
                if plan::may_rebuild(recorded.get(m, i, direction, b)?, b.dialect()) {
                    fk_off = b.suspend_foreign_keys(conn)?;
                    break;
                }
                cur = next;
            }
        }
        let result = if whole {
            self.run_whole(conn, b, &mut recorded, direction, (current, to), fk_off)
        } else {
            self.run_steps(conn, b, &mut recorded, direction, (current, to), false)
                .map(|(steps, _)| steps)
        };
        if fk_off {
            // Restored on every path: the caller may keep using the connection.
            restoring(conn, b, result)
        } else {
            result
        }
    }

    /// Runs the range in one transaction.
    fn run_whole(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        recorded: &mut Recorded,
        direction: Direction,
        (current, to): (Position, Position),
        fk_off: bool,
    ) -> Result<Vec<Step>> {
        conn.begin()?;
        // Without a run lock nothing held the version before this transaction: read it again.
        let current = if b.capabilities().reread_version_per_step {
            match self.position_in_table(conn, b) {
                Ok(c) => c,
                Err(e) => return Err(abort(conn, e)),
            }
        } else {
            current
        };
        let mut result = self.run_steps(conn, b, recorded, direction, (current, to), true);
        if fk_off {
            if let Ok((_, rebuilt)) = &result {
                if let Err(e) = b.check_foreign_keys(conn, rebuilt) {
                    result = Err(e);
                }
            }
        }
        match result {
            Ok((steps, _)) => {
                conn.commit()?;
                Ok(steps)
            }
            Err(e) => Err(abort(conn, e)),
        }
    }

    /// Applies the steps from `current` to `to`. Returns them, and the tables
    /// rebuilt (for the run-wide foreign key check).
    fn run_steps(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        recorded: &mut Recorded,
        direction: Direction,
        (current, to): (Position, Position),
        whole: bool,
    ) -> Result<(Vec<Step>, Vec<String>)> {
        let caps = b.capabilities();
        let mut steps = Vec::new();
        let mut rebuilt_all = Vec::new();
        let mut cur = current;
        while let Some((i, from, next)) = self.next_step(cur, to, direction) {
            let m = &self.chain.migrations()[i];
            let ops = recorded.take(m, i, direction, b)?;
            let txn = if whole {
                Txn::RunWide
            } else if caps.transactional_ddl && m.transactional() {
                Txn::Own
            } else {
                Txn::Autocommit
            };
            let fk_off =
                !whole && plan::may_rebuild(&ops, b.dialect()) && b.suspend_foreign_keys(conn)?;
            // Checked at the end of every step that rebuilt a table (in a run-wide
            // transaction too), under the table's current name.
            let check_fks = fk_off || (whole && caps.rebuilds_tables);
            let started = Instant::now();
            let job = Job {
                m,
                direction,
                from,
                next,
            };
            let outcome = self.step(conn, b, job, ops, txn, check_fks);
            let outcome = if fk_off {
                restoring(conn, b, outcome)
            } else {
                outcome
            };
            match outcome? {
                StepOutcome::Moved(now) => {
                    cur = now;
                    continue;
                }
                StepOutcome::Applied(rebuilt) => rebuilt_all.extend(rebuilt),
            }
            let step = Step {
                direction,
                from: from.map(|i| self.chain.migrations()[i].revision()),
                to: next.map(|i| self.chain.migrations()[i].revision()),
                message: m.message(),
                elapsed: started.elapsed(),
            };
            if let Some(obs) = self.observer.as_mut() {
                obs(&step);
            }
            steps.push(step);
            cur = next;
        }
        Ok((steps, rebuilt_all))
    }

    /// Runs one migration in `txn`.
    fn step(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        job: Job<'_>,
        ops: Vec<Operation>,
        txn: Txn,
        check_fks: bool,
    ) -> Result<StepOutcome> {
        let Job { m, from, .. } = job;
        // Where the run lock may be missing, the version is read again under the
        // database's write lock: another process may have moved it.
        let reread = b.capabilities().reread_version_per_step;
        let leaves_run_tx = txn == Txn::RunWide && !m.transactional();
        match txn {
            Txn::Own => {
                conn.begin()?;
                if reread {
                    match self.position_in_table(conn, b) {
                        Ok(now) if now == from => {}
                        Ok(now) => {
                            conn.rollback()?;
                            return Ok(StepOutcome::Moved(now));
                        }
                        Err(e) => return Err(abort(conn, e)),
                    }
                }
            }
            // A migration that must not run in a transaction ends the one in progress.
            Txn::RunWide if leaves_run_tx => conn.commit()?,
            Txn::RunWide => {}
            Txn::Autocommit => {
                if reread {
                    let now = self.position_in_table(conn, b)?;
                    if now != from {
                        return Ok(StepOutcome::Moved(now));
                    }
                }
            }
        }
        let mut outcome = self.apply(conn, b, job, ops);
        if check_fks {
            if let Ok(rebuilt) = &outcome {
                if !rebuilt.is_empty() {
                    if let Err(e) = b.check_foreign_keys(conn, rebuilt) {
                        outcome = Err(job.failure(0, 0, "foreign key check".into(), e));
                    }
                }
            }
        }
        match outcome {
            Ok(rebuilt) => {
                if txn == Txn::Own {
                    conn.commit()?;
                } else if leaves_run_tx {
                    conn.begin()?;
                }
                Ok(StepOutcome::Applied(rebuilt))
            }
            Err(e) if txn == Txn::Own => Err(abort(conn, e)),
            // Re-open the run-wide transaction so that the caller's rollback has one to end.
            Err(e) if leaves_run_tx => match conn.begin() {
                Ok(()) => Err(e),
                Err(c) => Err(Error::cleanup(e, c)),
            },
            Err(e) => Err(e),
        }
    }

    pub(crate) fn next_step(
        &self,
        cur: Position,
        to: Position,
        direction: Direction,
    ) -> Option<(usize, Position, Position)> {
        match direction {
            Direction::Upgrade if cur < to => {
                let next = cur.map_or(0, |i| i + 1);
                Some((next, cur, Some(next)))
            }
            Direction::Downgrade if cur > to => {
                let i = cur?;
                Some((i, cur, i.checked_sub(1)))
            }
            _ => None,
        }
    }

    /// Runs a migration's planned actions and its version bump. Returns the
    /// tables it rebuilt.
    fn apply(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        job: Job<'_>,
        mut ops: Vec<Operation>,
    ) -> Result<Vec<String>> {
        let total = ops.len();
        let mut rebuilt: Vec<String> = Vec::new();
        let mut i = 0;
        while i < total {
            let fail = |e, op: &Operation| job.failure(i + 1, total, op.describe(), e);
            let planned = match plan::next(b.dialect(), &ops, i, &mut LiveFacts { conn, b }) {
                Ok(p) => p,
                Err(e) => return Err(fail(e, &ops[i])),
            };
            let result = match planned.action {
                Action::Sql(stmts) => stmts.iter().try_for_each(|s| conn.execute(s)),
                Action::Rebuild { table, stmts } => {
                    rebuild(conn, b, &table, &stmts).map(|()| rebuilt.push(table))
                }
                Action::Data { .. } => match ops[i].take_data_fn() {
                    Some(f) => f(conn),
                    None => Ok(()),
                },
            };
            if let Err(e) = result {
                return Err(fail(e, &ops[i]));
            }
            // A rebuilt table renamed later is checked under its new name.
            for op in &ops[planned.ops.clone()] {
                if let Operation::RenameTable { from, to } = op {
                    for t in rebuilt.iter_mut().filter(|t| *t == from) {
                        *t = to.clone();
                    }
                }
            }
            i = planned.ops.end;
        }
        let rev = |p: Position| p.map(|i| self.chain.migrations()[i].revision());
        let bump = sql::version::set(
            b.dialect(),
            &self.version_table,
            rev(job.from),
            rev(job.next),
        );
        if let Some(sql) = bump {
            conn.execute(&sql)
                .map_err(|e| job.failure(total, total, "version bump".into(), e))?;
        }
        Ok(rebuilt)
    }
}

/// Runs a table rebuild. Outside a transaction (a `transaction = false`
/// migration) it gets one of its own: its statements must never be half applied.
fn rebuild(conn: &mut AnyConnection, b: &dyn Backend, table: &str, stmts: &[String]) -> Result<()> {
    let own_tx = !conn.in_transaction()?;
    if own_tx {
        conn.begin()?;
    }
    let mut r = stmts.iter().try_for_each(|s| conn.execute(s));
    if own_tx && r.is_ok() {
        r = b.check_foreign_keys(conn, &[table.to_owned()]);
    }
    match r {
        Ok(()) if own_tx => conn.commit(),
        Ok(()) => Ok(()),
        Err(e) => {
            let e = match b.after_failed_rebuild(conn) {
                Ok(()) => e,
                Err(c) => Error::cleanup(e, c),
            };
            Err(if own_tx { abort(conn, e) } else { e })
        }
    }
}

/// Rolls back after `e` and returns it (with the rollback's own failure, if any).
pub(crate) fn abort(conn: &mut AnyConnection, e: Error) -> Error {
    match conn.rollback() {
        Ok(()) => e,
        Err(c) => Error::cleanup(e, c),
    }
}

/// Switches foreign key enforcement back on after `result`, whatever it was.
fn restoring<T>(conn: &mut AnyConnection, b: &dyn Backend, result: Result<T>) -> Result<T> {
    match (result, b.restore_foreign_keys(conn)) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(c)) => Err(c),
        (Err(e), Ok(())) => Err(e),
        (Err(e), Err(c)) => Err(Error::cleanup(e, c)),
    }
}

pub(crate) fn failure(
    m: &Migration,
    direction: Direction,
    index: usize,
    total: usize,
    operation: String,
    source: Error,
) -> Error {
    Error::MigrationFailed {
        direction: direction.as_str(),
        revision: m.revision().to_owned(),
        message: m.message().to_owned(),
        index,
        total,
        operation,
        source: Box::new(source),
    }
}

/// Schema facts read from the live database.
struct LiveFacts<'c> {
    conn: &'c mut AnyConnection,
    b: &'c dyn Backend,
}

impl SchemaFacts for LiveFacts<'_> {
    fn existing_column(&mut self, table: &str, column: &str) -> Result<Option<ExistingColumn>> {
        self.b.existing_column(self.conn, table, column)
    }
}

impl Facts for LiveFacts<'_> {
    fn table_source(&mut self, table: &str) -> Result<TableSource> {
        self.b.table_source(self.conn, table)
    }
}
