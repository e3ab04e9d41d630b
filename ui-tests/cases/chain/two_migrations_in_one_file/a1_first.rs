use migrate_runtime::prelude::*;

#[migration(revision = "a1", down_revision = None, irreversible)]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("t_a1").column(col::<Integer>("id").primary_key());
    Ok(())
}

#[migration(revision = "b2", down_revision = "a1", irreversible)]
fn upgrade_again(_op: &mut Op) -> Result<()> {
    Ok(())
}
