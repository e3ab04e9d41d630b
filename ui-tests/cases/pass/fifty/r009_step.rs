use migrate_runtime::prelude::*;

#[migration(revision = "r009", down_revision = "r008", message = "step 9")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r009").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r009");
    Ok(())
}
