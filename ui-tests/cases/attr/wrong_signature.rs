use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("wrong_signature", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
