//! `#[downgrade]` with arguments, on another function, on something else.
use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("downgrade_misused", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
