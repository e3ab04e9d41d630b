use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("down_revision_some", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
