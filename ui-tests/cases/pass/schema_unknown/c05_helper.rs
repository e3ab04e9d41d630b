use migrate_runtime::prelude::*;

fn add_columns(op: &mut Op, table: &str) {
    op.add_column(table, col::<Nullable<Text>>("body"));
}

#[migration(revision = "c05", down_revision = "c04", message = "helper")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("notes").column(col::<Integer>("id"));
    add_columns(op, "notes");
    op.create_index("ix_notes_body", "notes", ["body"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("notes");
    Ok(())
}
