use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("bad_id_characters", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
