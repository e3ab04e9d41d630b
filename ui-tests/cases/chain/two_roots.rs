use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("two_roots", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
