use migrate_runtime::prelude::*;

#[migration(revision = "a06", down_revision = "a05", message = "rename onto")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.rename_table("posts", "users");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
