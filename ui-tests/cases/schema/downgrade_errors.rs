//! Downgrades that do not undo their upgrade (a table, a column, a column's
//! type, nullability or default), named at the revision; a name
//! that is not there in a downgrade, named at the collector with its place.
use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("downgrade_errors", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
