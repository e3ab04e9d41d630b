use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("file_prefix_mismatch", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
