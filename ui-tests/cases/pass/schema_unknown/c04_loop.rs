use migrate_runtime::prelude::*;

#[migration(revision = "c04", down_revision = "c03", message = "loop")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("tags").column(col::<Integer>("id"));
    for c in ["a", "b"] {
        op.add_column("tags", col::<Nullable<Text>>(c));
    }
    op.drop_column("tags", "a");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("tags");
    Ok(())
}
