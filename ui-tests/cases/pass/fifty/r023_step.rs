use migrate_runtime::prelude::*;

#[migration(revision = "r023", down_revision = "r022", message = "step 23")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r023").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r023");
    Ok(())
}
