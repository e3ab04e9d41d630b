//! The run lock as a row with a lease, wherever a session lock cannot hold a
//! database for a whole run: a Galera cluster (`GET_LOCK` holds on one node
//! only), a transaction pooler (each transaction may run on another server
//! session), and databases without session locks at all (CockroachDB; see
//! [`Capabilities::session_locks`](super::Capabilities)).
//!
//! The row `('run', holder, expires_at)` of `<version table>_lock` belongs to
//! the run that inserted it; a second insert meets the primary key (on Galera,
//! it may instead lose certification at commit, error 1213). The lease is
//! renewed before each migration and after each statement run outside a
//! transaction, so a run killed with its host or node frees the database
//! after [`LEASE_SECS`]; an expired row is deleted by the next run that
//! tries. A holder that finds its row gone or taken stops
//! ([`Error::LockLost`]).

use super::Backend;
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// How long the row holds without being renewed. A single statement longer
/// than this can lose the lock: the run then stops at its next renewal.
pub(crate) const LEASE_SECS: u64 = 60;

/// The lock table of a version table.
pub(crate) fn table(version_table: &str) -> String {
    format!("{version_table}_lock")
}

fn quoted(d: Dialect, version_table: &str) -> String {
    d.quote_ident(&table(version_table))
}

/// The database's clock, as the row stores it (UTC).
fn now(d: Dialect) -> &'static str {
    match d {
        Dialect::Mysql => "UTC_TIMESTAMP(6)",
        Dialect::Postgres => "clock_timestamp()",
        Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    }
}

/// The end of a lease that starts now.
fn lease(d: Dialect) -> String {
    match d {
        Dialect::Mysql => format!("UTC_TIMESTAMP(6) + INTERVAL {LEASE_SECS} SECOND"),
        Dialect::Postgres => format!("clock_timestamp() + interval '{LEASE_SECS} seconds'"),
        Dialect::Sqlite => format!("strftime('%Y-%m-%d %H:%M:%f', 'now', '+{LEASE_SECS} seconds')"),
    }
}

/// Galera certifies write sets at commit: an autocommit statement that lost
/// to another node's commit fails with a deadlock and can simply run again.
/// (Elsewhere the message never matches: one attempt.)
pub(crate) fn certified<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut tries = 0;
    loop {
        match f() {
            Err(e) if tries < 5 && deadlock(&e) => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20 * tries));
            }
            other => return other,
        }
    }
}

/// Whether `e` is MySQL's deadlock (1213): on Galera, also a transaction
/// that lost certification to another node's commit, told at its commit or
/// at the session's next statement.
pub(crate) fn deadlock(e: &Error) -> bool {
    e.to_string().contains("Deadlock found")
}

/// Creates the lock table when it is not there.
pub(crate) fn create(conn: &mut AnyConnection, b: &dyn Backend, version_table: &str) -> Result<()> {
    let name = table(version_table);
    if b.table_exists(conn, &name)? {
        return Ok(());
    }
    let d = b.dialect();
    let (ts, engine) = match d {
        Dialect::Mysql => ("DATETIME(6)", " ENGINE=InnoDB"),
        Dialect::Postgres => ("TIMESTAMPTZ", ""),
        Dialect::Sqlite => ("TEXT", ""),
    };
    // On Galera, DDL replicates in total order: two nodes creating it at once is fine.
    let created = conn.execute(&format!(
        "CREATE TABLE IF NOT EXISTS {} (name VARCHAR(32) NOT NULL PRIMARY KEY, \
         holder VARCHAR(255) NOT NULL, expires_at {ts} NOT NULL){engine}",
        d.quote_ident(&name)
    ));
    match created {
        // Two PostgreSQL runs creating it at once: one of them gets a
        // duplicate key in the catalog (a known race); it is there either way.
        Err(e) if !b.table_exists(conn, &name)? => Err(e),
        _ => Ok(()),
    }
}

/// Who this run is, as the row says: the host, the process, and a number
/// that tells two runs of one process apart.
pub(crate) fn holder(prefix: Option<&str>) -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "a host".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let run = format!("{host}, pid {}, run {nanos:09}", std::process::id());
    let whole = match prefix {
        Some(p) => format!("{p}, {run}"),
        None => run,
    };
    // The column holds 255 characters: a long host name is cut, the run's
    // own part (at the end) kept.
    let n = whole.chars().count();
    whole.chars().skip(n.saturating_sub(255)).collect()
}

