use migrate_runtime::prelude::*;

#[migration(revision = "r042", down_revision = "r041", message = "step 42")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r042").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r042");
    Ok(())
}
