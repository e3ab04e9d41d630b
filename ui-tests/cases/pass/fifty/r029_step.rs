use migrate_runtime::prelude::*;

#[migration(revision = "r029", down_revision = "r028", message = "step 29")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r029").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r029");
    Ok(())
}
