use migrate_runtime::prelude::*;

#[migration(revision = "a05", down_revision = "a04", message = "table exists")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("posts").column(col::<Integer>("id"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
