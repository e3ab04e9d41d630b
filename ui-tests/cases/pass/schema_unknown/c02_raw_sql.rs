use migrate_runtime::prelude::*;

#[migration(revision = "c02", down_revision = "c01", message = "raw sql")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.execute("CREATE TABLE legacy (id INTEGER)");
    op.add_column("legacy", col::<Nullable<Text>>("note"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.execute("DROP TABLE legacy");
    Ok(())
}
