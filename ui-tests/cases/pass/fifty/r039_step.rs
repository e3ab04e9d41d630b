use migrate_runtime::prelude::*;

#[migration(revision = "r039", down_revision = "r038", message = "step 39")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r039").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r039");
    Ok(())
}
