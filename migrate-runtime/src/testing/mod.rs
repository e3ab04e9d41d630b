//! Proving in `cargo test` that every migration goes down and up cleanly.
//!
//! ```
//! # use migrate_runtime::prelude::*;
//! # fn up(op: &mut Op) -> Result<()> { op.create_table("t").column(col::<Integer>("id")); Ok(()) }
//! # fn down(op: &mut Op) -> Result<()> { op.drop_table("t"); Ok(()) }
//! # let chain = Chain::new(vec![Migration::new("a1", None, "t", up, Some(down))]).unwrap();
//! // In a user's tests: one call, on in-memory SQLite.
//! migrate_runtime::testing::RoundTrip::new(&chain).run().unwrap();
//! ```
//!
//! The "stairway": from base, each migration is upgraded, its schema recorded,
//! downgraded (the schema must equal the one before it: no trace left), and
//! upgraded again (the schema must equal the recorded one); then the chain is
//! walked back down to base, checking the schema at every step. A failure names
//! the revision and shows the difference.

use std::collections::HashMap;
use std::fmt;

mod temp_db;

#[cfg(feature = "autogen")]
pub use crate::autogen::Changes;
use crate::chain::Chain;
use crate::db::conn::AnyConnection;
use crate::error::Error;
use crate::error::Result;
use crate::run::executor::{Migrator, DEFAULT_VERSION_TABLE};
pub use crate::schema::live::{ColumnInfo, Schema, TableInfo};
pub use temp_db::TempDatabase;

/// Code run against the live database at a point of the stairway.
pub type Hook = Box<dyn Fn(&mut AnyConnection) -> Result<()>>;

/// Reads the schema of the connection's database (the version table and the
/// ledger left out), in a form that compares across runs and databases: what
/// the round trip compares after every step.
pub fn schema(conn: &mut AnyConnection, version_table: &str) -> Result<Schema> {
    crate::backend::schema(conn, version_table)
}

/// Why a round trip failed. Its `Debug` is its readable message, so that a
/// test's `.unwrap()` shows the differences rather than a struct.
pub struct RoundTripError {
    /// The migration at fault.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// What was being checked.
    pub stage: String,
    /// The schema differences, one per line (empty for an error that is not one).
    pub differences: Vec<String>,
    /// The underlying error, when a migration or a hook failed.
    pub error: Option<Box<Error>>,
}

impl fmt::Display for RoundTripError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "revision {} ({}): {}",
            self.revision, self.message, self.stage
        )?;
        if let Some(e) = &self.error {
            write!(f, ": {e}")?;
        }
        for d in &self.differences {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RoundTripError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for RoundTripError {}

/// A round-trip test of a chain. See the [module docs](self).
pub struct RoundTrip<'a> {
    chain: &'a Chain,
    url: String,
    version_table: String,
    before: HashMap<String, Hook>,
    at: HashMap<String, Hook>,
    column_order: bool,
}

impl<'a> RoundTrip<'a> {
    /// A round trip on a fresh in-memory SQLite database.
    pub fn new(chain: &'a Chain) -> Self {
        RoundTrip {
            chain,
            url: "sqlite://".into(),
            version_table: DEFAULT_VERSION_TABLE.into(),
            before: HashMap::new(),
            at: HashMap::new(),
            column_order: false,
        }
    }

    /// Compares the order of each table's columns too (off by default: a
    /// downgrade that adds back a column dropped from the middle of a table
    /// puts it last, and PostgreSQL cannot reorder columns).
    pub fn column_order(mut self, strict: bool) -> Self {
        self.column_order = strict;
        self
    }

    /// Runs against the (empty) database at `url` instead, e.g. a [`TempDatabase`].
    pub fn on(mut self, url: impl Into<String>) -> Self {
        self.url = url.into();
        self
    }

    /// Uses another version table name.
    pub fn version_table(mut self, name: impl Into<String>) -> Self {
        self.version_table = name.into();
        self
    }

    /// Inserts data just before `revision` is upgraded, to test its data migration
    /// (pytest-alembic's `before_revision_data`).
    pub fn seed_before(
        mut self,
        revision: &str,
        f: impl Fn(&mut AnyConnection) -> Result<()> + 'static,
    ) -> Self {
        self.before.insert(revision.to_owned(), Box::new(f));
        self
    }

