use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("fork", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
