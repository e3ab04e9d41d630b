use migrate_runtime::prelude::*;

#[migration(revision = "r031", down_revision = "r030", message = "step 31")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r031").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r031");
    Ok(())
}
