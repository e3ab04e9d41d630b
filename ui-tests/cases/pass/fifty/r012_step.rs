use migrate_runtime::prelude::*;

#[migration(revision = "r012", down_revision = "r011", message = "step 12")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r012").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r012");
    Ok(())
}
