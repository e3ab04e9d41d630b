use migrate_runtime::prelude::*;

#[migration(revision = "a02", down_revision = "a01", message = "drop column typo")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "emial");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
