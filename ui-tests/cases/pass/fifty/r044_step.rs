use migrate_runtime::prelude::*;

#[migration(revision = "r044", down_revision = "r043", message = "step 44")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r044").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r044");
    Ok(())
}
