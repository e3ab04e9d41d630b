use migrate_runtime::prelude::*;

#[migration(revision = "a08", down_revision = "a07", message = "rename column onto")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.alter_column("users", "name").rename_to("email");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
