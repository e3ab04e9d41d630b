use migrate_runtime::prelude::*;

#[migration(revision = "r014", down_revision = "r013", message = "step 14")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r014").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r014");
    Ok(())
}
