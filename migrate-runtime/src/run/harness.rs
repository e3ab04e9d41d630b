//! The chain as a diesel_migrations source (feature `diesel-migrations`):
//! `conn.run_pending_migrations(&MIGRATIONS)` and `revert_last_migration`
//! through diesel's `MigrationHarness`.
//!
//! diesel hands a migration nothing but a connection to send SQL on, so each
//! migration is rendered by the offline sink (`run/offline.rs`, the script of
//! `upgrade --sql`, with the schema the chain's own operations build) and its
//! statements are sent one by one; the version table, the ledger and the run
//! lock are not involved. What that cannot do is refused or documented on
//! [`Chain`]'s implementation.
//!
//! The version diesel records for a migration is its position, from 1, in six
//! digits, then `_` and its revision (`000002_a1b2c3d4e5f6`, see
//! `run/diesel.rs`): diesel orders pending migrations and picks the one to
//! revert by comparing versions as strings. Before a migration runs, the rows
//! diesel has are checked (on diesel's own connection, or r2d2's pooled one;
//! through any other connection type, such as diesel-async's
//! `AsyncConnectionWrapper`, the table cannot be read here: the checks are
//! skipped and a warning says so once): a
//! version of ours (`alembic_version`) means `migrate` manages the database;
//! a revision applied at another position, or one applied above this one,
//! means the chain changed below what the database has, which the harness
//! would apply out of order. A row holding the revision itself is a migration
//! diesel applied from the directory `migrate import diesel` read: it is not
//! run again, and its row gives way to the harness's: left there, diesel's
//! dated version (`20240101120000`) would sort above every harness version,
//! and `revert_last_migration` would pick it and fail on a version its source
//! does not have. The imported directory replaces diesel's own from then on.

use std::any::Any;
use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::rc::Rc;

use diesel::backend::Backend as DieselBackend;
use diesel::connection::BoxableConnection;
use diesel::migration::{
    self, Migration as DieselMigration, MigrationMetadata, MigrationName, MigrationSource,
    MigrationVersion,
};

use super::diesel::{harness_version, parse_harness_version, MAX_HARNESS_CHAIN, TABLE};
use super::executor::Direction;
use super::offline::{caller_transaction, Cursor};
use super::step::failure;
use crate::backend;
use crate::chain::Chain;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::sql::version::DEFAULT_VERSION_TABLE;

/// What the migrations of one `migrations()` call share: the chain and the
/// schema model the offline sink renders against, moving forward as the
/// harness applies them in order.
struct Shared {
    chain: Chain,
    dialect: Dialect,
    cursor: RefCell<Cursor>,
    /// Whether the warning for a connection that cannot be read was given.
    warned: std::cell::Cell<bool>,
}

/// One migration of the chain, as diesel sees it.
struct Harnessed {
    shared: Rc<Shared>,
    index: usize,
    name: Name,
    meta: OnceCell<Meta>,
}

/// Its name: the version diesel records, and what diesel prints.
struct Name {
    version: String,
    label: String,
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

impl MigrationName for Name {
    fn version(&self) -> MigrationVersion<'_> {
        MigrationVersion::from(self.version.as_str())
    }
}

/// Whether diesel wraps the migration in a transaction.
struct Meta {
    in_transaction: bool,
}

impl MigrationMetadata for Meta {
    fn run_in_transaction(&self) -> bool {
        self.in_transaction
    }
}

/// The chain's migrations for diesel, rendered for `dialect`.
fn source(chain: &Chain, dialect: Dialect) -> Result<Vec<Harnessed>> {
    if chain.len() > MAX_HARNESS_CHAIN {
        return Err(Error::Chain(format!(
            "diesel's MigrationHarness orders migrations by a position of six digits, and this chain has {} migrations",
            chain.len()
        )));
    }
    let shared = Rc::new(Shared {
        chain: chain.clone(),
        dialect,
        cursor: RefCell::new(Cursor::default()),
        warned: std::cell::Cell::new(false),
    });
    Ok(chain
        .migrations()
        .iter()
        .enumerate()
        .map(|(index, m)| {
            let version = harness_version(index, m.revision());
            Harnessed {
                shared: shared.clone(),
                index,
                name: Name {
                    label: format!("{version} ({})", m.message()),
                    version,
                },
                meta: OnceCell::new(),
            }
        })
        .collect())
}

