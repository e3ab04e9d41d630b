use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("two_migrations_in_one_file", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
