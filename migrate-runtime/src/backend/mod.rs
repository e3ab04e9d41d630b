//! How each database does what the executor needs: a version table, a run lock,
//! transactions, live schema facts and the hooks around a SQLite table rebuild.
//!
//! The executor ([`crate::run`]) asks a [`Backend`] and its [`Capabilities`];
//! it never names a dialect. Adding a database means adding one file here.

pub(crate) mod lock_row;
mod mysql;
mod postgres;
mod proxy;
#[cfg(all(test, feature = "sqlite"))]
pub(crate) mod simulated;
mod sqlite;

use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::Result;
#[cfg(feature = "introspect")]
use crate::schema::live::{Schema, TableInfo};
use crate::sql::ExistingColumn;
use crate::sqlite::rebuild::TableSource;

/// What a database can do, which decides how the executor runs a migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Capabilities {
    /// DDL runs inside transactions and rolls back with them (false on MySQL,
    /// which commits DDL implicitly).
    pub transactional_ddl: bool,
    /// Changes `ALTER TABLE` cannot make are done by rebuilding the table, with
    /// foreign key enforcement off around it.
    pub rebuilds_tables: bool,
    /// A lock the session takes (an advisory lock, `GET_LOCK`, a lock file)
    /// can hold the database for a run: the executor asks the backend for it
    /// ([`Backend::try_lock`], which may still fall back to a lock row where
    /// it finds the session lock would not hold: a Galera node, a pooler).
    /// Without (CockroachDB has no advisory locks), the executor takes the
    /// lock row of [`lock_row`] itself.
    pub session_locks: bool,
    /// A transaction should hold at most one DDL statement (CockroachDB runs
    /// schema changes asynchronously and documents several in one
    /// transaction as unsafe): a migration's operations then commit one by
    /// one, each in a transaction with its ledger record, so that a re-run
    /// resumes exactly after the last one committed.
    pub one_ddl_per_transaction: bool,
}

impl Capabilities {
    /// Whether a whole migration (its DDL, its version bump, its ledger row)
    /// can run in one transaction.
    pub(crate) fn migration_transactions(self) -> bool {
        self.transactional_ddl && !self.one_ddl_per_transaction
    }
}

/// The run lock, as taken.
#[derive(Debug)]
pub(crate) enum RunLock {
    /// A lock held by the session (`GET_LOCK`).
    Session,
    /// Session advisory locks on these keys (PostgreSQL): kept so that unlock
    /// releases the keys taken even if a migration changed the search_path.
    Advisory(Vec<i64>),
    /// A row in a lock table, for clusters where session locks are local to a
    /// node (Galera): held while the row is there and its lease runs.
    Row {
        /// Who holds it, as the row says.
        holder: String,
        /// SQL run at unlock.
        restore: Option<String>,
    },
    /// An OS lock on a file beside the database, released when the file closes.
    File {
        /// Held, not read: closing it releases the lock.
        _held: std::fs::File,
    },
    /// No run-wide lock: each step relies on the database's write lock. With
    /// the lock that could not be taken (none for an in-memory database, which
    /// no other process can reach).
    PerStep(Option<String>),
}

