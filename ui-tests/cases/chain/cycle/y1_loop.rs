use migrate_runtime::prelude::*;

#[migration(revision = "y1", down_revision = "x1", message = "m")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_y1").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_y1");
    Ok(())
}
