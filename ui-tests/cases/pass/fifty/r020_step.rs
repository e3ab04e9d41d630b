use migrate_runtime::prelude::*;

#[migration(revision = "r020", down_revision = "r019", message = "step 20")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r020").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r020");
    Ok(())
}
