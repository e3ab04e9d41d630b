//! Compile-time verified database migrations in Alembic's words.
//!
//! Each migration is one file, `migrations/<revision>_<slug>.rs`:
//!
//! ```ignore
//! use migrate_runtime::prelude::*;
//!
//! /// add email to users
//! #[migration(revision = "a1b2c3d4e5f6", down_revision = "7f71d8f421e3")]
//! fn upgrade(op: &mut Op) -> Result<()> {
//!     op.add_column("users", col::<Nullable<Text>>("email"));
//!     op.create_unique_constraint("uq_users_email", "users", ["email"]);
//!     Ok(())
//! }
//!
//! #[downgrade]
//! fn downgrade(op: &mut Op) -> Result<()> {
//!     op.drop_constraint("uq_users_email", "users", ConstraintKind::Unique);
//!     op.drop_column("users", "email");
//!     Ok(())
//! }
//! ```
//!
//! and the crate gathers them into one chain that the compiler verifies (a fork,
//! a dangling `down_revision` or a duplicate id is a compile error):
//!
//! ```ignore
//! pub static MIGRATIONS: migrate_runtime::Chain = migrate_runtime::embed_migrations!("migrations");
//! ```
//!
//! plus a `build.rs` with `println!("cargo:rerun-if-changed=migrations");` so that
//! adding a file rebuilds the chain. The [`cli`] module gives the `migrate`
//! command; [`Migrator`] applies migrations from a service at start-up.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "autogen")]
mod autogen;
mod backend;
mod chain;
#[cfg(feature = "cli")]
pub mod cli;
mod clock;
mod db;
mod dialect;
mod error;
#[cfg(any(doc, doctest, test))]
pub mod guide;
pub mod ops;
mod progress;
mod run;
mod schema;
mod sql;
mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;

pub use chain::{Chain, Migration, MigrationFn};
pub use db::conn::AnyConnection;
pub use db::env::database_url;
pub use dialect::Dialect;
pub use error::{Error, HalfApplied, Result};
pub use migrate_macros::{downgrade, embed_migrations, migration};
pub use run::executor::{
    Direction, Migrator, Step, DEFAULT_LOCK_RETRIES, DEFAULT_LOCK_TIMEOUT, DEFAULT_LOCK_WAIT,
    DEFAULT_VERSION_TABLE,
};
pub use run::ledger::{LedgerEntry, LedgerState};
pub use run::lint::{lint, Finding};
pub use run::preview::{Plan, PlannedMigration, PlannedStep};
pub use run::startup::{upgrade_to_head, Startup};

/// What a migration file needs: `use migrate_runtime::prelude::*;`.
pub mod prelude {
    pub use crate::chain::{Chain, Migration};
    pub use crate::db::conn::AnyConnection;
    pub use crate::dialect::Dialect;
    pub use crate::error::{Error, Result};
    pub use crate::ops::types::*;
    pub use crate::ops::value::Value;
    pub use crate::ops::{col, Action, Column, ConstraintKind, ForeignKey, Op};
    pub use crate::row;
    pub use migrate_macros::{downgrade, embed_migrations, migration};
}

/// Sends a progress line from inside a data step (`op.run`) to the running
/// migrator's [`Migrator::on_progress`] (the CLI prints it): a long data step
/// says how far it is. [`ops::Op::run_in_batches`] reports by itself. Outside
/// a run it does nothing.
pub fn progress(line: &str) {
    progress::report(line);
}

#[doc(hidden)]
pub mod __private {
    //! Paths used by generated code; not public API.
    pub use crate::chain::{Chain, Migration, MigrationFn};
    pub use migrate_macros::{__row, __schema_error};
}
