use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("no_first_migration", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
