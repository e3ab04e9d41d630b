use migrate_runtime::prelude::*;

#[migration(revision = "a10", down_revision = "a09", message = "index twice")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_index("ix_users_email", "users", ["email"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // Not what this case is about.
    op.execute("SELECT 1");
    Ok(())
}
