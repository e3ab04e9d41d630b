use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("unknown_down_revision", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
