use migrate_runtime::prelude::*;

#[migration(revision = "r015", down_revision = "r014", message = "step 15")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r015").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r015");
    Ok(())
}
