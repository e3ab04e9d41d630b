use migrate_runtime::prelude::*;

#[migration(revision = "b02", down_revision = "b01", message = "leaves column")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("phone"));
    op.add_column("users", col::<Nullable<Text>>("fax"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Forgets the first column it added.
    op.drop_column("users", "fax");
    Ok(())
}
