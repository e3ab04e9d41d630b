use migrate_runtime::prelude::*;

#[migration(revision = "b01", down_revision = None, message = "create")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("email"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
