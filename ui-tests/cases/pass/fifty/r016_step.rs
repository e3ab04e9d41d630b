use migrate_runtime::prelude::*;

#[migration(revision = "r016", down_revision = "r015", message = "step 16")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r016").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r016");
    Ok(())
}
