use migrate_runtime::prelude::*;

#[migration(revision = "r036", down_revision = "r035", message = "step 36")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r036").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r036");
    Ok(())
}
