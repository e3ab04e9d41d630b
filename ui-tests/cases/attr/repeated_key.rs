use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("repeated_key", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
