use migrate_runtime::prelude::*;

#[migration(revision = "a13", down_revision = "a12", message = "unique")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_unique_constraint("uq_users_email", "users", ["e_mail"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_constraint("uq_users_email", "users", ConstraintKind::Unique);
    Ok(())
}
