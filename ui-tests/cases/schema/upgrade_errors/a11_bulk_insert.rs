use migrate_runtime::prelude::*;

#[migration(revision = "a11", down_revision = "a10", message = "bulk insert")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.bulk_insert("users", ["id", "emial"], vec![row![1, "a@example.com"]]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.execute("DELETE FROM users");
    Ok(())
}
