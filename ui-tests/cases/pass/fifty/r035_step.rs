use migrate_runtime::prelude::*;

#[migration(revision = "r035", down_revision = "r034", message = "step 35")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r035").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r035");
    Ok(())
}
