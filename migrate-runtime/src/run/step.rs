//! The online sink of the planner: running migrations on a live connection,
//! each in the transaction its backend and its attribute allow.

use std::collections::HashMap;
use std::time::Instant;

use super::backup;
use super::executor::{Direction, Migrator, Step};
use super::ledger::{Ledger, LedgerState, Resume};
use super::plan::{self, Action, Facts};
use super::resume;
use crate::backend::Backend;
use crate::chain::{Migration, Position};
use crate::db::conn::AnyConnection;
use crate::error::{Error, Result};
use crate::ops::Operation;
use crate::sql::{self, ExistingColumn, SchemaFacts};
use crate::sqlite::rebuild::TableSource;

/// The transaction a migration runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Txn {
    /// Its own, committed with its version bump and ledger row.
    Own,
    /// The run-wide one ([`Migrator::one_transaction`]).
    RunWide,
    /// None: each statement commits (no transactional DDL, or `transaction =
    /// false`); the ledger records every operation completed.
    Autocommit,
}

pub(super) enum StepOutcome {
    /// Applied; the tables rebuilt on the way.
    Applied(Vec<String>),
    /// Another process did it first (only where the run lock may be missing).
    Skipped,
}

/// One migration to run, one way.
#[derive(Clone, Copy)]
pub(super) struct Job<'m> {
    pub(super) m: &'m Migration,
    /// Its chain position.
    pub(super) index: usize,
    pub(super) direction: Direction,
}

impl Job<'_> {
    fn failure(&self, index: usize, total: usize, operation: String, source: Error) -> Error {
        failure(self.m, self.direction, index, total, operation, source)
    }
}

/// What a run carries from one migration to the next.
pub(super) struct Run<'l> {
    ledger: &'l mut Ledger,
    recorded: Recorded,
    direction: Direction,
    /// Where the version table points now.
    version: Position,
    whole: bool,
    /// The step that failed may have left an operation that took effect
    /// unrecorded (its ledger write failed, or the check of an interrupted
    /// run's operation did): no failure note, so the next run checks again.
    in_doubt: bool,
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
pub(super) fn record(
    m: &Migration,
    direction: Direction,
    b: &dyn Backend,
) -> Result<Vec<Operation>> {
    let op = match direction {
        Direction::Upgrade => m.record_upgrade(),
        Direction::Downgrade => m.record_downgrade(),
    };
    op.and_then(|op| plan::prepare(op.into_operations(), b.dialect()))
        .map_err(|e| failure(m, direction, 0, 0, "planning".into(), e))
}

