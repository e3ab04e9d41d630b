use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("long_names", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
