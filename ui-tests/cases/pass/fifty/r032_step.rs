use migrate_runtime::prelude::*;

#[migration(revision = "r032", down_revision = "r031", message = "step 32")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_r032").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_r032");
    Ok(())
}
