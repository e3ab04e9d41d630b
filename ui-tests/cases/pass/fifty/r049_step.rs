use migrate_runtime::prelude::*;

#[migration(revision = "r049", down_revision = "r048", message = "step 49")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r049").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r049");
    Ok(())
}
