use migrate_runtime::prelude::*;

#[migration(revision = "r025", down_revision = "r024", message = "step 25")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r025").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r025");
    Ok(())
}
