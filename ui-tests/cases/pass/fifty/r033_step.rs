use migrate_runtime::prelude::*;

#[migration(revision = "r033", down_revision = "r032", message = "step 33")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r033").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r033");
    Ok(())
}
