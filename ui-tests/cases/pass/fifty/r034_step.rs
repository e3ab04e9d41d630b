use migrate_runtime::prelude::*;

#[migration(revision = "r034", down_revision = "r033", message = "step 34")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r034").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r034");
    Ok(())
}