/// Whether `e` is a second insert of the row on MySQL: its primary key, or
/// (Galera) a commit that lost certification to another node's.
fn lost(e: &Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error as D};
    if matches!(
        e,
        Error::Database(D::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
    ) {
        return true;
    }
    e.to_string().contains("Duplicate entry") || deadlock(e)
}

/// The condition on a row that is expired, or that `stale` (an SQL
/// condition on the row) says is left by a run that is gone.
fn stale_condition(d: Dialect, stale: Option<&str>) -> String {
    let stale = stale.map_or_else(String::new, |c| format!(" OR ({c})"));
    format!("name = 'run' AND (expires_at < {}{stale})", now(d))
}

/// The statement that deletes the rows of [`stale_condition`].
fn delete_stale(d: Dialect, version_table: &str, stale: Option<&str>) -> String {
    format!(
        "DELETE FROM {} WHERE {}",
        quoted(d, version_table),
        stale_condition(d, stale)
    )
}

/// Whether the row is there, held by `holder` when one is given.
fn row_there(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: Option<&str>,
) -> Result<bool> {
    let by = holder.map_or_else(String::new, |h| format!(" AND holder = {}", d.quote_str(h)));
    Ok(!conn
        .query_text(&format!(
            "SELECT holder AS v FROM {} WHERE name = 'run'{by}",
            quoted(d, version_table)
        ))?
        .is_empty())
}

/// Deletes `holder`'s row; how many rows went (0 or 1).
fn delete_own(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: &str,
) -> Result<u64> {
    certified(|| {
        conn.execute_count(&format!(
            "DELETE FROM {} WHERE name = 'run' AND holder = {}",
            quoted(d, version_table),
            d.quote_str(holder)
        ))
    })
}

/// The lock row a run took.
#[derive(Debug)]
pub(crate) struct Took {
    /// The row it replaced, when there was one: its holder, and why it was
    /// taken over (its lease had run out, or its holder is gone). An operator
    /// sees that a run went ahead of another that may not have ended well.
    pub(crate) over: Option<String>,
}

/// Tries once to insert the row for `holder`, after deleting an expired one,
/// or one `stale` (an SQL condition on the row) says is left by a run that is
/// gone. `Some` when this run holds it now.
pub(crate) fn insert(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: &str,
    stale: Option<&str>,
) -> Result<Option<Took>> {
    let qt = quoted(d, version_table);
    let expired = delete_stale(d, version_table, stale);
    let values = format!("VALUES ('run', {}, {})", d.quote_str(holder), lease(d));
    let insert = match d {
        // Galera: all in one transaction, certified at commit, where a
        // second node's insert fails with a deadlock (see `lost`). The row
        // it deletes, if any, is kept in a session variable, read after.
        Dialect::Mysql => {
            let why = format!(
                "CONCAT(holder, IF(expires_at < {}, ' (its lease had run out)', ' (its holder is gone)'))",
                now(d)
            );
            let cond = stale_condition(d, stale);
            let taken = insert_certified(
                conn,
                &format!(
                    "SET @migrate_lock_over = NULL; START TRANSACTION; \
                     SELECT {why} INTO @migrate_lock_over FROM {qt} WHERE {cond} LIMIT 1; \
                     {expired}; INSERT INTO {qt} (name, holder, expires_at) {values}; COMMIT"
                ),
            )?;
            if !taken {
                return Ok(None);
            }
            return confirm_certified(conn, d, version_table, holder);
        }
        // Elsewhere a row already there is no error (it would be logged by
        // the server at every poll of a waiting run): nothing is inserted.
        Dialect::Postgres => {
            format!("INSERT INTO {qt} (name, holder, expires_at) {values} ON CONFLICT (name) DO NOTHING")
        }
        Dialect::Sqlite => {
            format!("INSERT OR IGNORE INTO {qt} (name, holder, expires_at) {values}")
        }
    };
    // An expired row is deleted first, and named if this run then takes its place.
    let gone = conn
        .query_text(&format!("{expired} RETURNING holder AS v"))?
        .into_iter()
        .flatten()
        .next();
    Ok((conn.execute_count(&insert)? == 1).then(|| Took {
        over: gone.map(|h| format!("{h} (its lease had run out)")),
    }))
}

