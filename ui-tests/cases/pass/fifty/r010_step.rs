use migrate_runtime::prelude::*;

#[migration(revision = "r010", down_revision = "r009", message = "step 10")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r010").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r010");
    Ok(())
}
