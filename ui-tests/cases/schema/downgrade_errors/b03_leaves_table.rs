use migrate_runtime::prelude::*;

#[migration(revision = "b03", down_revision = "b02", message = "leaves table")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("posts").column(col::<Integer>("id"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Forgets the table.
    op.drop_index_if_exists("ix_none", "users");
    Ok(())
}
