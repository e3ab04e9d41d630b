use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("wrong_value_type", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
