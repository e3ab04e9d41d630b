use migrate_runtime::prelude::*;

#[migration(revision = "r048", down_revision = "r047", message = "step 48")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r048").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r048");
    Ok(())
}
