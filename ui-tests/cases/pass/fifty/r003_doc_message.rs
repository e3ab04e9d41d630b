use migrate_runtime::prelude::*;

/// message from the doc comment
#[migration(revision = "r003", down_revision = "r002", transaction = false)]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("t_r000", col::<Nullable<Text>>("note"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("t_r000", "note");
    Ok(())
}
