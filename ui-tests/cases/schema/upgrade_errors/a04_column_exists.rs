use migrate_runtime::prelude::*;

#[migration(revision = "a04", down_revision = "a03", message = "column exists")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("name"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
