use migrate_runtime::prelude::*;

#[migration(revision = "b2", down_revision = "a1_squashed_away", message = "m")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_b2").column(col::<Integer>("id").primary_key());
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t_b2");
    Ok(())
}
