use migrate_runtime::prelude::*;

#[migration(revision = "c09", down_revision = "c08", message = "if exists")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.drop_table_if_exists("never_made");
    op.drop_column_if_exists("users", "never_there");
    op.create_table("users").if_not_exists().column(col::<Integer>("id"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.execute("SELECT 1");
    Ok(())
}
