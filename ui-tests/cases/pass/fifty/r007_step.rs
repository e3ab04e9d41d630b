use migrate_runtime::prelude::*;

#[migration(revision = "r007", down_revision = "r006", message = "step 7")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r007").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r007");
    Ok(())
}
