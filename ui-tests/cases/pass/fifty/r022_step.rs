use migrate_runtime::prelude::*;

#[migration(revision = "r022", down_revision = "r021", message = "step 22")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r022").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r022");
    Ok(())
}
