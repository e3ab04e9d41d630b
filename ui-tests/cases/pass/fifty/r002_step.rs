use migrate_runtime::prelude::*;

#[migration(revision = "r002", down_revision = "r001", message = "step 2")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r002").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r002");
    Ok(())
}
