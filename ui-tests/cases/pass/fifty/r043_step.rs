use migrate_runtime::prelude::*;

#[migration(revision = "r043", down_revision = "r042", message = "step 43")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r043").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r043");
    Ok(())
}
