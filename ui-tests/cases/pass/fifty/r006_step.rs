use migrate_runtime::prelude::*;

#[migration(revision = "r006", down_revision = "r005", message = "step 6")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r006").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r006");
    Ok(())
}
