use migrate_runtime::prelude::*;

#[migration(revision = "c10", down_revision = "c09", message = "implicit index")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("accounts")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("login").unique());
    // The database's own name for the unique index: dropped by name.
    op.drop_index("accounts_login_key", "accounts");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("accounts");
    Ok(())
}
