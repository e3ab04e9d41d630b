use migrate_runtime::prelude::*;

#[migration(revision = "r041", down_revision = "r040", message = "step 41")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r041").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r041");
    Ok(())
}
