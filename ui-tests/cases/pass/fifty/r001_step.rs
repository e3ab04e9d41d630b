use migrate_runtime::prelude::*;

#[migration(revision = "r001", down_revision = "r000", message = "step 1")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r001").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r001");
    Ok(())
}
