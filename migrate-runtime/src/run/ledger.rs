//! The ledger: what each database remembers about the migrations applied to it.
//!
//! Beside the version table (which stays Alembic's shape, one row, the head
//! that is applied) the ledger `<version table>_log` holds one row per revision
//! applied here: its parent, the checksum of its code, when it ran and how long
//! it took, and a state. From it:
//! - an applied migration whose code changed is refused (see [`Ledger::verify`]);
//! - a revision below the current one that never ran here (a branch re-pointed
//!   after the other one was deployed) is found, and applied only when asked;
//! - a migration that runs without a transaction records each operation it
//!   completes, so a re-run after a failure or a kill resumes at the first
//!   operation not done;
//! - downgrades undo in the reverse of the order things ran.
//!
//! A database that has only the version table (made by Alembic, an older build
//! or a script) is adopted: the revisions up to its current one are recorded as
//! `adopted`, with the checksum of the code at that moment.

use std::collections::HashMap;
use std::time::Duration;

use crate::backend::Backend;
use crate::chain::{Chain, Migration, Position};
use crate::db::conn::{AnyConnection, SlimRow};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::version;

/// Where a revision stands in a database's ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LedgerState {
    /// Applied by this tool.
    Applied,
    /// Found applied when the ledger was started (the version table said so),
    /// or set by `stamp`.
    Adopted,
    /// Its upgrade started without a transaction and did not finish: it failed
    /// or was interrupted after [`LedgerEntry::ops_done`] operations.
    Upgrading,
    /// Its downgrade started without a transaction and did not finish.
    Downgrading,
}

impl LedgerState {
    fn as_str(self) -> &'static str {
        match self {
            LedgerState::Applied => "applied",
            LedgerState::Adopted => "adopted",
            LedgerState::Upgrading => "upgrading",
            LedgerState::Downgrading => "downgrading",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "applied" => LedgerState::Applied,
            "adopted" => LedgerState::Adopted,
            "upgrading" => LedgerState::Upgrading,
            "downgrading" => LedgerState::Downgrading,
            _ => return None,
        })
    }

    /// Whether the revision counts as applied (its upgrade completed).
    pub fn is_applied(self) -> bool {
        matches!(self, LedgerState::Applied | LedgerState::Adopted)
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The revision.
    pub revision: String,
    /// Its parent when it was applied.
    pub parent: Option<String>,
    /// The checksum of its code when it was applied (or adopted, or accepted).
    pub checksum: Option<String>,
    /// Its state.
    pub state: LedgerState,
    /// Operations completed (all of them once applied).
    pub ops_done: usize,
    /// Operations in the migration.
    pub ops_total: usize,
    /// A digest of the operations completed, while half-applied: a resumed run
    /// checks that the operations before it are still those.
    pub(crate) done_digest: Option<String>,
    /// The order in which revisions were applied here, from 1.
    pub seq: i64,
    /// When it was applied (UTC, `YYYY-MM-DD HH:MM:SS`).
    pub applied_at: String,
    /// How long it took.
    pub duration: Option<Duration>,
    /// What else is known: why it stopped, who accepted an edit.
    pub note: Option<String>,
}

/// Where a run without a transaction starts a migration ([`Ledger::start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resume {
    /// The first operation not recorded as done.
    pub at: usize,
    /// The run before was interrupted (it left no note of a failure): the
    /// operation at `at` may have taken effect without being recorded.
    pub unsure: bool,
}

/// The ledger of one database, read at the start of a run and kept in step
/// with every write.
#[derive(Debug)]
pub(crate) struct Ledger {
    table: String,
    exists: bool,
    rows: Vec<LedgerEntry>,
    /// Revision to row: long chains look every revision up.
    index: HashMap<String, usize>,
    /// Inside a run-wide transaction: the records of completed migrations,
    /// not sent yet (see [`Ledger::defer`]).
    pending: Option<Vec<String>>,
    /// The migration's own transaction is begun by the next batch sent (see
    /// [`Ledger::open_with_next`]).
    opening: bool,
}

fn opt(d: Dialect, s: Option<&str>) -> String {
    s.map_or_else(|| "NULL".to_owned(), |s| d.quote_str(s))
}

