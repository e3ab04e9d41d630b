use migrate_runtime::prelude::*;

#[migration(revision = "c18", down_revision = "c17", message = "named unique")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("handles")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name"))
        .unique("uq_handles_name", ["name"]);
    op.reviewed("a new table: nothing reads it yet");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("handles");
    Ok(())
}
