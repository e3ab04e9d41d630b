use migrate_runtime::prelude::*;

#[migration(revision = "r037", down_revision = "r036", message = "step 37")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r037").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r037");
    Ok(())
}
