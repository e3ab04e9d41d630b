use migrate_runtime::prelude::*;

/// is_billing_contact flag on users
#[migration(revision = "5e8f1a2b3c4d", down_revision = "3c9d2e1f0a7b")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Bool>("is_billing_contact").default(false));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "is_billing_contact");
    Ok(())
}