/// A connection of r2d2's pool, as diesel's `r2d2` module hands it out.
type Pooled<C> = diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<C>>;

/// The rows of a text query on diesel's own connection behind `conn`, which
/// is that connection or r2d2's pooled one; `None` for any other type (a
/// wrapper of the service's own), which cannot be read here.
fn read(conn: &mut dyn Any, sql: &str) -> Option<Result<Vec<Option<String>>>> {
    /// Tries `conn` as each of these connection types in turn.
    macro_rules! as_one_of {
        ($($feature:literal: $conn:ty),*) => {$(
            #[cfg(feature = $feature)]
            if let Some(c) = conn.downcast_mut::<$conn>() {
                return Some(crate::db::conn::query_text_on(c, sql));
            }
            #[cfg(feature = $feature)]
            if let Some(c) = conn.downcast_mut::<Pooled<$conn>>() {
                return Some(crate::db::conn::query_text_on(&mut **c, sql));
            }
        )*};
    }
    as_one_of!(
        "sqlite": diesel::SqliteConnection,
        "postgres": diesel::PgConnection,
        "mysql": diesel::MysqlConnection
    );
    let _ = (conn, sql);
    None
}

/// What the rows diesel has say about applying a migration.
enum Before {
    /// Run it.
    Run,
    /// diesel applied it from the imported directory, under this version:
    /// its row gives way to the harness's, nothing runs.
    Adopt(String),
}

impl Harnessed {
    fn meta(&self) -> &Meta {
        self.meta.get_or_init(|| {
            let m = &self.shared.chain.migrations()[self.index];
            Meta {
                // A migration that cannot be recorded fails when it runs,
                // with its own error; until then a transaction is the safe answer.
                in_transaction: caller_transaction(m, self.shared.dialect).unwrap_or(true),
            }
        })
    }

    /// Checks the database before an upgrade (see the module's docs).
    fn before_upgrade(&self, conn: &mut dyn Any) -> Result<Before> {
        let chain = &self.shared.chain;
        let m = &chain.migrations()[self.index];
        let b = backend::for_dialect(self.shared.dialect);
        let managed = match read(conn, &b.table_exists_query(DEFAULT_VERSION_TABLE)) {
            None => {
                // diesel-async's wrapper, a MultiConnection: refusing would
                // leave them no way to run the chain through diesel at all.
                if !self.shared.warned.replace(true) {
                    crate::run::startup::report(
                        log::Level::Warn,
                        "diesel's MigrationHarness was given a connection type the chain cannot read __diesel_schema_migrations through (it reads diesel's SqliteConnection, PgConnection, MysqlConnection and r2d2's PooledConnection of them): its checks (that migrate does not manage the database, that the chain was not reordered) are skipped",
                    );
                }
                return Ok(Before::Run);
            }
            Some(rows) => !rows?.is_empty(),
        };
        if managed {
            return Err(Error::HarnessManaged {
                table: DEFAULT_VERSION_TABLE.to_owned(),
            });
        }
        let sql = format!(
            "SELECT {} AS v FROM {}",
            b.text("version"),
            b.dialect().quote_ident(TABLE)
        );
        // The first read found diesel's own connection: so does this one.
        let versions = read(conn, &sql).unwrap_or(Ok(Vec::new()))?;
        let order = |reason: String| Error::HarnessOrder {
            revision: m.revision().to_owned(),
            reason,
        };
        // diesel's own versions: the revisions `import diesel` made of them,
        // at their places in the chain. All are gathered before any is
        // judged, since diesel applied several of them before this one.
        let mut native: Vec<(usize, String)> = Vec::new();
        for v in versions.into_iter().flatten() {
            match parse_harness_version(&v) {
                Some((_, rev)) if rev == m.revision() => {
                    return Err(order(format!(
                        "{TABLE} records it as {v}, at another place in the chain than its place now (number {})",
                        self.index + 1
                    )))
                }
                Some((at, _)) if at >= self.index => {
                    return Err(order(format!(
                        "{TABLE} records {v}, which comes after it in the chain: it would be applied out of order"
                    )))
                }
                Some(_) => {}
                // A version of no revision: diesel's own harness ignores those.
                None => {
                    if let Some(p) = chain.position_of(&v) {
                        native.push((p, v));
                    }
                }
            }
        }
        if let Some((_, v)) = native.iter().find(|(p, _)| *p == self.index) {
            return Ok(Before::Adopt(v.clone()));
        }
        // diesel applied a migration above this one but not this one: a gap
        // that running it now would fill out of order.
        if let Some((_, v)) = native.iter().filter(|(p, _)| *p > self.index).min() {
            return Err(order(format!(
                "{TABLE} records {v}, which comes after it in the chain: it would be applied out of order"
            )));
        }
        Ok(Before::Run)
    }