    /// Checks the data right after `revision` is upgraded (pytest-alembic's `at_revision_data`).
    pub fn check_at(
        mut self,
        revision: &str,
        f: impl Fn(&mut AnyConnection) -> Result<()> + 'static,
    ) -> Self {
        self.at.insert(revision.to_owned(), Box::new(f));
        self
    }

    /// Walks the stairway; `Err` names the first migration that does not round-trip.
    pub fn run(self) -> std::result::Result<(), RoundTripError> {
        let ms = self.chain.migrations();
        let fail = |i: usize, stage: &str, differences: Vec<String>, error: Option<Error>| {
            RoundTripError {
                revision: ms.get(i).map_or("<base>", |m| m.revision()).to_owned(),
                message: ms.get(i).map_or("", |m| m.message()).to_owned(),
                stage: stage.to_owned(),
                differences,
                error: error.map(Box::new),
            }
        };
        let mut conn = AnyConnection::establish(&self.url)
            .map_err(|e| fail(0, "cannot open the test database", Vec::new(), Some(e)))?;
        let mut m = Migrator::new(self.chain).version_table(&self.version_table);
        let schema = |conn: &mut AnyConnection, i: usize, stage: &str| {
            schema(conn, &self.version_table).map_err(|e| fail(i, stage, Vec::new(), Some(e)))
        };
        let same = |i: usize, stage: &str, got: &Schema, want: &Schema| {
            let diff = got.diff_with(want, self.column_order);
            if diff.is_empty() {
                Ok(())
            } else {
                Err(fail(i, stage, diff, None))
            }
        };
        if m.current(&mut conn)
            .map_err(|e| fail(0, "reading the version", Vec::new(), Some(e)))?
            .is_some()
        {
            return Err(fail(
                0,
                "the test database must start empty",
                Vec::new(),
                None,
            ));
        }
        let mut schemas = vec![schema(&mut conn, 0, "reading the empty schema")?];
        for (i, mig) in ms.iter().enumerate() {
            let target = mig.revision();
            if let Some(seed) = self.before.get(target) {
                seed(&mut conn)
                    .map_err(|e| fail(i, "seeding data before the upgrade", Vec::new(), Some(e)))?;
            }
            m.upgrade(&mut conn, target)
                .map_err(|e| fail(i, "upgrade failed", Vec::new(), Some(e)))?;
            let up = schema(&mut conn, i, "reading the schema after the upgrade")?;
            if let Some(check) = self.at.get(target) {
                check(&mut conn)
                    .map_err(|e| fail(i, "checking data after the upgrade", Vec::new(), Some(e)))?;
            }
            if mig.is_reversible() {
                m.downgrade(&mut conn, "-1")
                    .map_err(|e| fail(i, "downgrade failed", Vec::new(), Some(e)))?;
                let down = schema(&mut conn, i, "reading the schema after the downgrade")?;
                same(
                    i,
                    "the downgrade left the schema different from before the upgrade",
                    &down,
                    &schemas[i],
                )?;
                m.upgrade(&mut conn, target)
                    .map_err(|e| fail(i, "upgrade after downgrade failed", Vec::new(), Some(e)))?;
                let again = schema(&mut conn, i, "reading the schema after upgrading again")?;
                same(i, "upgrading again gave a different schema", &again, &up)?;
            }
            schemas.push(up);
        }
        // Back down to base, one step at a time, as far as the chain is reversible.
        for i in (0..ms.len()).rev() {
            if !ms[i].is_reversible() {
                break;
            }
            m.downgrade(&mut conn, "-1")
                .map_err(|e| fail(i, "downgrade to base failed", Vec::new(), Some(e)))?;
            let down = schema(&mut conn, i, "reading the schema on the way to base")?;
            same(
                i,
                "on the way down to base, the downgrade left the schema different",
                &down,
                &schemas[i],
            )?;
        }
        Ok(())
    }
}

