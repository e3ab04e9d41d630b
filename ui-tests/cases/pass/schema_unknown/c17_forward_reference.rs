use migrate_runtime::prelude::*;

#[migration(revision = "c17", down_revision = "c16", message = "forward reference")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("replies")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Integer>("thread_id").references("threads", "id"));
    op.create_table("threads").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("replies");
    op.drop_table("threads");
    Ok(())
}
