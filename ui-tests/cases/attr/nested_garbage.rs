use migrate_runtime::prelude::*;

static MIGRATIONS: Chain = embed_migrations!("nested_garbage", relative_to = file);

fn main() {
    let _ = &MIGRATIONS;
}
