use migrate_runtime::prelude::*;

#[migration(revision = "a07", down_revision = "a06", message = "alter unknown")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.alter_column("users", "nmae").nullable(false);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
