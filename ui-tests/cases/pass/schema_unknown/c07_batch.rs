use migrate_runtime::prelude::*;

#[migration(revision = "c07", down_revision = "c06", message = "batch")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("items").column(col::<Integer>("id"));
    op.batch_alter_table("items", |b| {
        b.add_column(col::<Nullable<Text>>("sku"));
    });
    op.create_index("ix_items_sku", "items", ["sku"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("items");
    Ok(())
}