impl Ledger {
    /// Reads the ledger; creates nothing (an absent ledger reads as empty).
    /// What runs and checks need, quickly: each row's revision, state, checksum
    /// and order, and everything of a half-applied one. With `full`, every
    /// field of every row (what `history` and `current -v` show).
    pub(crate) fn read(
        conn: &mut AnyConnection,
        b: &dyn Backend,
        version_table: &str,
        full: bool,
    ) -> Result<Self> {
        let table = version::ledger_table(version_table);
        if !b.table_exists(conn, &table)? {
            return Ok(Ledger {
                table,
                exists: false,
                rows: Vec::new(),
                index: HashMap::new(),
                pending: None,
                opening: false,
            });
        }
        let q = b.dialect().quote_ident(&table);
        // applied_at too: the error for an edited migration says when it ran.
        let slim = conn.query_slim(&format!(
            "revision, state, checksum, seq, applied_at FROM {q} ORDER BY seq"
        ))?;
        let mut ledger = Self::from_slim(table, slim)?;
        let half = rows_needing_all(&ledger, full);
        if half {
            let filter = if full {
                String::new()
            } else {
                " WHERE state NOT IN ('applied', 'adopted')".to_owned()
            };
            for e in read_full(conn, b, &ledger.table, &filter)? {
                if let Some(r) = ledger.row_mut(&e.revision) {
                    *r = e;
                }
            }
        }
        Ok(ledger)
    }

    /// The ledger from its rows as [`AnyConnection::query_slim`] reads them
    /// (revision, state, checksum, seq, applied_at), in `seq` order.
    fn from_slim(table: String, slim: Vec<SlimRow>) -> Result<Self> {
        let mut rows = Vec::with_capacity(slim.len());
        for (revision, state, checksum, seq, applied_at) in slim {
            let state = LedgerState::parse(&state).ok_or_else(|| {
                Error::Introspection(format!(
                    "the ledger {table} has a row with an unknown state"
                ))
            })?;
            rows.push(LedgerEntry {
                revision,
                parent: None,
                checksum,
                state,
                ops_done: 0,
                ops_total: 0,
                done_digest: None,
                seq,
                applied_at: applied_at.unwrap_or_default(),
                duration: None,
                note: None,
            });
        }
        Ok(Ledger {
            index: index_of(&rows),
            table,
            exists: true,
            rows,
            pending: None,
            opening: false,
        })
    }

    /// The version table's revision and the ledger's rows, in one query: what
    /// a database in the plain case (one version row, a ledger, no migration
    /// half-applied) needs for `current`, `is_at_head` and an upgrade with
    /// nothing to do, without the catalog lookups of the full reads.
    ///
    /// `None` when that one query cannot tell: a table is missing (the query
    /// fails), there is no version row or more than one, or a row is not
    /// plain; the caller then takes the full path, which reports what is
    /// wrong. Never inside an open transaction, where a failed statement
    /// would abort the caller's transaction on PostgreSQL.
    pub(crate) fn glance(
        conn: &mut AnyConnection,
        b: &dyn Backend,
        version_table: &str,
    ) -> Result<Option<(String, Self)>> {
        if conn.in_transaction()? {
            return Ok(None);
        }
        let d = b.dialect();
        let table = version::ledger_table(version_table);
        // The version row sorts first, at seq -1, typed as the ledger's
        // BIGINT (MySQL's drivers refuse an INT read as a BIGINT).
        let first = match d {
            Dialect::Sqlite => "-1",
            Dialect::Postgres => "CAST(-1 AS BIGINT)",
            Dialect::Mysql => "CAST(-1 AS SIGNED)",
        };
        // PostgreSQL finds an unqualified name along the search_path, where
        // the full path looks in current_schema() only (and creates there):
        // the version row counts only when both tables are there, so that a
        // schema without them never reads another schema's tables.
        let here = match d {
            Dialect::Postgres => {
                let there = |t: &str| {
                    format!(
                        "to_regclass(quote_ident(current_schema()) || '.' || quote_ident({})) IS NOT NULL",
                        d.quote_str(t)
                    )
                };
                format!(" WHERE {} AND {}", there(version_table), there(&table))
            }
            Dialect::Sqlite | Dialect::Mysql => String::new(),
        };
        let sql = format!(
            "version_num, 'version', NULL, {first}, NULL FROM {}{here} \
             UNION ALL SELECT revision, state, checksum, seq, applied_at FROM {} ORDER BY 4",
            d.quote_ident(version_table),
            d.quote_ident(&table),
        );
        // A missing table (a database not yet upgraded by this version, a
        // fresh one) fails this query; the full path reads the catalog and
        // says so. Any other failure the full path meets again and reports.
        let Ok(mut slim) = conn.query_slim(&sql) else {
            return Ok(None);
        };
        let versions = slim.iter().take_while(|r| r.3 == -1).count();
        if versions != 1 {
            return Ok(None);
        }
        let rest = slim.split_off(1);
        let Some((version, ..)) = slim.pop() else {
            return Ok(None);
        };
        let ledger = Self::from_slim(table, rest)?;
        if version.trim().is_empty() || ledger.half().is_some() {
            return Ok(None);
        }
        Ok(Some((version, ledger)))
    }

