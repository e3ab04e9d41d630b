use migrate_runtime::prelude::*;

#[migration(revision = "r030", down_revision = "r029", message = "step 30")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r030").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r030");
    Ok(())
}
