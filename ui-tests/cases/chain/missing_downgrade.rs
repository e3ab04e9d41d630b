use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("missing_downgrade", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
