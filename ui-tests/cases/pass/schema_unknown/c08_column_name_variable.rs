use migrate_runtime::prelude::*;

#[migration(revision = "c08", down_revision = "c07", message = "column name variable")]
fn upgrade(op: &mut Op) -> Result<()> {
    let name = "flag";
    op.add_column("users", col::<Nullable<Bool>>(name));
    op.drop_column("users", "flag");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.execute("SELECT 1");
    Ok(())
}
