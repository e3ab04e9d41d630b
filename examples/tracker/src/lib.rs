//! The tracker service's schema and its migrations.

pub mod schema;

use migrate_runtime::Chain;

/// Every migration in `migrations/`, verified by the compiler, base to head.
pub static MIGRATIONS: Chain = migrate_runtime::embed_migrations!("migrations");
