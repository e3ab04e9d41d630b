//! One connection type over the backends this build has.

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
use diesel::{Connection, RunQueryDsl};

use crate::db::url::{self, Target};
use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;

/// A live database connection of any backend compiled in.
///
/// Data migrations receive it in [`Op::run`](crate::ops::Op::run); match on it
/// (or use [`AnyConnection::sqlite`] and friends) to run diesel queries on the
/// backend's own connection type.
#[non_exhaustive]
pub enum AnyConnection {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    /// MySQL / MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
}

/// The first column of a row, read as text whatever it is named: a query
/// passed to [`AnyConnection::query_text`] need not alias it.
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
pub(crate) struct TextRow {
    v: Option<String>,
}

#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
impl<DB: diesel::backend::Backend> diesel::deserialize::QueryableByName<DB> for TextRow
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        use diesel::deserialize::FromSql;
        use diesel::row::{Field, Row};
        let field = Row::get(row, 0usize).ok_or("the query returned no column")?;
        let v = match field.value() {
            None => None,
            Some(raw) => Some(<String as FromSql<diesel::sql_types::Text, DB>>::from_sql(
                raw,
            )?),
        };
        Ok(TextRow { v })
    }
}

/// [`AnyConnection::query_text`] on a backend's own diesel connection, where
/// there is no `AnyConnection` (diesel's `MigrationHarness` hands one out).
#[cfg(all(
    feature = "diesel-migrations",
    any(feature = "sqlite", feature = "postgres", feature = "mysql")
))]
pub(crate) fn query_text_on<C>(c: &mut C, sql: &str) -> Result<Vec<Option<String>>>
where
    C: diesel::Connection,
    for<'q> diesel::query_builder::SqlQuery: diesel::query_dsl::LoadQuery<'q, C, TextRow>,
{
    let rows: Vec<TextRow> = diesel::sql_query(sql).load(c)?;
    Ok(rows.into_iter().map(|r| r.v).collect())
}

/// A row of a fleet's catalog query: `url`, and `name`, `grp`, `schema` when
/// the query returns them (any of the three may be missing or NULL).
#[cfg(feature = "cli")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CatalogRow {
    pub url: String,
    pub name: Option<String>,
    pub group: Option<String>,
    pub schema: Option<String>,
}

#[cfg(all(
    feature = "cli",
    any(feature = "sqlite", feature = "postgres", feature = "mysql")
))]
impl<DB: diesel::backend::Backend> diesel::deserialize::QueryableByName<DB> for CatalogRow
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn build<'a>(row: &impl diesel::row::NamedRow<'a, DB>) -> diesel::deserialize::Result<Self> {
        use diesel::sql_types::{Nullable, Text};
        // A column the query does not return is optional; any other error
        // (a value that is not text) is the query's to fix, never a silent
        // "no schema" that would migrate the wrong schema.
        // PostgreSQL and MySQL send numbers, dates and booleans in binary,
        // which read as text are bytes like "\0\0\0*": refused, never a
        // target named or grouped by garbage.
        let text = |name: &str, v: Option<String>| -> diesel::deserialize::Result<Option<String>> {
            match v {
                Some(s) if s.chars().any(char::is_control) => Err(format!(
                    "column `{name}` of the catalog query holds control characters: a number or \
                     date that is not text? cast it in the query (CAST(... AS TEXT) AS {name}; \
                     AS CHAR on MySQL)"
                )
                .into()),
                v => Ok(v),
            }
        };
        let optional = |name: &str| -> diesel::deserialize::Result<Option<String>> {
            match diesel::row::NamedRow::get::<Nullable<Text>, Option<String>>(row, name) {
                Ok(v) => text(name, v),
                Err(e) if e.to_string().contains("not present") => Ok(None),
                Err(e) => Err(format!("column `{name}` of the catalog query: {e}").into()),
            }
        };
        let url = diesel::row::NamedRow::get::<Nullable<Text>, Option<String>>(row, "url")
            .map_err(|_| "the catalog query returns no text column named `url`")?;
        let url = text("url", url)?.ok_or("the catalog query returned a NULL url")?;
        Ok(CatalogRow {
            url,
            name: optional("name")?,
            group: match optional("grp")? {
                Some(g) => Some(g),
                None => optional("group")?,
            },
            schema: optional("schema")?,
        })
    }
}

