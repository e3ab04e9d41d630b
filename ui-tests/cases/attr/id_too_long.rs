use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("id_too_long", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
