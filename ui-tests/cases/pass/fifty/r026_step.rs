use migrate_runtime::prelude::*;

#[migration(revision = "r026", down_revision = "r025", message = "step 26")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r026").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r026");
    Ok(())
}