/// Reads back, after a certified insert that answered success, whose row it
/// is, and what it replaced. On a 3-node cluster here such a batch once
/// answered success and the session's next statement failed with the
/// deadlock of a lost certification: the row was another run's. (Before this
/// read, that next statement was the run's first read under the lock, whose
/// failure takes the full path, so the run went on without the lock and
/// stopped at its first renewal: the `LockLost` seen about once in a hundred
/// runs of nine replicas at once.) A deadlock here is therefore another run
/// holding the row. The read waits for the node to apply every commit before
/// it (`wsrep_sync_wait`, set by the caller), so it sees the winner.
fn confirm_certified(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: &str,
) -> Result<Option<Took>> {
    let read = conn.query_text(&format!(
        "SELECT CAST(CONCAT(IFNULL((SELECT holder FROM {} WHERE name = 'run'), ''), CHAR(31), \
         IFNULL(@migrate_lock_over, '')) AS CHAR) AS v",
        quoted(d, version_table)
    ));
    match read {
        Ok(rows) => {
            let row = rows.into_iter().flatten().next().unwrap_or_default();
            let (now, over) = row.split_once('\u{1f}').unwrap_or((row.as_str(), ""));
            Ok((now == holder).then(|| Took {
                over: (!over.is_empty()).then(|| over.to_owned()),
            }))
        }
        Err(e) if lost(&e) => {
            // The aborted transaction is gone; a ROLLBACK makes sure.
            certified(|| conn.execute("ROLLBACK")).map_err(|c| Error::cleanup(e, c))?;
            Ok(None)
        }
        // Unknown whether the row is this run's: it is given back if it is,
        // so that no row outlives the attempt.
        Err(e) => Err(match delete_own(conn, d, version_table, holder) {
            Ok(_) => e,
            Err(c) => Error::cleanup(e, c),
        }),
    }
}

/// Runs the certified insert `sql`; false when another run got the row.
fn insert_certified(conn: &mut AnyConnection, sql: &str) -> Result<bool> {
    match conn.execute(sql) {
        Ok(()) => Ok(true),
        Err(e) => {
            // A transaction another node's commit aborted answers its next
            // statement, the ROLLBACK too, with a deadlock: it is gone either way.
            let back = certified(|| conn.execute("ROLLBACK"));
            match (lost(&e), back) {
                (true, Ok(())) => Ok(false),
                (_, Err(c)) => Err(Error::cleanup(e, c)),
                (false, Ok(())) => Err(e),
            }
        }
    }
}

/// The whole attempt where the backend has no session lock: the table, then
/// the row.
pub(crate) fn try_take(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    version_table: &str,
) -> Result<super::TryLock> {
    create(conn, b, version_table)?;
    let holder = holder(None);
    Ok(
        match insert(conn, b.dialect(), version_table, &holder, None)? {
            Some(took) => super::TryLock::Taken(
                super::RunLock::Row {
                    holder,
                    restore: None,
                },
                took.over,
            ),
            None => super::TryLock::Busy(format!("the lock row in {}", table(version_table))),
        },
    )
}

/// Whether a live row is there (an expired one is deleted first): a run
/// that takes a session lock must still wait for a run that holds the row.
pub(crate) fn held_by_anyone(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
) -> Result<bool> {
    conn.execute(&delete_stale(d, version_table, None))?;
    row_there(conn, d, version_table, None)
}

/// Renews the lease of `holder`'s row, or finds the lock lost (the lease ran
/// out and another run took the row).
pub(crate) fn renew(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: &str,
) -> Result<()> {
    let renewed = certified(|| {
        conn.execute_count(&format!(
            "UPDATE {} SET expires_at = {} WHERE name = 'run' AND holder = {}",
            quoted(d, version_table),
            lease(d),
            d.quote_str(holder)
        ))
    })?;
    // MySQL counts rows changed: a lease renewed within the same microsecond is 0.
    if renewed == 0 && !row_there(conn, d, version_table, Some(holder))? {
        return Err(lost_to(conn, d, version_table));
    }
    Ok(())
}

