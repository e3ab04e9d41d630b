use migrate_runtime::prelude::*;

#[migration(revision = "a19", down_revision = "a18", message = "batch")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.batch_alter_table("users", |b| {
        b.add_column(col::<Nullable<Text>>("phone"));
        b.alter_column("phon").nullable(false);
    });
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.batch_alter_table("users", |b| {
        b.drop_column("phone");
    });
    Ok(())
}
