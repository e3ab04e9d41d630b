use migrate_runtime::prelude::*;

#[migration(revision = "7f71d8f421e3", down_revision = None, message = "initial")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_7f71d8f421e3").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_7f71d8f421e3");
    Ok(())
}
