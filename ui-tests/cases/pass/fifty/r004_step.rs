use migrate_runtime::prelude::*;

#[migration(revision = "r004", down_revision = "r003", message = "step 4")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r004").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r004");
    Ok(())
}
