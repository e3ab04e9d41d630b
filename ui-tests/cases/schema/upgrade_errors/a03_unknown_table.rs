use migrate_runtime::prelude::*;

#[migration(revision = "a03", down_revision = "a02", message = "unknown table")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("usres", col::<Nullable<Text>>("phone"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