#[cfg(feature = "autogen")]
/// Upgrades the (empty or behind) database at `url` to head and checks that its
/// schema matches diesel's `table!` declarations in `schema_rs` (the text of
/// `src/schema.rs`): pytest-alembic's `test_model_definitions_match_ddl`.
///
/// ```
/// # use migrate_runtime::prelude::*;
/// # fn up(op: &mut Op) -> Result<()> { op.create_table("users").column(col::<Integer>("id").primary_key()); Ok(()) }
/// # let chain = Chain::new(vec![Migration::new("a1", None, "users", up, None)]).unwrap();
/// // In a user's test: include_str!("../src/schema.rs")
/// let schema_rs = "diesel::table! { users (id) { id -> Integer, } }";
/// migrate_runtime::testing::models_match(&chain, schema_rs, "sqlite://").unwrap();
/// let drifted = "diesel::table! { users (id) { id -> Integer, name -> Text, } }";
/// assert!(migrate_runtime::testing::models_match(&chain, drifted, "sqlite://").is_err());
/// ```
pub fn models_match(chain: &Chain, schema_rs: &str, url: &str) -> Result<()> {
    let changes = autogenerate(chain, schema_rs, url)?;
    if changes.is_empty() {
        Ok(())
    } else {
        Err(Error::ModelsDiffer(changes.summary))
    }
}

#[cfg(feature = "autogen")]
/// Upgrades the database at `url` to head and returns what `migrate revision
/// --autogenerate` would write for it against diesel's `table!` declarations in
/// `schema_rs`: the code of the upgrade and of the downgrade, and the summary
/// `check` prints. A test can assert on the migration autogenerate writes
/// without writing a file.
///
/// ```
/// # use migrate_runtime::prelude::*;
/// # fn up(op: &mut Op) -> Result<()> { op.create_table("users").column(col::<Integer>("id").primary_key()); Ok(()) }
/// # let chain = Chain::new(vec![Migration::new("a1", None, "users", up, None)]).unwrap();
/// let schema_rs = "diesel::table! { users (id) { id -> Integer, name -> Nullable<Text>, } }";
/// let changes = migrate_runtime::testing::autogenerate(&chain, schema_rs, "sqlite://").unwrap();
/// assert_eq!(changes.summary, ["add column users.name"]);
/// assert_eq!(changes.downgrade, [r#"op.drop_column("users", "name");"#]);
/// ```
pub fn autogenerate(chain: &Chain, schema_rs: &str, url: &str) -> Result<Changes> {
    let models = crate::autogen::parse_models(schema_rs)?;
    let mut conn = AnyConnection::establish(url)?;
    Migrator::new(chain).upgrade(&mut conn, "head")?;
    let db = schema(&mut conn, DEFAULT_VERSION_TABLE)?;
    Ok(crate::autogen::diff(conn.dialect(), &models, &db, &[]))
}

/// Fails when the linter ([`crate::lint`]) finds anything not reviewed in
/// `chain`'s upgrades, on any of the three dialects: put it in `cargo test` so
/// that a risky migration is reviewed before it merges.
///
/// ```
/// use migrate_runtime::prelude::*;
/// fn up(op: &mut Op) -> Result<()> {
///     op.create_table("users").column(col::<Integer>("id").primary_key());
///     Ok(())
/// }
/// fn drop_it(op: &mut Op) -> Result<()> {
///     op.drop_table("users");
///     Ok(())
/// }
/// let safe = Chain::new(vec![Migration::new("a1", None, "users", up, None)])?;
/// migrate_runtime::testing::lint(&safe)?;
/// let risky = Chain::new(vec![
///     Migration::new("a1", None, "users", up, None),
///     Migration::new("a2", Some("a1"), "drop", drop_it, None),
/// ])?;
/// assert!(migrate_runtime::testing::lint(&risky).is_err());
/// # Ok::<(), migrate_runtime::Error>(())
/// ```
pub fn lint(chain: &Chain) -> Result<()> {
    if chain.is_empty() {
        return Ok(());
    }
    let findings = crate::run::lint::lint(chain, 0..=chain.len() - 1, &crate::Dialect::ALL)?;
    let open: Vec<String> = findings
        .iter()
        .filter(|f| f.reviewed.is_none())
        .map(ToString::to_string)
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(Error::Lint(open))
    }
}
