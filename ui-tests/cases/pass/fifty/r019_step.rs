use migrate_runtime::prelude::*;

#[migration(revision = "r019", down_revision = "r018", message = "step 19")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r019").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r019");
    Ok(())
}
