use migrate_runtime::prelude::*;

#[migration(revision = "r005", down_revision = "r004", message = "step 5")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r005").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r005");
    Ok(())
}