/// A schema object whose presence a resumed run checks (see
/// [`Backend::exists`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Object<'a> {
    /// A table.
    Table(&'a str),
    /// A column of a table.
    Column {
        /// Its table.
        table: &'a str,
        /// The column.
        column: &'a str,
    },
    /// An index (on `table`: MySQL names indexes per table).
    Index {
        /// Its table.
        table: &'a str,
        /// The index.
        name: &'a str,
    },
    /// A named constraint of a table (unique, foreign key, check).
    Constraint {
        /// Its table.
        table: &'a str,
        /// The constraint.
        name: &'a str,
    },
    /// A table's primary key, whatever its name (MySQL calls every one `PRIMARY`).
    PrimaryKey(&'a str),
}

/// One attempt at the run lock.
#[derive(Debug)]
pub(crate) enum TryLock {
    /// Taken; with the lock row it replaced, when it took one over (its
    /// holder, and why).
    Taken(RunLock, Option<String>),
    /// Another run holds it: the lock, as messages name it.
    Busy(String),
}

/// One database's way of doing what the executor needs.
pub(crate) trait Backend: Sync {
    /// The dialect the operations render to.
    fn dialect(&self) -> Dialect;

    /// What this database can do.
    fn capabilities(&self) -> Capabilities;

    /// Whether `table` exists in the connection's current schema or database.
    fn table_exists(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        Ok(!conn.query_text(&self.table_exists_query(table))?.is_empty())
    }

    /// The query [`Backend::table_exists`] runs: one row (a column `v`) when
    /// `table` exists. Also run on a backend's own diesel connection, where
    /// there is no [`AnyConnection`] (diesel's `MigrationHarness`).
    fn table_exists_query(&self, table: &str) -> String;

    /// Whether `object` exists in the connection's current schema or
    /// database; `None` where this backend cannot tell. A run resuming a
    /// migration that was interrupted (killed, or its connection lost) asks it
    /// of the operation that was running: its statement may have committed
    /// before the ledger could record it.
    fn exists(&self, conn: &mut AnyConnection, object: Object<'_>) -> Result<Option<bool>> {
        match object {
            Object::Table(t) => self.table_exists(conn, t).map(Some),
            _ => Ok(None),
        }
    }

    /// `CAST(expr AS <text type>)`, so that [`AnyConnection::query_text`] can read it.
    fn text(&self, expr: &str) -> String;

    /// One text value holding `exprs` as text, joined by `\x1f`, a NULL as
    /// `\x1e`: a whole row in one column, which reads far faster than many.
    fn joined(&self, exprs: &[&str]) -> String;

    /// Tries once, without waiting, to take the run lock named after
    /// `version_table`. The executor polls it: a blocking lock call would be
    /// silent while it waits, and a user's `lock_timeout` would break it.
    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock>;

    /// Who holds the run lock, for the messages of a run that waits for it:
    /// a process id, a connection, since when. `None` when it cannot be told.
    fn lock_holder(
        &self,
        _conn: &mut AnyConnection,
        _version_table: &str,
    ) -> Result<Option<String>> {
        Ok(None)
    }

    /// The session's own lock-wait setting, read before a run first changes
    /// it, so that it can be put back after ([`Backend::restore_lock_wait`]).
    fn lock_wait_setting(&self, _conn: &mut AnyConnection) -> Result<Option<String>> {
        Ok(None)
    }

    /// Makes the statements that follow wait at most `timeout` for a table
    /// lock, so that DDL queued behind a long query does not queue every other
    /// query behind itself; `None`: the server's default. `local`: for the
    /// transaction in progress only (PostgreSQL); else for the session, set
    /// outside any transaction (a SET inside one is undone by its rollback).
    fn set_lock_wait(
        &self,
        _conn: &mut AnyConnection,
        _timeout: Option<std::time::Duration>,
        _local: bool,
    ) -> Result<()> {
        Ok(())
    }

    /// Cancels any statement of the transaction in progress that runs longer
    /// than `timeout` (`None`: the server's default). PostgreSQL only: MySQL's
    /// `max_execution_time` covers SELECT alone.
    fn set_statement_timeout(
        &self,
        _conn: &mut AnyConnection,
        _timeout: Option<std::time::Duration>,
    ) -> Result<()> {
        Ok(())
    }

    /// Puts back the setting [`Backend::lock_wait_setting`] read.
    fn restore_lock_wait(&self, _conn: &mut AnyConnection, _saved: &str) -> Result<()> {
        Ok(())
    }

    /// Whether `e` is a statement that gave up waiting for a table lock.
    fn is_lock_timeout(&self, _e: &crate::error::Error) -> bool {
        false
    }

    /// The other sessions holding locks on `table`, for the message of a
    /// migration that timed out waiting for it.
    fn lock_blockers(&self, _conn: &mut AnyConnection, _table: &str) -> Result<Option<String>> {
        Ok(None)
    }

    /// Makes `schema` the connection's current schema (schema-per-tenant
    /// fleets), or refuses where it cannot hold for the whole run.
    fn use_schema(&self, _conn: &mut AnyConnection, schema: &str) -> Result<()> {
        Err(crate::error::Error::Schema(format!(
            "schema `{schema}`: only PostgreSQL targets take a schema; give MySQL a database per tenant in its URL, SQLite a file"
        )))
    }

    /// Releases what [`Backend::try_lock`] took.
    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, lock: RunLock) -> Result<()>;

    /// The live definition of `table.column`, where a rendering needs it (MySQL's
    /// `MODIFY` restates the whole column).
    fn existing_column(
        &self,
        _conn: &mut AnyConnection,
        _table: &str,
        _column: &str,
    ) -> Result<Option<ExistingColumn>> {
        Ok(None)
    }

    /// A table's definition for a rebuild (backends that rebuild tables).
    fn table_source(&self, conn: &mut AnyConnection, table: &str) -> Result<TableSource>;

    /// Before a migration that may rebuild a table: switches off foreign key
    /// enforcement, which would run ON DELETE actions when the old table is
    /// dropped. Returns whether it was on, i.e. must be switched on again.
    fn suspend_foreign_keys(&self, _conn: &mut AnyConnection) -> Result<bool> {
        Ok(false)
    }

    /// Switches enforcement back on after [`Backend::suspend_foreign_keys`].
    fn restore_foreign_keys(&self, _conn: &mut AnyConnection) -> Result<()> {
        Ok(())
    }

    /// After a rebuild of `table`: the views and triggers that read it still
    /// work, or the rebuild fails naming the first that does not.
    fn check_dependents(&self, _conn: &mut AnyConnection, _table: &str) -> Result<()> {
        Ok(())
    }

    /// After rebuilds with enforcement off: the rebuilt tables and the tables
    /// that reference them must still satisfy their foreign keys.
    fn check_foreign_keys(&self, _conn: &mut AnyConnection, _rebuilt: &[String]) -> Result<()> {
        Ok(())
    }

    /// Undoes connection state a failed rebuild may leave behind.
    fn after_failed_rebuild(&self, _conn: &mut AnyConnection) -> Result<()> {
        Ok(())
    }

    /// The tables of the current schema or database.
    fn tables(&self, conn: &mut AnyConnection) -> Result<Vec<String>>;

    /// One table as the database reports it (columns, indexes, constraints).
    #[cfg(feature = "introspect")]
    fn describe_table(&self, conn: &mut AnyConnection, table: &str) -> Result<TableInfo>;

    /// One table in the parts a baseline migration recreates it from.
    #[cfg(feature = "autogen")]
    fn shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape>;
}

