use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("duplicate_revision", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
