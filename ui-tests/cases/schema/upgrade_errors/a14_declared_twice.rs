use migrate_runtime::prelude::*;

#[migration(revision = "a14", down_revision = "a13", message = "declared twice")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("tags")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("label"))
        .column(col::<Text>("label"))
        .primary_key(["id", "lable"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("tags");
    Ok(())
}
