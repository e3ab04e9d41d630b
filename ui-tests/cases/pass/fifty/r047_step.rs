use migrate_runtime::prelude::*;

#[migration(revision = "r047", down_revision = "r046", message = "step 47")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r047").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r047");
    Ok(())
}
