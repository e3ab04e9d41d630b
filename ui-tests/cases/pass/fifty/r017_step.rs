use migrate_runtime::prelude::*;

#[migration(revision = "r017", down_revision = "r016", message = "step 17")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r017").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r017");
    Ok(())
}
