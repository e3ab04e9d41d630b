use migrate_runtime::prelude::*;

#[migration(revision = "a18", down_revision = "a17", message = "constraint twice")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_check_constraint("ck_users_email", "users", "email <> ''");
    op.create_unique_constraint("ck_users_email", "users", ["email"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_constraint("ck_users_email", "users", ConstraintKind::Check);
    Ok(())
}
