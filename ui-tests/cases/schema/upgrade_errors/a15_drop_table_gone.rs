use migrate_runtime::prelude::*;

#[migration(revision = "a15", down_revision = "a14", message = "drop table gone")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.drop_table("post");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
