//! A database that has neither advisory locks nor transactional DDL, as
//! CockroachDB (no advisory locks) and YugabyteDB (DDL outside transactions)
//! are for this executor: SQLite underneath, with those two capabilities
//! taken away. Tests only. It shows that the executor follows
//! [`Capabilities`] and the backend's own lock, never the dialect: the run
//! locks with a row, and a migration that fails half-way resumes at the
//! operation that failed, as on MySQL.

use super::sqlite::Sqlite;
use super::{lock_row, Backend, Capabilities, RunLock, TryLock};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::TableInfo;
use crate::sqlite::rebuild::TableSource;

pub(crate) struct Simulated;

thread_local! {
    static ON: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While the guard lives, connections of this thread use [`Simulated`].
pub(crate) struct Guard(());

impl Guard {
    pub(crate) fn on() -> Self {
        ON.with(|s| s.set(true));
        Guard(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        ON.with(|s| s.set(false));
    }
}

pub(crate) fn active() -> bool {
    ON.with(std::cell::Cell::get)
}

impl Backend for Simulated {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: false,
            session_locks: false,
            ..Sqlite.capabilities()
        }
    }

    fn table_exists(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        Sqlite.table_exists(conn, table)
    }

    fn exists(&self, conn: &mut AnyConnection, object: super::Object<'_>) -> Result<Option<bool>> {
        Sqlite.exists(conn, object)
    }

    fn text(&self, expr: &str) -> String {
        Sqlite.text(expr)
    }

    fn joined(&self, exprs: &[&str]) -> String {
        Sqlite.joined(exprs)
    }

    /// Never called by the executor, which reads `session_locks` and takes
    /// the lock row itself; the same, for any other caller.
    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock> {
        lock_row::try_take(conn, self, version_table)
    }

    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, lock: RunLock) -> Result<()> {
        let RunLock::Row { holder, .. } = lock else {
            return Err(Error::Usage(
                "the simulated backend locks with a row".into(),
            ));
        };
        lock_row::release(conn, Dialect::Sqlite, version_table, &holder)
    }

    fn table_source(&self, conn: &mut AnyConnection, table: &str) -> Result<TableSource> {
        Sqlite.table_source(conn, table)
    }

    fn suspend_foreign_keys(&self, conn: &mut AnyConnection) -> Result<bool> {
        Sqlite.suspend_foreign_keys(conn)
    }

    fn restore_foreign_keys(&self, conn: &mut AnyConnection) -> Result<()> {
        Sqlite.restore_foreign_keys(conn)
    }

    fn check_dependents(&self, conn: &mut AnyConnection, table: &str) -> Result<()> {
        Sqlite.check_dependents(conn, table)
    }

    fn check_foreign_keys(&self, conn: &mut AnyConnection, rebuilt: &[String]) -> Result<()> {
        Sqlite.check_foreign_keys(conn, rebuilt)
    }

    fn after_failed_rebuild(&self, conn: &mut AnyConnection) -> Result<()> {
        Sqlite.after_failed_rebuild(conn)
    }

    fn tables(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        Sqlite.tables(conn)
    }

    #[cfg(feature = "introspect")]
    fn describe_table(&self, conn: &mut AnyConnection, table: &str) -> Result<TableInfo> {
        Sqlite.describe_table(conn, table)
    }
}

#[cfg(test)]
mod tests {
    use super::Guard;
    use crate::chain::{Chain, Migration};
    use crate::db::conn::AnyConnection;
    use crate::ops::Op;
    use crate::run::executor::Migrator;
    use std::sync::atomic::{AtomicBool, Ordering};

    static FAIL: AtomicBool = AtomicBool::new(true);

    fn up(op: &mut Op) -> crate::error::Result<()> {
        op.execute("CREATE TABLE a (id INTEGER)");
        if FAIL.load(Ordering::SeqCst) {
            op.execute("CREATE TABLE nope (");
        } else {
            op.execute("CREATE TABLE b (id INTEGER)");
        }
        op.execute("CREATE TABLE c (id INTEGER)");
        Ok(())
    }

    fn down(op: &mut Op) -> crate::error::Result<()> {
        op.execute("DROP TABLE c");
        op.execute("DROP TABLE b");
        op.execute("DROP TABLE a");
        Ok(())
    }

    fn count(conn: &mut AnyConnection, sql: &str) -> String {
        conn.query_text(sql)
            .unwrap()
            .into_iter()
            .flatten()
            .next()
            .unwrap_or_default()
    }

    #[test]
    fn without_advisory_locks_or_transactional_ddl_the_executor_locks_with_a_row_and_resumes_mid_migration(
    ) {
        let _sim = Guard::on();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("sim.db").display());
        let chain = Chain::new(vec![Migration::new(
            "aaaaaaaaaaaa",
            None,
            "three tables",
            up,
            Some(down),
        )])
        .unwrap();
        let mut conn = AnyConnection::establish(&url).unwrap();
        FAIL.store(true, Ordering::SeqCst);
        let err = Migrator::new(&chain)
            .upgrade(&mut conn, "head")
            .unwrap_err()
            .to_string();
        assert!(err.contains("operation 2 of 3"), "{err}");
        // Without transactional DDL the first table stays, and the ledger says
        // how far the migration got; the lock row is gone again.
        let tables = "SELECT CAST(count(*) AS TEXT) AS v FROM sqlite_master WHERE type = 'table' AND name IN ('a', 'b', 'c')";
        assert_eq!(count(&mut conn, tables), "1");
        assert_eq!(
            count(
                &mut conn,
                "SELECT state || ' ' || CAST(ops_done AS TEXT) AS v FROM alembic_version_log"
            ),
            "upgrading 1"
        );
        assert_eq!(
            count(
                &mut conn,
                "SELECT CAST(count(*) AS TEXT) AS v FROM alembic_version_lock"
            ),
            "0"
        );
        // Fixed: the re-run starts at the second operation (the first would
        // fail: table a exists).
        FAIL.store(false, Ordering::SeqCst);
        let steps = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(count(&mut conn, tables), "3");
        // A run holding the row makes another wait, then give up.
        conn.execute(
            "INSERT INTO alembic_version_lock (name, holder, expires_at) VALUES ('run', 'other', '9999-12-31 00:00:00')",
        )
        .unwrap();
        let err = Migrator::new(&chain)
            .lock_wait(std::time::Duration::from_millis(50))
            .downgrade(&mut conn, "base")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lock row"), "{err}");
        assert_eq!(count(&mut conn, tables), "3");
        // A row whose lease ran out (its run was killed) is taken over.
        conn.execute("UPDATE alembic_version_lock SET expires_at = '2000-01-01 00:00:00'")
            .unwrap();
        let steps = Migrator::new(&chain).downgrade(&mut conn, "base").unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(count(&mut conn, tables), "0");
        assert_eq!(
            count(
                &mut conn,
                "SELECT CAST(count(*) AS TEXT) AS v FROM alembic_version_lock"
            ),
            "0"
        );
    }
}
