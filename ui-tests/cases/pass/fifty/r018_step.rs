use migrate_runtime::prelude::*;

#[migration(revision = "r018", down_revision = "r017", message = "step 18")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r018").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r018");
    Ok(())
}
