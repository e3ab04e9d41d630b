use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None, irreversible)]
fn upgrade(op: &mut Op) {
    op.drop_table("t");
}
