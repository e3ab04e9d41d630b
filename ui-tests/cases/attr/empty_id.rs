use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("empty_id", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
