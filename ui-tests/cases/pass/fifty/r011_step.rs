use migrate_runtime::prelude::*;

#[migration(revision = "r011", down_revision = "r010", message = "step 11")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r011").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r011");
    Ok(())
}
