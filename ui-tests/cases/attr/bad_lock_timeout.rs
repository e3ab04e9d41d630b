use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("bad_lock_timeout", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
