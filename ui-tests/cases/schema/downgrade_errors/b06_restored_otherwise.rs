use migrate_runtime::prelude::*;

#[migration(revision = "b06", down_revision = "b05", message = "restored otherwise")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.alter_column("users", "nickname")
        .set_type::<Integer>()
        .nullable(false)
        .server_default("0");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.alter_column("users", "nickname").set_type::<BigInt>();
    Ok(())
}
