use migrate_runtime::prelude::*;

#[migration(revision = "r024", down_revision = "r023", message = "step 24")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r024").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r024");
    Ok(())
}