/// A row of [`AnyConnection::query_slim`]: three texts, the third nullable,
/// an integer and a nullable text.
pub(crate) type SlimRow = (String, String, Option<String>, i64, Option<String>);

/// Runs `$body` with `$c` bound to the backend connection, whatever the variant.
macro_rules! each_backend {
    ($self:expr, $c:ident => $body:expr) => {
        match $self {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql($c) => $body,
        }
    };
}

/// A driver's message on one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl AnyConnection {
    /// Connects to `url` (see [`url::parse`] for the forms), relative SQLite paths
    /// resolved against the current directory.
    pub fn establish(url: &str) -> Result<Self> {
        let cwd = std::env::current_dir().map_err(|e| Error::Io {
            context: "cannot read the current directory".into(),
            source: e,
        })?;
        Self::establish_target(&url::parse(url, &cwd)?, url)
    }

    /// Connects to a parsed target; `url` is only used in messages.
    pub fn establish_target(target: &Target, url: &str) -> Result<Self> {
        let shown = url::redact(url);
        // The driver's message may quote the URL, or the part of it it misread.
        #[allow(unused_variables)]
        let connect_err = |e: diesel::ConnectionError| Error::Connect {
            url: shown.clone(),
            // One line: libpq adds a tab-indented second line of its own.
            // Scrubbed first: a password may hold the spaces one_line folds.
            message: one_line(&url::scrub(&e.to_string(), url)),
        };
        match target {
            #[cfg(feature = "sqlite")]
            Target::SqliteMemory | Target::SqliteFile(_) | Target::SqliteReadOnly(_) => {
                let path = match target {
                    Target::SqliteFile(p) => p.to_string_lossy().into_owned(),
                    // An SQLite URI filename: the characters it reserves are escaped.
                    Target::SqliteReadOnly(p) => format!(
                        "file:{}?mode=ro",
                        p.to_string_lossy()
                            .replace('%', "%25")
                            .replace('?', "%3f")
                            .replace('#', "%23")
                    ),
                    _ => ":memory:".to_owned(),
                };
                let mut c = diesel::SqliteConnection::establish(&path).map_err(connect_err)?;
                // Another process holding the write lock (a replica migrating at the
                // same time, perhaps rebuilding a large table) makes us wait, up to
                // ten minutes, instead of failing with SQLITE_BUSY.
                c.batch_execute("PRAGMA busy_timeout = 600000")?;
                Ok(AnyConnection::Sqlite(c))
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(u) => {
                let mut c = diesel::PgConnection::establish(u).map_err(connect_err)?;
                // Keep NOTICEs from IF [NOT] EXISTS out of the user's terminal.
                c.batch_execute("SET client_min_messages = WARNING")?;
                Ok(AnyConnection::Postgres(c))
            }
            #[cfg(feature = "mysql")]
            Target::Mysql(u) => Ok(AnyConnection::Mysql(
                diesel::MysqlConnection::establish(u).map_err(connect_err)?,
            )),
            #[allow(unreachable_patterns)]
            other => {
                let dialect = other.dialect();
                let feature = match dialect {
                    Dialect::Sqlite => "sqlite",
                    Dialect::Postgres => "postgres",
                    Dialect::Mysql => "mysql",
                };
                Err(Error::BackendDisabled { dialect, feature })
            }
        }
    }

    /// The connection's dialect.
    pub fn dialect(&self) -> Dialect {
        #[allow(unreachable_code)]
        match self {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(_) => Dialect::Mysql,
        }
    }

    /// Runs SQL that returns no rows (several statements are allowed).
    pub fn execute(&mut self, sql: &str) -> Result<()> {
        each_backend!(self, c => c.batch_execute(sql).map_err(Error::from))
    }

    /// Runs one statement that returns no rows and returns how many rows it
    /// changed (an `UPDATE` or `DELETE`; see [`crate::ops::Op::run_in_batches`]).
    pub fn execute_count(&mut self, sql: &str) -> Result<u64> {
        each_backend!(self, c => diesel::sql_query(sql)
            .execute(c)
            .map(|n| n as u64)
            .map_err(Error::from))
    }

    /// Runs a query and reads the first column of each row as text (NULL as
    /// `None`); its name does not matter. Cast other types to text in the
    /// query (`CAST(n AS TEXT)`, `CAST(n AS CHAR)` on MySQL).
    pub fn query_text(&mut self, sql: &str) -> Result<Vec<Option<String>>> {
        each_backend!(self, c => {
            let rows: Vec<TextRow> = diesel::sql_query(sql).load(c)?;
            Ok(rows.into_iter().map(|r| r.v).collect())
        })
    }

    /// The rows of a fleet's catalog query (see [`CatalogRow`]).
    #[cfg(feature = "cli")]
    pub(crate) fn query_catalog(&mut self, sql: &str) -> Result<Vec<CatalogRow>> {
        each_backend!(self, c => {
            Ok(diesel::sql_query(sql).load(c)?)
        })
    }

    /// Makes `schema` the current schema of this session: the version table,
    /// the ledger and every unqualified name of the migrations then live in
    /// it (PostgreSQL's schema-per-tenant). Refused on other databases, for a
    /// schema that does not exist, and through a transaction pooler, where a
    /// session setting does not hold.
    pub fn use_schema(&mut self, schema: &str) -> Result<()> {
        crate::backend::of(self).use_schema(self, schema)
    }

    /// `SELECT <columns>` for three text columns (the third nullable), an
    /// integer and a nullable text, read by position: the ledger's hot read, several times faster
    /// over a thousand rows than columns looked up by name.
    pub(crate) fn query_slim(&mut self, columns: &str) -> Result<Vec<SlimRow>> {
        #[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
        use diesel::sql_types::{BigInt, Nullable, Text};
        each_backend!(self, c => {
            let q = diesel::select(diesel::dsl::sql::<(Text, Text, Nullable<Text>, BigInt, Nullable<Text>)>(columns));
            Ok(q.load(c)?)
        })
    }

    /// Begins a transaction (a savepoint when one is open). On SQLite it takes
    /// the write lock at once (`BEGIN IMMEDIATE`), so two writers queue instead
    /// of failing when the second tries to upgrade its read lock.
    pub fn begin(&mut self) -> Result<()> {
        match self {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite(c) => {
                let depth = AnsiTransactionManager::transaction_manager_status_mut(c)
                    .transaction_depth()?;
                if depth.is_none() {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
                } else {
                    AnsiTransactionManager::begin_transaction(c)?;
                }
                Ok(())
            }
            #[allow(unreachable_patterns)]
            other => each_backend!(other, c => Ok(AnsiTransactionManager::begin_transaction(c)?)),
        }
    }

    /// Whether the driver follows the server's transaction state by itself,
    /// so that `BEGIN` and `COMMIT` may travel inside a batch of statements
    /// ([`AnyConnection::begin_with`], [`AnyConnection::commit_with`]): true
    /// on PostgreSQL, where libpq reports the state after every query and
    /// diesel takes it over, and where each of them would be a round trip.
    pub(crate) fn folds_transaction_control(&self) -> bool {
        #[cfg(feature = "postgres")]
        if let AnyConnection::Postgres(_) = self {
            return true;
        }
        false
    }

    /// Begins a transaction whose first statements are `sql`, in one round
    /// trip where [`AnyConnection::folds_transaction_control`]. No
    /// transaction is left open after an error: it is rolled back (where the
    /// batch began one the driver does not know of, with a `ROLLBACK` of its
    /// own).
    pub(crate) fn begin_with(&mut self, sql: &str) -> Result<()> {
        #[cfg(feature = "postgres")]
        if let AnyConnection::Postgres(c) = self {
            // Inside a transaction (the caller's) it is a savepoint, as
            // below: never a BEGIN, never a ROLLBACK of the caller's work.
            let outside = AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_none();
            if outside {
                // diesel counts the transaction only when the whole batch
                // ran; a failing statement after the BEGIN leaves the server
                // in an aborted one that diesel does not count.
                return match AnsiTransactionManager::begin_transaction_sql(
                    c,
                    &format!("BEGIN;\n{sql}"),
                ) {
                    Ok(()) => Ok(()),
                    Err(e) => match c.batch_execute("ROLLBACK") {
                        Ok(()) => Err(e.into()),
                        Err(r) => Err(Error::cleanup(e.into(), r.into())),
                    },
                };
            }
        }
        self.begin()?;
        match self.execute(sql) {
            Ok(()) => Ok(()),
            Err(e) => match self.rollback() {
                Ok(()) => Err(e),
                Err(r) => Err(Error::cleanup(e, r)),
            },
        }
    }

    /// Runs `sql`, then commits, in one round trip where
    /// [`AnyConnection::folds_transaction_control`]. After an error in `sql`
    /// the transaction is still open, for the caller to roll back; after a
    /// failed commit none is (the server ended it).
    pub(crate) fn commit_with(&mut self, sql: &str) -> Result<()> {
        #[cfg(feature = "postgres")]
        if let AnyConnection::Postgres(c) = self {
            if AnsiTransactionManager::transaction_manager_status_mut(c)
                .transaction_depth()?
                .is_some_and(|d| d.get() == 1)
            {
                // libpq reports the transaction ended and diesel takes that
                // over: nothing is left to count down.
                c.batch_execute(&format!("{sql};\nCOMMIT"))?;
                return match self.in_transaction()? {
                    false => Ok(()),
                    // A diesel that no longer did so would make the next
                    // BEGIN a savepoint: refused rather than run that way.
                    true => Err(Error::Message(
                        "the PostgreSQL driver still counts a transaction after COMMIT (a diesel this version of migrate does not know)".into(),
                    )),
                };
            }
        }
        self.execute(sql)?;
        self.commit()
    }

    /// Whether a transaction (or savepoint) is open on this connection.
    pub fn in_transaction(&mut self) -> Result<bool> {
        each_backend!(self, c => Ok(AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?.is_some()))
    }

    /// Commits the innermost transaction.
    pub fn commit(&mut self) -> Result<()> {
        each_backend!(self, c => Ok(AnsiTransactionManager::commit_transaction(c)?))
    }

    /// Rolls back the innermost transaction.
    pub fn rollback(&mut self) -> Result<()> {
        each_backend!(self, c => Ok(AnsiTransactionManager::rollback_transaction(c)?))
    }

    /// The SQLite connection, when this is one.
    #[cfg(feature = "sqlite")]
    pub fn sqlite(&mut self) -> Option<&mut diesel::SqliteConnection> {
        #[allow(unreachable_patterns)]
        match self {
            AnyConnection::Sqlite(c) => Some(c),
            _ => None,
        }
    }

    /// The PostgreSQL connection, when this is one.
    #[cfg(feature = "postgres")]
    pub fn postgres(&mut self) -> Option<&mut diesel::PgConnection> {
        #[allow(unreachable_patterns)]
        match self {
            AnyConnection::Postgres(c) => Some(c),
            _ => None,
        }
    }

    /// The MySQL connection, when this is one.
    #[cfg(feature = "mysql")]
    pub fn mysql(&mut self) -> Option<&mut diesel::MysqlConnection> {
        #[allow(unreachable_patterns)]
        match self {
            AnyConnection::Mysql(c) => Some(c),
            _ => None,
        }
    }
}
