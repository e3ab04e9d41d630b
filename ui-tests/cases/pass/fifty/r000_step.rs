use migrate_runtime::prelude::*;

#[migration(revision = "r000", down_revision = None, message = "step 0")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r000").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r000");
    Ok(())
}
