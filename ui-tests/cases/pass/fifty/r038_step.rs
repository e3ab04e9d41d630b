use migrate_runtime::prelude::*;

#[migration(revision = "r038", down_revision = "r037", message = "step 38")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r038").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r038");
    Ok(())
}
