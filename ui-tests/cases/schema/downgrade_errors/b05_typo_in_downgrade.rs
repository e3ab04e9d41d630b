use migrate_runtime::prelude::*;

#[migration(revision = "b05", down_revision = "b04", message = "typo in downgrade")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("nickname"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "nikname");
    Ok(())
}