    /// How many revisions the ledger records as applied, and as half-applied;
    /// `None` without a ledger. Two numbers, not the rows: the health check's read.
    pub(crate) fn counts(
        conn: &mut AnyConnection,
        b: &dyn Backend,
        version_table: &str,
    ) -> Result<Option<(usize, usize)>> {
        let table = version::ledger_table(version_table);
        if !b.table_exists(conn, &table)? {
            return Ok(None);
        }
        let sql = format!(
            "SELECT {} AS v FROM {} GROUP BY state",
            b.text("state"),
            b.dialect().quote_ident(&table)
        );
        let count = format!(
            "SELECT {} AS v FROM {} WHERE state IN ('applied', 'adopted')",
            b.text("COUNT(*)"),
            b.dialect().quote_ident(&table)
        );
        let states = conn.query_text(&sql)?;
        let half = states
            .iter()
            .flatten()
            .filter(|s| !LedgerState::parse(s).is_some_and(LedgerState::is_applied))
            .count();
        let applied = conn
            .query_text(&count)?
            .into_iter()
            .flatten()
            .next()
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        Ok(Some((applied, half)))
    }

    /// What must change for the ledger to agree with the version table at
    /// `version`, as another tool may have moved it (Alembic, a script, an older
    /// build, a hand-made `UPDATE`): rows above it that count as applied were
    /// reverted elsewhere (forget them); when the version row's own revision is
    /// unknown to the ledger, what lies above the ledger's highest applied
    /// revision up to it was applied elsewhere (adopt it). A gap below a
    /// recorded version row is not touched: that is a revision that never ran.
    fn reconcile(&self, chain: &Chain, version: Position) -> (Vec<usize>, Vec<String>) {
        let pos = |r: &LedgerEntry| chain.position_of(&r.revision);
        let forget: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.state.is_applied() && pos(r).is_some_and(|p| Some(p) > version))
            .map(|r| r.revision.clone())
            .collect();
        let Some(v) = version else {
            return (Vec::new(), forget);
        };
        if self.get(chain.migrations()[v].revision()).is_some() {
            return (Vec::new(), forget);
        }
        let top = self
            .rows
            .iter()
            .filter(|r| r.state.is_applied())
            .filter_map(pos)
            .filter(|&p| p <= v)
            .max();
        let adopt = (top.map_or(0, |t| t + 1)..=v)
            .filter(|&i| self.get(chain.migrations()[i].revision()).is_none())
            .collect();
        (adopt, forget)
    }

    /// Whether [`Ledger::open`] would find nothing to adopt or forget for a
    /// version table at `version`.
    pub(crate) fn reconcile_is_noop(&self, chain: &Chain, version: Position) -> bool {
        let (adopt, forget) = self.reconcile(chain, version);
        adopt.is_empty() && forget.is_empty()
    }

    /// The ledger as an upgrade would find it after [`Ledger::open`], without
    /// writing anything: what read-only commands (`check`, `current`) judge by.
    pub(crate) fn reconciled(mut self, chain: &Chain, version: Position) -> Self {
        let (adopt, forget) = self.reconcile(chain, version);
        self.rows.retain(|r| !forget.contains(&r.revision));
        self.index = index_of(&self.rows);
        for i in adopt {
            let e = self.entry(
                &chain.migrations()[i],
                LedgerState::Adopted,
                0,
                0,
                None,
                None,
            );
            self.index.insert(e.revision.clone(), self.rows.len());
            self.rows.push(e);
        }
        self
    }

    /// Reads the ledger for a run that writes: creates it when absent, and
    /// brings it in line with the version table (see [`Ledger::reconcile`]).
    /// `version` is the version table's position.
    pub(crate) fn open(
        conn: &mut AnyConnection,
        b: &dyn Backend,
        version_table: &str,
        chain: &Chain,
        version: Position,
    ) -> Result<Self> {
        let mut ledger = Self::read(conn, b, version_table, false)?;
        if !ledger.exists {
            conn.execute(&version::ledger_create(b.dialect(), version_table))?;
            ledger.exists = true;
        }
        let (adopt, forget) = ledger.reconcile(chain, version);
        if adopt.is_empty() && forget.is_empty() {
            return Ok(ledger);
        }
        let note = version.map(|v| {
            format!(
                "adopted: the version table was at {}",
                chain.migrations()[v].revision()
            )
        });
        let d = b.dialect();
        conn.begin()?;
        // One batch, with the COMMIT where the driver allows it: a database
        // adopted from Alembic at revision 1000 gets its thousand rows in a
        // round trip, not a thousand.
        ledger.defer();
        let written = forget
            .iter()
            .try_for_each(|r| ledger.remove(conn, d, r))
            .and_then(|()| {
                adopt.iter().enumerate().try_for_each(|(k, &i)| {
                    let m = &chain.migrations()[i];
                    let e = ledger.entry(m, LedgerState::Adopted, 0, 0, None, note.clone());
                    ledger.insert(conn, d, e)?;
                    // Batches of 500 rows (about 150 kB): under any server's
                    // packet limit (MySQL 5.7's is 4 MB).
                    match (k + 1) % 500 {
                        0 => ledger.flush(conn),
                        _ => Ok(()),
                    }
                })
            })
            .and_then(|()| ledger.commit(conn));
        if let Err(e) = written {
            ledger.drop_deferred();
            return Err(super::step::abort(conn, e));
        }
        Ok(ledger)
    }

    /// Whether the ledger table exists.
    pub(crate) fn exists(&self) -> bool {
        self.exists
    }

    /// The rows, in the order they were applied.
    pub(crate) fn entries(&self) -> &[LedgerEntry] {
        &self.rows
    }

    /// The row of `revision`.
    pub(crate) fn get(&self, revision: &str) -> Option<&LedgerEntry> {
        self.index.get(revision).map(|&i| &self.rows[i])
    }

    /// Whether `revision`'s upgrade completed here.
    pub(crate) fn is_applied(&self, revision: &str) -> bool {
        self.get(revision).is_some_and(|r| r.state.is_applied())
    }

    /// The migration left half-applied or half-reverted, if any.
    pub(crate) fn half(&self) -> Option<&LedgerEntry> {
        self.rows.iter().find(|r| !r.state.is_applied())
    }

    /// The highest chain position applied, leaving out `except`: where the
    /// version table points once `except` is reverted.
    pub(crate) fn top(&self, chain: &Chain, except: Option<&str>) -> Position {
        self.rows
            .iter()
            .filter(|r| r.state.is_applied() && Some(r.revision.as_str()) != except)
            .filter_map(|r| chain.position_of(&r.revision))
            .max()
    }

    /// Refuses a ledger that names revisions this chain does not have, and
    /// applied migrations whose code changed since (their checksum differs).
    pub(crate) fn verify(&self, chain: &Chain) -> Result<()> {
        for r in &self.rows {
            let Some(i) = chain.position_of(&r.revision) else {
                return Err(Error::UnknownRevision(r.revision.clone()));
            };
            let now = chain.migrations()[i].checksum();
            if let (true, Some(recorded), Some(now)) = (r.state.is_applied(), &r.checksum, now) {
                if recorded != now {
                    return Err(Error::Edited {
                        revision: r.revision.clone(),
                        applied_at: r.applied_at.clone(),
                        recorded: recorded.clone(),
                        current: now.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    fn next_seq(&self) -> i64 {
        self.rows.iter().map(|r| r.seq).max().unwrap_or(0) + 1
    }

    /// A new row for `m`.
    pub(crate) fn entry(
        &self,
        m: &Migration,
        state: LedgerState,
        ops_done: usize,
        ops_total: usize,
        duration: Option<Duration>,
        note: Option<String>,
    ) -> LedgerEntry {
        LedgerEntry {
            revision: m.revision().to_owned(),
            parent: m.down_revision().map(str::to_owned),
            checksum: m.checksum().map(str::to_owned),
            state,
            ops_done,
            ops_total,
            seq: self.next_seq(),
            applied_at: crate::clock::date_time(),
            duration,
            note,
            done_digest: None,
        }
    }

    fn q(&self, d: Dialect) -> String {
        d.quote_ident(&self.table)
    }

    /// Writes a new row.
    pub(crate) fn insert(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        e: LedgerEntry,
    ) -> Result<()> {
        self.insert_then(conn, d, e, None)
    }

    /// Writes a new row, and runs `then` in the same round trip.
    fn insert_then(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        e: LedgerEntry,
        then: Option<&str>,
    ) -> Result<()> {
        let duration = e
            .duration
            .map_or_else(|| "NULL".to_owned(), |t| t.as_millis().to_string());
        self.exec(conn, format!(
            "INSERT INTO {} (revision, parent, checksum, state, ops_done, ops_total, seq, applied_at, duration_ms, note) \
             VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {duration}, {})",
            self.q(d),
            d.quote_str(&e.revision),
            opt(d, e.parent.as_deref()),
            opt(d, e.checksum.as_deref()),
            d.quote_str(e.state.as_str()),
            e.ops_done,
            e.ops_total,
            e.seq,
            d.quote_str(&e.applied_at),
            opt(d, e.note.as_deref()),
        ), then)?;
        self.index.insert(e.revision.clone(), self.rows.len());
        self.rows.push(e);
        Ok(())
    }

    /// Records a completed upgrade of `m`: a new row, or the row its
    /// interrupted run left, completed.
    pub(crate) fn applied(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        m: &Migration,
        (ops_total, duration): (usize, Duration),
        then: Option<&str>,
    ) -> Result<()> {
        if self.get(m.revision()).is_none() {
            let e = self.entry(
                m,
                LedgerState::Applied,
                ops_total,
                ops_total,
                Some(duration),
                None,
            );
            return self.insert_then(conn, d, e, then);
        }
        let at = crate::clock::date_time();
        let sql = format!(
            "UPDATE {} SET state = 'applied', ops_done = {ops_total}, ops_total = {ops_total}, checksum = {}, applied_at = {}, duration_ms = {}, note = NULL WHERE revision = {}",
            self.q(d),
            opt(d, m.checksum()),
            d.quote_str(&at),
            duration.as_millis(),
            d.quote_str(m.revision())
        );
        self.exec(conn, sql, then)?;
        if let Some(r) = self.row_mut(m.revision()) {
            r.state = LedgerState::Applied;
            r.ops_done = ops_total;
            r.ops_total = ops_total;
            r.checksum = m.checksum().map(str::to_owned);
            r.applied_at = at;
            r.duration = Some(duration);
            r.note = None;
        }
        Ok(())
    }

    fn row_mut(&mut self, revision: &str) -> Option<&mut LedgerEntry> {
        self.index.get(revision).map(|&i| &mut self.rows[i])
    }

    /// Marks the start of a run of `m` without a transaction: from here on
    /// every completed operation is recorded. Returns where to resume: the
    /// operations an earlier, interrupted run of the same direction completed.
    pub(crate) fn start(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        m: &Migration,
        state: LedgerState,
        ops: &[crate::ops::Operation],
    ) -> Result<Resume> {
        self.written_at_once();
        let ops_total = ops.len();
        if let Some(r) = self.get(m.revision()) {
            if r.state == state {
                // Resuming at operation k is only sound if the operations before
                // it are the ones that ran (what comes after may be fixed).
                let same = r.ops_done <= ops_total
                    && r.done_digest
                        .as_deref()
                        .is_none_or(|d| d == digest(&ops[..r.ops_done]));
                if !same {
                    return Err(Error::ResumeChanged {
                        revision: m.revision().to_owned(),
                        done: r.ops_done,
                        was: r.ops_total,
                        now: ops_total,
                    });
                }
                let at = r.ops_done;
                // A run that failed wrote why; one without a note was
                // interrupted, maybe after its operation took effect.
                let unsure = r.note.is_none();
                if !unsure {
                    // Cleared, so that this run, interrupted in turn, is seen so.
                    conn.execute(&format!(
                        "UPDATE {} SET note = NULL WHERE revision = {}",
                        self.q(d),
                        d.quote_str(m.revision())
                    ))?;
                    if let Some(r) = self.row_mut(m.revision()) {
                        r.note = None;
                    }
                }
                return Ok(Resume { at, unsure });
            }
        }
        match state {
            LedgerState::Upgrading => {
                let e = self.entry(m, state, 0, ops_total, None, None);
                self.insert(conn, d, e)?;
            }
            _ => {
                conn.execute(&format!(
                    // No note: one left would read as a failure (see Resume).
                    "UPDATE {} SET state = {}, ops_done = 0, ops_total = {ops_total}, note = NULL WHERE revision = {}",
                    self.q(d),
                    d.quote_str(state.as_str()),
                    d.quote_str(m.revision())
                ))?;
                if let Some(r) = self.row_mut(m.revision()) {
                    r.state = state;
                    r.ops_done = 0;
                    r.ops_total = ops_total;
                    r.note = None;
                }
            }
        }
        Ok(Resume {
            at: 0,
            unsure: false,
        })
    }

    /// Records that the first `done` operations of `revision` completed;
    /// `digest` is [`digest`] of them.
    pub(crate) fn progress(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        revision: &str,
        (done, digest): (usize, &str),
    ) -> Result<()> {
        self.written_at_once();
        conn.execute(&format!(
            "UPDATE {} SET ops_done = {done}, done_digest = {} WHERE revision = {}",
            self.q(d),
            d.quote_str(digest),
            d.quote_str(revision)
        ))?;
        if let Some(r) = self.row_mut(revision) {
            r.ops_done = done;
            r.done_digest = Some(digest.to_owned());
        }
        Ok(())
    }

    /// Records why a run without a transaction stopped.
    pub(crate) fn note(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        revision: &str,
        note: &str,
    ) -> Result<()> {
        self.written_at_once();
        let note: String = note.chars().take(1000).collect();
        conn.execute(&format!(
            "UPDATE {} SET note = {} WHERE revision = {}",
            self.q(d),
            d.quote_str(&note),
            d.quote_str(revision)
        ))?;
        if let Some(r) = self.row_mut(revision) {
            r.note = Some(note);
        }
        Ok(())
    }

    /// Marks a half-reverted `revision` as applied again (`migrate forget`).
    pub(crate) fn mark_applied(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        revision: &str,
    ) -> Result<()> {
        self.written_at_once();
        conn.execute(&format!(
            "UPDATE {} SET state = 'applied', ops_done = ops_total, note = NULL WHERE revision = {}",
            self.q(d),
            d.quote_str(revision)
        ))?;
        if let Some(r) = self.row_mut(revision) {
            r.state = LedgerState::Applied;
            r.ops_done = r.ops_total;
            r.note = None;
        }
        Ok(())
    }

    /// Forgets `revision`: it was reverted (or stamped away).
    pub(crate) fn remove(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        revision: &str,
    ) -> Result<()> {
        self.remove_then(conn, d, revision, None)
    }

    /// [`Ledger::remove`], running `then` in the same round trip.
    pub(crate) fn remove_then(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        revision: &str,
        then: Option<&str>,
    ) -> Result<()> {
        let sql = format!(
            "DELETE FROM {} WHERE revision = {}",
            self.q(d),
            d.quote_str(revision)
        );
        self.exec(conn, sql, then)?;
        if let Some(i) = self.index.remove(revision) {
            self.rows.remove(i);
            // Downgrades remove the newest rows: usually nothing moves.
            for r in &self.rows[i..] {
                if let Some(at) = self.index.get_mut(&r.revision) {
                    *at -= 1;
                }
            }
        }
        Ok(())
    }

    /// Records the current checksum of `m` as reviewed. False when there was
    /// nothing to accept (no row, or the same checksum).
    pub(crate) fn accept(
        &mut self,
        conn: &mut AnyConnection,
        d: Dialect,
        m: &Migration,
        by: &str,
    ) -> Result<bool> {
        self.written_at_once();
        let Some(r) = self.get(m.revision()) else {
            return Ok(false);
        };
        if r.checksum.as_deref() == m.checksum() {
            return Ok(false);
        }
        let note = format!(
            "checksum accepted at {} by {by} (was {})",
            crate::clock::date_time(),
            r.checksum.as_deref().unwrap_or("none")
        );
        conn.execute(&format!(
            "UPDATE {} SET checksum = {}, note = {} WHERE revision = {}",
            self.q(d),
            opt(d, m.checksum()),
            d.quote_str(&note),
            d.quote_str(m.revision())
        ))?;
        if let Some(r) = self.row_mut(m.revision()) {
            r.checksum = m.checksum().map(str::to_owned);
            r.note = Some(note);
        }
        Ok(true)
    }
}

impl Ledger {
    /// From here on, the records of completed migrations (the ledger row and
    /// the version table's update after it) are kept, and sent with the next
    /// statement ([`Ledger::send_with`]) or by [`Ledger::flush`], instead of in
    /// a round trip of their own. Only inside a run-wide transaction, where
    /// nobody else sees them before the commit and a failure rolls them back
    /// with the rest; every statement of the run still runs after the records
    /// before it. The rows read here change at once.
    pub(crate) fn defer(&mut self) {
        self.pending.get_or_insert_with(Vec::new);
    }

    /// For a migration in a transaction of its own: the transaction begins
    /// with the first batch sent ([`Ledger::send_with`], [`Ledger::flush`]),
    /// and the migration's records are kept and sent with the `COMMIT`
    /// ([`Ledger::commit`]). Where the driver allows it
    /// ([`AnyConnection::folds_transaction_control`]), `BEGIN` and `COMMIT`
    /// cost no round trip of their own. Nothing may reach the connection
    /// other than through the ledger until the first batch went out.
    pub(crate) fn open_with_next(&mut self) {
        self.opening = true;
        self.defer();
    }

    /// Sends the kept records and commits, in one round trip where the
    /// driver allows it, and writes at once again. An error in the records
    /// leaves the transaction open for the caller to roll back.
    pub(crate) fn commit(&mut self, conn: &mut AnyConnection) -> Result<()> {
        let batch = self.pending.take().unwrap_or_default();
        if std::mem::take(&mut self.opening) {
            // Nothing was sent: the transaction has not begun yet.
            match batch.is_empty() {
                true => conn.begin()?,
                false => conn.begin_with(&batch.join(";\n"))?,
            }
            return conn.commit();
        }
        match batch.is_empty() {
            true => conn.commit(),
            false => conn.commit_with(&batch.join(";\n")),
        }
    }

    /// Sends what [`Ledger::defer`] kept, still deferring after.
    pub(crate) fn flush(&mut self, conn: &mut AnyConnection) -> Result<()> {
        self.send(conn, None)
    }

    /// Runs `sql`, after what [`Ledger::defer`] kept, in one round trip.
    pub(crate) fn send_with(&mut self, conn: &mut AnyConnection, sql: &str) -> Result<()> {
        self.send(conn, Some(sql))
    }

    /// What was kept, then `after`, in one batch; nothing at all when both
    /// are empty.
    fn send(&mut self, conn: &mut AnyConnection, after: Option<&str>) -> Result<()> {
        let mut batch = self
            .pending
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        batch.extend(after.map(str::to_owned));
        match (std::mem::take(&mut self.opening), batch.is_empty()) {
            (false, true) => Ok(()),
            (false, false) => conn.execute(&batch.join(";\n")),
            (true, true) => conn.begin(),
            (true, false) => conn.begin_with(&batch.join(";\n")),
        }
    }

    /// The writes that track a migration in progress go out at once: only
    /// completed migrations' records are ever kept.
    fn written_at_once(&self) {
        debug_assert!(
            self.pending.is_none(),
            "a tracked write while records are kept"
        );
    }

    /// Sends what was kept and writes at once again.
    pub(crate) fn stop_deferring(&mut self, conn: &mut AnyConnection) -> Result<()> {
        let sent = self.flush(conn);
        self.pending = None;
        sent
    }

    /// Forgets what was kept: the transaction it belonged to is rolled back.
    pub(crate) fn drop_deferred(&mut self) {
        self.pending = None;
        self.opening = false;
    }

    fn exec(&mut self, conn: &mut AnyConnection, sql: String, then: Option<&str>) -> Result<()> {
        match &mut self.pending {
            Some(batch) => {
                batch.push(sql);
                batch.extend(then.map(str::to_owned));
                Ok(())
            }
            None => exec(conn, sql, then),
        }
    }
}

/// Runs `sql`, and `then` after it in the same round trip: a step's ledger
/// row and its version bump cost one, as the version bump alone did.
fn exec(conn: &mut AnyConnection, sql: String, then: Option<&str>) -> Result<()> {
    match then {
        Some(t) => conn.execute(&format!("{sql};\n{t}")),
        None => conn.execute(&sql),
    }
}

/// Whether some rows must be read whole: all of them, or the half-applied ones.
fn rows_needing_all(ledger: &Ledger, full: bool) -> bool {
    full || ledger.rows.iter().any(|r| !r.state.is_applied())
}

/// Every field of the rows `filter` selects.
fn read_full(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    table: &str,
    filter: &str,
) -> Result<Vec<LedgerEntry>> {
    let sql = format!(
        "SELECT {} AS v FROM {}{filter}",
        b.joined(&[
            "revision",
            "parent",
            "checksum",
            "state",
            "ops_done",
            "ops_total",
            "seq",
            "applied_at",
            "duration_ms",
            "note",
            "done_digest"
        ]),
        b.dialect().quote_ident(table)
    );
    let mut out = Vec::new();
    for r in crate::backend::rows(conn, &sql)? {
        let fields: Vec<Option<String>> = r
            .iter()
            .map(|f| crate::backend::nullable_field(f))
            .collect();
        let fields: [Option<String>; 11] = fields.try_into().map_err(|_| {
            Error::Introspection(format!("the ledger {table} has a row of another shape"))
        })?;
        out.push(parse_row(table, fields)?);
    }
    Ok(out)
}

fn index_of(rows: &[LedgerEntry]) -> HashMap<String, usize> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| (r.revision.clone(), i))
        .collect()
}

fn parse_row(table: &str, r: [Option<String>; 11]) -> Result<LedgerEntry> {
    let bad =
        |what: &str| Error::Introspection(format!("the ledger {table} has a row with {what}"));
    let [revision, parent, checksum, state, done, total, seq, at, duration, note, done_digest] = r;
    let num = |v: Option<String>, what: &str| -> Result<i64> {
        v.as_deref()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| bad(what))
    };
    let revision = revision
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad("no revision"))?;
    let state = state
        .as_deref()
        .and_then(LedgerState::parse)
        .ok_or_else(|| bad("an unknown state"))?;
    Ok(LedgerEntry {
        state,
        ops_done: usize::try_from(num(done, "a bad ops_done")?)
            .map_err(|_| bad("a bad ops_done"))?,
        ops_total: usize::try_from(num(total, "a bad ops_total")?)
            .map_err(|_| bad("a bad ops_total"))?,
        seq: num(seq, "a bad seq")?,
        applied_at: at.unwrap_or_default(),
        duration: duration
            .as_deref()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Duration::from_millis),
        revision,
        parent,
        checksum,
        note,
        done_digest,
    })
}

/// A digest of what operations are (their descriptions, in order): the same
/// operations give the same digest in every build (FNV-1a, 64 bits).
pub(crate) fn digest(ops: &[crate::ops::Operation]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for op in ops {
        for b in op.describe().bytes().chain(std::iter::once(b'\n')) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
