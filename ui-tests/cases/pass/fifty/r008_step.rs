use migrate_runtime::prelude::*;

#[migration(revision = "r008", down_revision = "r007", message = "step 8")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r008").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r008");
    Ok(())
}