    fn apply<DB: DieselBackend>(
        &self,
        conn: &mut dyn BoxableConnection<DB>,
        direction: Direction,
    ) -> Result<()> {
        let chain = &self.shared.chain;
        let m = &chain.migrations()[self.index];
        if direction == Direction::Upgrade {
            let any: &mut dyn Any = &mut *conn;
            if let Before::Adopt(version) = self.before_upgrade(any)? {
                // Replaced by the harness's row, which diesel writes when
                // this returns (see the module's docs for why not both).
                let d = self.shared.dialect;
                conn.batch_execute(&format!(
                    "DELETE FROM {} WHERE version = {}",
                    d.quote_ident(TABLE),
                    d.quote_str(&version)
                ))?;
                return Ok(());
            }
        }
        let statements = self.shared.cursor.borrow_mut().statements(
            chain,
            self.shared.dialect,
            (self.index, direction),
        )?;
        let total = statements.len();
        for (i, s) in statements.iter().enumerate() {
            // One statement at a time: PostgreSQL runs a string of several in
            // one implicit transaction, where CREATE INDEX CONCURRENTLY fails.
            conn.batch_execute(s).map_err(|e| {
                let first = s.lines().next().unwrap_or_default();
                failure(
                    m,
                    direction,
                    i + 1,
                    total,
                    format!("statement `{first}`"),
                    Error::Database(e),
                )
            })?;
        }
        Ok(())
    }
}

macro_rules! harness_for {
    ($feature:literal, $db:ty, $dialect:expr) => {
        /// diesel's `MigrationHarness` runs the chain: see [`Chain`] for what it can and cannot do.
        #[cfg(feature = $feature)]
        impl MigrationSource<$db> for Chain {
            fn migrations(&self) -> migration::Result<Vec<Box<dyn DieselMigration<$db>>>> {
                Ok(source(self, $dialect)?
                    .into_iter()
                    .map(|m| Box::new(m) as Box<dyn DieselMigration<$db>>)
                    .collect())
            }
        }

        /// The same, for `conn.run_pending_migrations(&MIGRATIONS)` on a `static` chain.
        #[cfg(feature = $feature)]
        impl MigrationSource<$db> for &Chain {
            fn migrations(&self) -> migration::Result<Vec<Box<dyn DieselMigration<$db>>>> {
                <Chain as MigrationSource<$db>>::migrations(self)
            }
        }

        #[cfg(feature = $feature)]
        impl DieselMigration<$db> for Harnessed {
            fn run(&self, conn: &mut dyn BoxableConnection<$db>) -> migration::Result<()> {
                Ok(self.apply(conn, Direction::Upgrade)?)
            }

            fn revert(&self, conn: &mut dyn BoxableConnection<$db>) -> migration::Result<()> {
                Ok(self.apply(conn, Direction::Downgrade)?)
            }

            fn metadata(&self) -> &dyn MigrationMetadata {
                self.meta()
            }

            fn name(&self) -> &dyn MigrationName {
                &self.name
            }
        }
    };
}

harness_for!("sqlite", diesel::sqlite::Sqlite, Dialect::Sqlite);
harness_for!("postgres", diesel::pg::Pg, Dialect::Postgres);
harness_for!("mysql", diesel::mysql::Mysql, Dialect::Mysql);