/// Deletes `holder`'s row; the lock was lost when it is not there.
pub(crate) fn release(
    conn: &mut AnyConnection,
    d: Dialect,
    version_table: &str,
    holder: &str,
) -> Result<()> {
    if delete_own(conn, d, version_table, holder)? == 0 {
        return Err(lost_to(conn, d, version_table));
    }
    Ok(())
}

/// The error of a run whose row is gone or taken, saying who has it now: a
/// user sees which run to wait for, and a lost lock can be traced.
fn lost_to(conn: &mut AnyConnection, d: Dialect, version_table: &str) -> Error {
    // A read that fails is told in the message: the lost lock is the error.
    let now = match conn.query_text(&format!(
        "SELECT holder AS v FROM {} WHERE name = 'run'",
        quoted(d, version_table)
    )) {
        Ok(rows) => match rows.into_iter().flatten().next() {
            Some(h) => format!("its lease ran out or was taken over, and another run holds the row now: {h}"),
            None => "its row is gone: the lease ran out and another run took the lock and ended, or the row was deleted".to_owned(),
        },
        Err(e) => format!("its row is not this run's any more, and who holds it could not be read: {e}"),
    };
    Error::LockLost {
        lock: table(version_table),
        now,
    }
}

/// Who holds the row and until when, for the messages of a run that waits.
pub(crate) fn holder_of(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    version_table: &str,
) -> Result<Option<String>> {
    let name = table(version_table);
    if !b.table_exists(conn, &name)? {
        return Ok(None);
    }
    let d = b.dialect();
    let expr = match d {
        Dialect::Mysql => {
            "CONCAT(holder, ', lease until ', CAST(expires_at AS CHAR(19)), ' UTC')".to_owned()
        }
        Dialect::Postgres => "holder || ', lease until ' || \
             to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'"
            .to_owned(),
        Dialect::Sqlite => {
            "holder || ', lease until ' || substr(expires_at, 1, 19) || ' UTC'".to_owned()
        }
    };
    Ok(conn
        .query_text(&format!(
            "SELECT {} AS v FROM {} WHERE name = 'run'",
            b.text(&expr),
            d.quote_ident(&name)
        ))?
        .into_iter()
        .flatten()
        .next())
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;

    /// A SQLite database with the lock table, and the folder that holds it.
    fn lock_db() -> (tempfile::TempDir, AnyConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("l.db").display());
        let mut conn = AnyConnection::establish(&url).unwrap();
        create(
            &mut conn,
            crate::backend::for_dialect(Dialect::Sqlite),
            "alembic_version",
        )
        .unwrap();
        (dir, conn)
    }

    #[test]
    fn a_row_taken_over_is_named() {
        let (_dir, mut conn) = lock_db();
        let took = insert(&mut conn, Dialect::Sqlite, "alembic_version", "first", None).unwrap();
        assert_eq!(took.map(|t| t.over), Some(None), "nothing to take over");
        // Held: a second run gets nothing.
        assert!(insert(
            &mut conn,
            Dialect::Sqlite,
            "alembic_version",
            "second",
            None
        )
        .unwrap()
        .is_none());
        // Expired: the next run takes it over, and says from whom.
        conn.execute("UPDATE alembic_version_lock SET expires_at = '2000-01-01 00:00:00'")
            .unwrap();
        let took = insert(&mut conn, Dialect::Sqlite, "alembic_version", "third", None).unwrap();
        assert_eq!(
            took.and_then(|t| t.over).as_deref(),
            Some("first (its lease had run out)")
        );
    }

    #[test]
    fn a_lost_lock_says_who_has_the_row_now() {
        let (_dir, mut conn) = lock_db();
        assert!(
            insert(&mut conn, Dialect::Sqlite, "alembic_version", "me", None)
                .unwrap()
                .is_some()
        );
        renew(&mut conn, Dialect::Sqlite, "alembic_version", "me").unwrap();
        conn.execute("UPDATE alembic_version_lock SET holder = 'another run'")
            .unwrap();
        let e = renew(&mut conn, Dialect::Sqlite, "alembic_version", "me").unwrap_err();
        assert!(
            e.to_string()
                .contains("another run holds the row now: another run;"),
            "{e}"
        );
        conn.execute("DELETE FROM alembic_version_lock").unwrap();
        let e = release(&mut conn, Dialect::Sqlite, "alembic_version", "me").unwrap_err();
        assert!(e.to_string().contains(": its row is gone: "), "{e}");
    }
}
