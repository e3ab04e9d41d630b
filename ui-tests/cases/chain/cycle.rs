use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("cycle", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
