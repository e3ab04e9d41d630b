//! Databases the executor cannot reach here, as it sees them: SQLite
//! underneath, with capabilities taken away. Tests only.
//! - [`WITHOUT_TRANSACTIONAL_DDL`], as YugabyteDB (DDL outside transactions)
//!   with CockroachDB's lack of advisory locks: the run locks with a row, and
//!   a migration that fails half-way resumes at the operation that failed, as
//!   on MySQL.
//! - [`ONE_DDL_PER_TRANSACTION`], as CockroachDB: each operation commits in a
//!   transaction with its ledger record.
//!
//! They show that the executor follows [`Capabilities`], never the dialect.

use super::sqlite::Sqlite;
use super::{lock_row, Backend, Capabilities, RunLock, TryLock};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::TableInfo;
use crate::sqlite::rebuild::TableSource;

/// SQLite with some of its capabilities taken away.
pub(crate) struct Simulated {
    caps: Capabilities,
}

/// YugabyteDB as the executor sees it: no session locks, no transactional DDL.
pub(crate) static WITHOUT_TRANSACTIONAL_DDL: Simulated = Simulated {
    caps: Capabilities {
        transactional_ddl: false,
        rebuilds_tables: true,
        session_locks: false,
        one_ddl_per_transaction: false,
    },
};

/// CockroachDB as the executor sees it: no session locks, and at most one
/// DDL statement per transaction.
pub(crate) static ONE_DDL_PER_TRANSACTION: Simulated = Simulated {
    caps: Capabilities {
        transactional_ddl: true,
        rebuilds_tables: true,
        session_locks: false,
        one_ddl_per_transaction: true,
    },
};

thread_local! {
    static ON: std::cell::Cell<Option<&'static Simulated>> = const { std::cell::Cell::new(None) };
}

/// While the guard lives, connections of this thread use a [`Simulated`] backend.
pub(crate) struct Guard(());

impl Guard {
    pub(crate) fn on(backend: &'static Simulated) -> Self {
        ON.with(|s| s.set(Some(backend)));
        Guard(())
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        ON.with(|s| s.set(None));
    }
}

/// The simulated backend of this thread, if one is on.
pub(crate) fn active() -> Option<&'static Simulated> {
    ON.with(std::cell::Cell::get)
}

impl Backend for Simulated {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn capabilities(&self) -> Capabilities {
        self.caps
    }

    fn table_exists(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        Sqlite.table_exists(conn, table)
    }

    fn table_exists_query(&self, table: &str) -> String {
        Sqlite.table_exists_query(table)
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

    #[cfg(feature = "autogen")]
    fn shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape> {
        Sqlite.read_shape(conn, table)
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

    /// Makes operation 2 of `drops_the_ledger` drop the ledger.
    static DROP_LEDGER: AtomicBool = AtomicBool::new(true);

    fn drops_the_ledger(op: &mut Op) -> crate::error::Result<()> {
        op.execute("CREATE TABLE x (id INTEGER)");
        if DROP_LEDGER.load(Ordering::SeqCst) {
            op.execute("DROP TABLE alembic_version_log");
        } else {
            op.execute("CREATE TABLE y (id INTEGER)");
        }
        op.execute("CREATE TABLE z (id INTEGER)");
        Ok(())
    }

    fn table_count(conn: &mut AnyConnection, names: &str) -> String {
        count(
            conn,
            &format!("SELECT CAST(count(*) AS TEXT) AS v FROM sqlite_master WHERE type = 'table' AND name IN ({names})"),
        )
    }

    #[test]
    fn with_one_ddl_per_transaction_each_operation_commits_with_its_ledger_record() {
        let chain = Chain::new(vec![Migration::new(
            "aaaaaaaaaaaa",
            None,
            "x y z",
            drops_the_ledger,
            None,
        )])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        // An operation whose ledger record cannot be written (here: it took
        // the ledger away) is undone with it: the two commit together.
        let one = format!("sqlite:///{}", dir.path().join("one.db").display());
        let mut conn = AnyConnection::establish(&one).unwrap();
        {
            let _sim = Guard::on(&super::ONE_DDL_PER_TRANSACTION);
            DROP_LEDGER.store(true, Ordering::SeqCst);
            let err = Migrator::new(&chain)
                .upgrade(&mut conn, "head")
                .unwrap_err();
            assert!(err.to_string().contains("operation 2 of 3"), "{err}");
        }
        assert_eq!(table_count(&mut conn, "'x', 'alembic_version_log'"), "2");
        assert_eq!(
            count(
                &mut conn,
                "SELECT state || ' ' || CAST(ops_done AS TEXT) AS v FROM alembic_version_log"
            ),
            "upgrading 1"
        );
        {
            let _sim = Guard::on(&super::ONE_DDL_PER_TRANSACTION);
            DROP_LEDGER.store(false, Ordering::SeqCst);
            let steps = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
            assert_eq!(steps.len(), 1);
        }
        assert_eq!(table_count(&mut conn, "'x', 'y', 'z'"), "3");
        assert_eq!(
            count(
                &mut conn,
                "SELECT CAST(count(*) AS TEXT) AS v FROM alembic_version_lock"
            ),
            "0",
            "the run locked with a row, and gave it back"
        );
        // Where DDL commits on its own, the same statement takes the ledger
        // for good: the capability, not the dialect, made the difference.
        let apart = format!("sqlite:///{}", dir.path().join("apart.db").display());
        let mut conn = AnyConnection::establish(&apart).unwrap();
        let _sim = Guard::on(&super::WITHOUT_TRANSACTIONAL_DDL);
        DROP_LEDGER.store(true, Ordering::SeqCst);
        Migrator::new(&chain)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert_eq!(table_count(&mut conn, "'x', 'alembic_version_log'"), "1");
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
        let _sim = Guard::on(&super::WITHOUT_TRANSACTIONAL_DDL);
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