/// The backend for `dialect`.
pub(crate) fn for_dialect(dialect: Dialect) -> &'static dyn Backend {
    match dialect {
        Dialect::Sqlite => &sqlite::Sqlite,
        Dialect::Postgres => &postgres::Postgres,
        Dialect::Mysql => &mysql::Mysql,
    }
}

/// The backend of a connection.
pub(crate) fn of(conn: &AnyConnection) -> &'static dyn Backend {
    #[cfg(all(test, feature = "sqlite"))]
    if let Some(sim) = simulated::active() {
        return sim;
    }
    for_dialect(conn.dialect())
}

#[cfg(feature = "introspect")]
/// Reads the schema of the connection's database, leaving out `version_table`
/// and the tables derived from its name (the ledger).
pub(crate) fn schema(conn: &mut AnyConnection, version_table: &str) -> Result<Schema> {
    let b = of(conn);
    let ledger = crate::sql::version::ledger_table(version_table);
    let mut schema = Schema::default();
    for t in b.tables(conn)? {
        if t == version_table || t == ledger {
            continue;
        }
        let info = b.describe_table(conn, &t)?;
        schema.tables.insert(t, info);
    }
    Ok(schema)
}

/// Every table of the connection's database in parts (see
/// [`Backend::shape`]), leaving out `version_table` and the ledger.
#[cfg(feature = "autogen")]
pub(crate) fn shapes(
    conn: &mut AnyConnection,
    version_table: &str,
) -> Result<Vec<crate::schema::shape::TableShape>> {
    let b = of(conn);
    let ledger = crate::sql::version::ledger_table(version_table);
    let lock = lock_row::table(version_table);
    let mut out = Vec::new();
    for t in b.tables(conn)? {
        if t == version_table || t == ledger || t == lock {
            continue;
        }
        if t == "__diesel_schema_migrations" {
            return Err(crate::error::Error::Usage(
                "diesel_migrations manages this database (it has __diesel_schema_migrations): import its migrations with `migrate import diesel PATH` instead of a baseline".into(),
            ));
        }
        out.push(b.shape(conn, &t)?);
    }
    Ok(out)
}

/// A stable 63-bit key for a lock named after the version table (FNV-1a: the
/// same on every platform and build).
pub(crate) fn lock_key(table: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("migrate-runtime:{table}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}

/// Rows of a query whose `v` column joins fields with `\x1f`.
pub(crate) fn rows(conn: &mut AnyConnection, sql: &str) -> Result<Vec<Vec<String>>> {
    Ok(conn
        .query_text(sql)?
        .into_iter()
        .map(|r| {
            r.unwrap_or_default()
                .split('\u{1f}')
                .map(str::to_owned)
                .collect()
        })
        .collect())
}

/// A catalog row with more or fewer fields than its query selects: a name
/// or value holding the separator. Never skipped: a column left out of a
/// description would make two schemas look equal.
#[cfg(feature = "introspect")]
pub(crate) fn unreadable(r: &[String]) -> crate::error::Error {
    crate::error::Error::Introspection(format!(
        "a catalog row of {} fields where the query selects another number (a name or default holding the character U+001F?): {:?}",
        r.len(),
        r.join(" | ")
    ))
}

/// `\x1e` marks a NULL inside a joined row.
pub(crate) fn nullable_field(s: &str) -> Option<String> {
    (s != "\u{1e}").then(|| s.to_owned())
}

/// The number a `SELECT CAST(COUNT(*) AS <text>) AS v` query returns.
fn count_of(conn: &mut AnyConnection, sql: &str) -> Result<u64> {
    let first = conn.query_text(sql)?.into_iter().flatten().next();
    first
        .as_deref()
        .map(str::trim)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| crate::error::Error::Introspection(format!("not a count: {first:?}")))
}
