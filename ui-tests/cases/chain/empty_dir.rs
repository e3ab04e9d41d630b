use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("empty_dir", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
