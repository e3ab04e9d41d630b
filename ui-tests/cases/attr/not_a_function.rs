use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("not_a_function", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
