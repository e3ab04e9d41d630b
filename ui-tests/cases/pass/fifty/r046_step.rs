use migrate_runtime::prelude::*;

#[migration(revision = "r046", down_revision = "r045", message = "step 46")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r046").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r046");
    Ok(())
}
