use migrate_runtime::prelude::*;

#[migration(revision = "c11", down_revision = "c10", message = "per dialect")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.execute_per_dialect()
        .postgres("ALTER TABLE users RENAME TO people")
        .sqlite("ALTER TABLE users RENAME TO people")
        .mysql("RENAME TABLE users TO people");
    op.add_column("people", col::<Nullable<Text>>("bio"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("people", "bio");
    op.execute("ALTER TABLE people RENAME TO users");
    Ok(())
}
