use migrate_runtime::prelude::*;

#[migration(revision = "c3", down_revision = "a1", message = "m")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_c3").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_c3");
    Ok(())
}
