use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("non_literal_value", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
