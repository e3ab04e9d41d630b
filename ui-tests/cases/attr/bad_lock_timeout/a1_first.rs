use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None, lock_timeout = "10 seconds")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_a1").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_a1");
    Ok(())
}
