use migrate_runtime::prelude::*;

#[migration(revision = "d1", down_revision = None)]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t").column(col::<Integer>("id").primary_key());
    Ok(())
}

#[downgrade(always)]
fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("t");
    Ok(())
}

#[downgrade]
fn revert(op: &mut Op) -> Result<()> {
    op.drop_table("t");
    Ok(())
}

#[downgrade]
const NOT_A_FUNCTION: u8 = 1;
