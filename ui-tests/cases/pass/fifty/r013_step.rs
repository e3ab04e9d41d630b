use migrate_runtime::prelude::*;

#[migration(revision = "r013", down_revision = "r012", message = "step 13")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r013").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r013");
    Ok(())
}
