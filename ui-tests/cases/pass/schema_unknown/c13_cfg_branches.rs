use migrate_runtime::prelude::*;

#[migration(revision = "c13", down_revision = "c12", message = "cfg branches")]
fn upgrade(op: &mut Op) -> Result<()> {
    #[cfg(debug_assertions)]
    op.add_column("posts", col::<Nullable<Jsonb>>("payload"));
    #[cfg(not(debug_assertions))]
    op.add_column("posts", col::<Nullable<Text>>("payload"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("posts", "payload");
    Ok(())
}
