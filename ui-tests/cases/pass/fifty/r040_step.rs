use migrate_runtime::prelude::*;

#[migration(revision = "r040", down_revision = "r039", message = "step 40")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r040").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r040");
    Ok(())
}
