use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("no_migration_attribute", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
