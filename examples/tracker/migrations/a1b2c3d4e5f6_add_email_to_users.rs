use migrate_runtime::prelude::*;

/// add email to users
#[migration(
    revision = "a1b2c3d4e5f6",
    down_revision = "7f71d8f421e3",
    reviewed = "the email column is new in this migration and holds only NULLs, which a unique constraint allows"
)]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Varchar>>("email").length(255));
    op.create_unique_constraint("uq_users_email", "users", ["email"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_constraint("uq_users_email", "users", ConstraintKind::Unique);
    op.drop_column("users", "email");
    Ok(())
}
