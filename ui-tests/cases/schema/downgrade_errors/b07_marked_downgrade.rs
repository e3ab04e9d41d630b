use migrate_runtime::prelude::*;

#[migration(revision = "b07", down_revision = "b06", message = "marked downgrade")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("bio"));
    Ok(())
}

#[downgrade]
fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "boi");
    Ok(())
}
