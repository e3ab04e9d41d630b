use migrate_runtime::prelude::*;

#[migration(revision = "r028", down_revision = "r027", message = "step 28")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r028").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r028");
    Ok(())
}
