use migrate_runtime::prelude::*;

#[migration(revision = "b04", down_revision = "b03", message = "not restored")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Text>("mail"));
    Ok(())
}