impl Migrator<'_> {
    /// Runs `jobs` (chain positions, in order) one way, from the version
    /// table's position `current`.
    pub(crate) fn run(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        ledger: &mut Ledger,
        direction: Direction,
        current: Position,
        jobs: Vec<usize>,
    ) -> Result<Vec<Step>> {
        let caps = b.capabilities();
        // Every migration of the run is recorded and planned before the first
        // one runs: a name too long for the database, or any other planning
        // error, stops the run while nothing has changed.
        let mut recorded = Recorded::default();
        for &i in &jobs {
            recorded.get(&self.chain.migrations()[i], i, direction, b)?;
        }
        if let (Some(keep), false) = (self.backup, jobs.is_empty()) {
            self.last_backup = backup::before_changes(conn, keep, &self.version_table)?;
        }
        let mut run = Run {
            ledger,
            recorded,
            direction,
            version: current,
            whole: self.one_transaction && caps.migration_transactions(),
            in_doubt: false,
        };
        // Foreign key enforcement cannot be switched inside a transaction: a
        // run-wide transaction that rebuilds tables switches it off before.
        let mut fk_off = false;
        if run.whole && caps.rebuilds_tables {
            for &i in &jobs {
                let m = &self.chain.migrations()[i];
                if plan::may_rebuild(run.recorded.get(m, i, direction, b)?, b.dialect()) {
                    fk_off = b.suspend_foreign_keys(conn)?;
                    break;
                }
            }
        }
        let result = if run.whole {
            self.run_whole(conn, b, &mut run, &jobs, fk_off)
        } else {
            self.run_steps(conn, b, &mut run, &jobs)
                .map(|(steps, _)| steps)
        };
        if fk_off {
            // Restored on every path: the caller may keep using the connection.
            restoring(conn, b, result)
        } else {
            result
        }
    }

    /// Runs the jobs in one transaction.
    fn run_whole(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        jobs: &[usize],
        fk_off: bool,
    ) -> Result<Vec<Step>> {
        self.limit_lock_waits(conn, b, None, true)?;
        conn.begin()?;
        if let Err(e) = self.limit_lock_waits_in_transaction(conn, b, None) {
            return Err(abort(conn, e));
        }
        // Without a run lock nothing held the database before this transaction:
        // read where it is again, and leave out what another run did meanwhile.
        let jobs: Vec<usize> = if self.lockless.is_some() {
            match self.reread(conn, b, run) {
                Ok(()) => jobs
                    .iter()
                    .copied()
                    .filter(|&i| self.needed(run, i))
                    .collect(),
                Err(e) => return Err(abort(conn, e)),
            }
        } else {
            jobs.to_vec()
        };
        let mut result = self.run_steps(conn, b, run, &jobs);
        // The foreign key check reads what the records changed too; without
        // it the last records go with the COMMIT.
        if let (true, Ok((_, rebuilt))) = (fk_off, &result) {
            if let Err(e) = run
                .ledger
                .stop_deferring(conn)
                .and_then(|()| b.check_foreign_keys(conn, rebuilt))
            {
                result = Err(e);
            }
        }
        match result.and_then(|(steps, _)| run.ledger.commit(conn).map(|()| steps)) {
            Ok(steps) => Ok(steps),
            Err(e) => {
                run.ledger.drop_deferred();
                Err(abort(conn, e))
            }
        }
    }

    /// Reads the version table and the ledger again.
    fn reread(&self, conn: &mut AnyConnection, b: &dyn Backend, run: &mut Run<'_>) -> Result<()> {
        run.version = self.position_in_table(conn, b)?;
        *run.ledger = Ledger::read(conn, b, &self.version_table, false)?;
        Ok(())
    }

    /// Whether the migration at `i` still has to run this way.
    fn needed(&self, run: &Run<'_>, i: usize) -> bool {
        let rev = self.chain.migrations()[i].revision();
        match run.direction {
            Direction::Upgrade => !run.ledger.is_applied(rev),
            Direction::Downgrade => run.ledger.get(rev).is_some(),
        }
    }

    /// Applies the jobs. Returns the steps, and the tables rebuilt (for the
    /// run-wide foreign key check).
    fn run_steps(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        jobs: &[usize],
    ) -> Result<(Vec<Step>, Vec<String>)> {
        let caps = b.capabilities();
        let mut steps = Vec::new();
        let mut rebuilt_all = Vec::new();
        for &i in jobs {
            let m = &self.chain.migrations()[i];
            let direction = run.direction;
            // A lock with a lease is renewed, or found lost, before each
            // migration (not inside a run-wide transaction: nobody would see
            // the renewal before its commit, and its row lock would make
            // other runs wait inside the database).
            if !conn.in_transaction()? {
                self.keep_lock(conn, b)?;
            }
            let ops = run.recorded.take(m, i, direction, b)?;
            // Without transactional DDL a migration of data only still gets a
            // transaction: all of its rows change, or none.
            let atomic = caps.migration_transactions()
                || (!ops.is_empty() && ops.iter().all(|o| plan::is_data(o, b.dialect())));
            let txn = if run.whole {
                Txn::RunWide
            } else if atomic && m.transactional() {
                Txn::Own
            } else {
                Txn::Autocommit
            };
            // Without the run lock, only the database's write lock keeps two runs
            // apart, and it does so only inside a transaction.
            if let (Some(lock), false) = (&self.lockless, txn == Txn::Own || m.transactional()) {
                return Err(Error::NoRunLock {
                    revision: m.revision().to_owned(),
                    lock: lock.clone(),
                });
            }
            let fk_off = !run.whole
                && plan::may_rebuild(&ops, b.dialect())
                && b.suspend_foreign_keys(conn)?;
            // Checked at the end of every step that rebuilt a table (in a run-wide
            // transaction too), under the table's current name.
            let check_fks = fk_off || (run.whole && caps.rebuilds_tables);
            let started = Instant::now();
            let job = Job {
                m,
                index: i,
                direction,
            };
            let outcome = if txn != Txn::RunWide {
                self.step_retrying(conn, b, run, job, ops, (txn, check_fks, started))
            } else {
                self.step(conn, b, run, job, ops, (txn, check_fks, started))
            };
            let outcome = if fk_off {
                restoring(conn, b, outcome)
            } else {
                outcome
            };
            match outcome? {
                StepOutcome::Skipped => continue,
                StepOutcome::Applied(rebuilt) => rebuilt_all.extend(rebuilt),
            }
            let (from, to) = match direction {
                Direction::Upgrade => (m.down_revision(), Some(m.revision())),
                Direction::Downgrade => (Some(m.revision()), m.down_revision()),
            };
            let step = Step {
                direction,
                from,
                to,
                message: m.message(),
                elapsed: started.elapsed(),
            };
            if let Some(obs) = self.observer.as_mut() {
                obs(&step);
            }
            steps.push(step);
        }
        Ok((steps, rebuilt_all))
    }

    /// Runs one migration in `txn`, with its ledger row and version bump.
    pub(super) fn step(
        &mut self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        job: Job<'_>,
        ops: Vec<Operation>,
        (txn, check_fks, started): (Txn, bool, Instant),
    ) -> Result<StepOutcome> {
        // Without the run lock, the database is read again under its write lock:
        // another process may have done this step. (With it, nothing can have.)
        let reread = self.lockless.is_some();
        let leaves_run_tx = txn == Txn::RunWide && !job.m.transactional();
        // The migration's transaction begins with its first statement and
        // commits with its records (see `Ledger::open_with_next`), where
        // nothing else has to run in it first.
        // Not inside a transaction of the caller's: there it is a savepoint.
        let folded = txn == Txn::Own
            && conn.folds_transaction_control()
            && !reread
            && !self.sets_in_transaction(Some(job.m))
            && !conn.in_transaction()?;
        // Whether the records were kept for the COMMIT: the rows and the
        // version this run holds in memory then say more than the database.
        let mut queued = false;
        match txn {
            Txn::Own if folded => {
                self.limit_lock_waits(conn, b, Some(job.m), true)?;
                run.ledger.open_with_next();
            }
            Txn::Own => {
                self.limit_lock_waits(conn, b, Some(job.m), true)?;
                conn.begin()?;
                if let Err(e) = self.limit_lock_waits_in_transaction(conn, b, Some(job.m)) {
                    return Err(abort(conn, e));
                }
                if reread {
                    if let Err(e) = self.reread(conn, b, run) {
                        return Err(abort(conn, e));
                    }
                    if !self.needed(run, job.index) {
                        conn.rollback()?;
                        return Ok(StepOutcome::Skipped);
                    }
                }
            }
            // A migration that must not run in a transaction ends the one in progress.
            Txn::RunWide if leaves_run_tx => {
                // The records kept so far commit with the run's transaction;
                // this migration's own are written as it goes.
                run.ledger.stop_deferring(conn)?;
                conn.commit()?;
                // Outside a transaction: no lock timeout on PostgreSQL (CONCURRENTLY).
                self.limit_lock_waits(conn, b, Some(job.m), false)?;
            }
            Txn::RunWide => run.ledger.defer(),
            Txn::Autocommit => {
                self.limit_lock_waits(conn, b, Some(job.m), false)?;
                if reread {
                    self.reread(conn, b, run)?;
                    if !self.needed(run, job.index) {
                        return Ok(StepOutcome::Skipped);
                    }
                }
            }
        }
        let total = ops.len();
        let d = b.dialect();
        // Without a transaction every completed operation is recorded, so that
        // a re-run after a failure or a kill resumes after it.
        let tracked = txn == Txn::Autocommit || leaves_run_tx;
        let resume = if tracked {
            let state = match job.direction {
                Direction::Upgrade => LedgerState::Upgrading,
                Direction::Downgrade => LedgerState::Downgrading,
            };
            Some(run.ledger.start(conn, d, job.m, state, &ops)?)
        } else {
            None
        };
        let mut outcome = self.apply(conn, b, run, job, ops, resume);
        if check_fks {
            if let Ok(rebuilt) = &outcome {
                if !rebuilt.is_empty() {
                    if let Err(e) = b.check_foreign_keys(conn, rebuilt) {
                        outcome = Err(job.failure(0, 0, "foreign key check".into(), e));
                    }
                }
            }
        }
        let outcome = outcome.and_then(|rebuilt| {
            if tracked {
                // The ledger row and the version bump commit together.
                conn.begin()?;
                if let Err(e) = self.finish(conn, b, run, job, total, started) {
                    return Err(abort(conn, e));
                }
                if !leaves_run_tx {
                    conn.commit()?;
                }
            } else {
                self.finish(conn, b, run, job, total, started)?;
                queued = folded;
                if folded {
                    // The records go with the COMMIT: a failure of either is
                    // the step's, as the version bump's alone was.
                    run.ledger.commit(conn).map_err(|e| {
                        job.failure(total, total, "version bump and commit".into(), e)
                    })?;
                } else if txn == Txn::Own {
                    conn.commit()?;
                }
            }
            Ok(rebuilt)
        });
        match outcome {
            Ok(rebuilt) => Ok(StepOutcome::Applied(rebuilt)),
            Err(e) if txn == Txn::Own => {
                run.ledger.drop_deferred();
                let e = abort(conn, e);
                // A retry (after a lock timeout) starts from what the
                // database holds, not from the records that were rolled back.
                if queued {
                    if let Err(c) = self.reread(conn, b, run) {
                        return Err(Error::cleanup(e, c));
                    }
                }
                Err(e)
            }
            Err(e) if tracked => {
                // What it completed stays recorded, with why it stopped; a
                // migration that completed nothing leaves no row at all. But
                // where an operation may have taken effect unrecorded, the
                // row stays as it is, without a note: the next run checks.
                let done = run.ledger.get(job.m.revision()).map_or(0, |r| r.ops_done);
                let rev = job.m.revision();
                let noted = match (std::mem::take(&mut run.in_doubt), done, job.direction) {
                    (true, _, _) => Ok(()),
                    (false, 0, Direction::Upgrade) => run.ledger.remove(conn, d, rev),
                    (false, 0, Direction::Downgrade) => run.ledger.mark_applied(conn, d, rev),
                    (false, _, _) => run.ledger.note(conn, d, rev, &e.to_string()),
                };
                // On the run-wide path the transaction is re-opened for the caller's rollback.
                let reopened = match conn.in_transaction() {
                    Ok(false) if leaves_run_tx => conn.begin(),
                    Ok(_) => Ok(()),
                    Err(c) => Err(c),
                };
                match noted.and(reopened) {
                    Ok(()) => Err(e),
                    Err(c) => Err(Error::cleanup(e, c)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Records the step: the ledger row and the version table.
    fn finish(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        job: Job<'_>,
        total: usize,
        started: Instant,
    ) -> Result<()> {
        let d = b.dialect();
        let rev = job.m.revision();
        let fail = |e| job.failure(total, total, "version bump".into(), e);
        let next = match job.direction {
            Direction::Upgrade => run.version.max(Some(job.index)),
            Direction::Downgrade => run.ledger.top(self.chain, Some(rev)),
        };
        let name = |p: Position| p.map(|i| self.chain.migrations()[i].revision());
        let bump = (next != run.version)
            .then(|| sql::version::set(d, &self.version_table, name(run.version), name(next)))
            .flatten();
        match job.direction {
            Direction::Upgrade => {
                run.ledger
                    .applied(conn, d, job.m, (total, started.elapsed()), bump.as_deref())
            }
            Direction::Downgrade => run.ledger.remove_then(conn, d, rev, bump.as_deref()),
        }
        .map_err(fail)?;
        run.version = next;
        Ok(())
    }

    /// Runs a migration's planned actions from operation `resume` on (0 without
    /// one). With `resume`, each completed action is recorded in the ledger, and
    /// an action on data runs in a transaction with that record. Returns the
    /// tables it rebuilt.
    fn apply(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        run: &mut Run<'_>,
        job: Job<'_>,
        mut ops: Vec<Operation>,
        resume: Option<Resume>,
    ) -> Result<Vec<String>> {
        let total = ops.len();
        let d = b.dialect();
        let mut rebuilt: Vec<String> = Vec::new();
        let mut i = resume.map_or(0, |r| r.at);
        // Only the first operation of an interrupted run can be in doubt: the
        // run records each one before it starts the next.
        let mut unsure = resume.is_some_and(|r| r.unsure);
        while i < total {
            let fail = |e, op: &Operation| job.failure(i + 1, total, op.describe(), e);
            if std::mem::take(&mut unsure) {
                // In doubt until the check answers and, if it ran, until it
                // is recorded (an error on the way writes no failure note).
                run.in_doubt = true;
                let ran = self
                    .ran_unrecorded(conn, b, &ops, i)
                    .map_err(|e| fail(e, &ops[i]))?;
                if ran {
                    let done = super::ledger::digest(&ops[..=i]);
                    run.ledger
                        .progress(conn, d, job.m.revision(), (i + 1, &done))
                        .map_err(|e| fail(e, &ops[i]))?;
                    crate::progress::report(&format!(
                        "{}: operation {} of {total} ({}) had taken effect before the interrupted run could record it: not run again",
                        job.m.revision(),
                        i + 1,
                        ops[i].describe()
                    ));
                }
                run.in_doubt = false;
                if ran {
                    i += 1;
                    continue;
                }
            }
            let planned = match plan::next(d, &ops, i, &mut LiveFacts { conn, b }) {
                Ok(p) => p,
                Err(e) => return Err(fail(e, &ops[i])),
            };
            let end = planned.ops.end;
            let tracked = resume.is_some();
            // Without transactional DDL, a data action commits together with its
            // record; where DDL is transactional, a migration that runs without a
            // transaction asked for none (its op.run may hold CREATE INDEX
            // CONCURRENTLY), so its data actions run as written.
            // A batched data step commits batch by batch itself.
            let batched = matches!(
                ops[i],
                Operation::Run {
                    in_batches: true,
                    ..
                }
            );
            // Where a transaction may hold one DDL statement, each operation
            // of one statement commits with its record (unless the migration
            // asked for no transaction at all).
            let caps = b.capabilities();
            let data = matches!(planned.action, Action::Data { .. } | Action::Sql(_))
                && ops[planned.ops.clone()].iter().all(|o| plan::is_data(o, d));
            let one_ddl = caps.one_ddl_per_transaction
                && caps.transactional_ddl
                && job.m.transactional()
                && match &planned.action {
                    Action::Sql(stmts) => stmts.len() == 1,
                    Action::Data { .. } => true,
                    Action::Rebuild { .. } => false,
                };
            let with_record = tracked && !batched && ((data && !caps.transactional_ddl) || one_ddl);
            if with_record {
                conn.begin().map_err(|e| fail(e, &ops[i]))?;
                if let Err(e) = self.limit_lock_waits_in_transaction(conn, b, Some(job.m)) {
                    return Err(fail(abort(conn, e), &ops[i]));
                }
            }
            let mut recorded = false;
            // In a run-wide transaction the records of the migrations before
            // this one go with its first statement (see `Ledger::defer`), and
            // before anything else: every statement and data step sees them.
            let mut result = match planned.action {
                Action::Sql(stmts) => {
                    let mut rest = stmts.iter();
                    match rest.next() {
                        Some(first) => run
                            .ledger
                            .send_with(conn, first)
                            .and_then(|()| rest.try_for_each(|s| conn.execute(s))),
                        None => Ok(()),
                    }
                }
                Action::Rebuild { table, stmts } => {
                    // Its record goes into the rebuild's own transaction: a kill
                    // between the two would make the re-run rebuild it again.
                    let done = (end, super::ledger::digest(&ops[..end]));
                    run.ledger.flush(conn).and_then(|()| {
                        let record = tracked.then_some((&mut *run.ledger, job.m.revision(), done));
                        rebuild(conn, b, &table, &stmts, record).map(|r| {
                            recorded = r;
                            rebuilt.push(table);
                        })
                    })
                }
                Action::Data { .. } => match ops[i].take_data_fn() {
                    Some(f) => run
                        .ledger
                        .flush(conn)
                        .and_then(|()| self.without_lock_timeout(conn, b, job.m, f)),
                    None => Ok(()),
                },
            };
            if tracked && !recorded && result.is_ok() {
                let done = super::ledger::digest(&ops[..end]);
                result = run.ledger.progress(conn, d, job.m.revision(), (end, &done));
                // Outside a transaction the action stays done without its record.
                // (Inside one, it is undone with it; an `op.run` that issues DDL
                // on MySQL commits it implicitly and is not covered.)
                run.in_doubt = result.is_err() && !with_record;
            }
            if with_record {
                result = match result {
                    Ok(()) => conn.commit(),
                    Err(e) => Err(abort(conn, e)),
                };
            }
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
            i = end;
            // Outside a transaction, a lock with a lease is renewed as the
            // migration goes (inside one, the renewal would wait for its commit).
            if !conn.in_transaction()? {
                self.keep_lock(conn, b)?;
            }
        }
        ops.clear();
        Ok(rebuilt)
    }

    /// Whether `ops[i]`, the operation an interrupted run may have been
    /// running, took effect: its effect is in the schema, and it is one
    /// statement (a statement commits whole; of several, some may have).
    fn ran_unrecorded(
        &self,
        conn: &mut AnyConnection,
        b: &dyn Backend,
        ops: &[Operation],
        i: usize,
    ) -> Result<bool> {
        if !resume::took_effect(conn, b, &ops[i])? {
            return Ok(false);
        }
        match plan::next(b.dialect(), ops, i, &mut LiveFacts { conn, b }) {
            Ok(p) => Ok(p.ops.len() == 1 && matches!(&p.action, Action::Sql(s) if s.len() == 1)),
            // MySQL's rename of a column restates the column, read under its
            // old name, which the rename took away.
            Err(Error::Unsupported { .. }) if matches!(ops[i], Operation::AlterColumn(_)) => {
                Ok(true)
            }
            Err(e) => Err(e),
        }
    }
}

/// Runs a table rebuild. Outside a transaction (a `transaction = false`
/// migration) it gets one of its own: its statements must never be half
/// applied; `record` (the ledger, the revision, the operations done after it)
/// is then written in that same transaction. Returns whether it was.
fn rebuild(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    table: &str,
    stmts: &[String],
    record: Option<(&mut Ledger, &str, (usize, String))>,
) -> Result<bool> {
    let own_tx = !conn.in_transaction()?;
    if own_tx {
        conn.begin()?;
    }
    let mut r = stmts
        .iter()
        .try_for_each(|s| conn.execute(s))
        .and_then(|()| b.check_dependents(conn, table));
    if own_tx && r.is_ok() {
        r = b.check_foreign_keys(conn, &[table.to_owned()]);
    }
    let mut recorded = false;
    if let (true, Ok(()), Some((ledger, revision, (done, digest)))) = (own_tx, &r, record) {
        r = ledger.progress(conn, b.dialect(), revision, (done, &digest));
        recorded = true;
    }
    match r {
        Ok(()) if own_tx => conn.commit().map(|()| recorded),
        Ok(()) => Ok(false),
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
    // None may be open any more: the server ended it at a failed COMMIT, or
    // the batch that was to begin it rolled it back (`begin_with`), or it
    // was never begun (`Ledger::open_with_next`).
    if let Ok(false) = conn.in_transaction() {
        return e;
    }
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

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::backend::{Capabilities, RunLock, TryLock};
    use crate::dialect::Dialect;

    /// A backend whose foreign keys cannot be switched back on.
    struct StuckForeignKeys;

    impl Backend for StuckForeignKeys {
        fn dialect(&self) -> Dialect {
            Dialect::Sqlite
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities {
                transactional_ddl: true,
                rebuilds_tables: true,
                session_locks: true,
                one_ddl_per_transaction: false,
            }
        }
        fn table_exists(&self, _: &mut AnyConnection, _: &str) -> Result<bool> {
            Ok(false)
        }
        fn table_exists_query(&self, _: &str) -> String {
            "SELECT 1 AS v WHERE 0 = 1".into()
        }
        fn text(&self, expr: &str) -> String {
            expr.to_owned()
        }
        fn joined(&self, exprs: &[&str]) -> String {
            exprs.join(", ")
        }
        fn try_lock(&self, _: &mut AnyConnection, _: &str) -> Result<TryLock> {
            Ok(TryLock::Taken(RunLock::PerStep(None), None))
        }
        fn unlock(&self, _: &mut AnyConnection, _: &str, _: RunLock) -> Result<()> {
            Ok(())
        }
        fn table_source(&self, _: &mut AnyConnection, table: &str) -> Result<TableSource> {
            Err(Error::NoSuchTable(table.to_owned()))
        }
        fn restore_foreign_keys(&self, _: &mut AnyConnection) -> Result<()> {
            Err(Error::msg("cannot switch foreign keys back on"))
        }
        fn tables(&self, _: &mut AnyConnection) -> Result<Vec<String>> {
            Ok(Vec::new())
        }
        #[cfg(feature = "introspect")]
        fn describe_table(
            &self,
            _: &mut AnyConnection,
            _: &str,
        ) -> Result<crate::schema::live::TableInfo> {
            Ok(Default::default())
        }
        #[cfg(feature = "autogen")]
        fn shape(
            &self,
            _: &mut AnyConnection,
            _: &str,
        ) -> Result<crate::schema::shape::TableShape> {
            Ok(Default::default())
        }
    }

    #[test]
    fn a_failed_restore_of_foreign_keys_is_never_swallowed() {
        let mut conn = AnyConnection::establish("sqlite://").unwrap();
        let ok: Result<u8> = Ok(1);
        let after_success = restoring(&mut conn, &StuckForeignKeys, ok);
        assert!(
            after_success.is_err(),
            "the caller's connection is left with keys off"
        );
        let failed: Result<u8> = Err(Error::msg("the migration failed"));
        let e = restoring(&mut conn, &StuckForeignKeys, failed).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, Error::Cleanup { .. }), "{text}");
        assert!(
            text.contains("the migration failed") && text.contains("foreign keys back on"),
            "{text}"
        );
    }
}
