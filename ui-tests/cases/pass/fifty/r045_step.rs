use migrate_runtime::prelude::*;

#[migration(revision = "r045", down_revision = "r044", message = "step 45")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r045").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r045");
    Ok(())
}
