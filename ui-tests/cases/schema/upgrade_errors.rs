//! Each migration names something the schema does not have at its point of
//! the chain, or already has: every error is at the literal.
use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("upgrade_errors", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
