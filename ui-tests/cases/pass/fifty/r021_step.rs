use migrate_runtime::prelude::*;

#[migration(revision = "r021", down_revision = "r020", message = "step 21")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r021").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r021");
    Ok(())
}
