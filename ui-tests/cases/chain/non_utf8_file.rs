use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("non_utf8_file", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
