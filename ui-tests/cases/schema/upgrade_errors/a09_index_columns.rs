use migrate_runtime::prelude::*;

#[migration(revision = "a09", down_revision = "a08", message = "index columns")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_index("ix_users_name", "users", ["name", "mail"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_index("ix_users_name", "users");
    Ok(())
}
