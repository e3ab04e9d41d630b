use migrate_runtime::prelude::*;

#[migration(revision = "c03", down_revision = "c02", message = "computed name")]
fn upgrade(op: &mut Op) -> Result<()> {
    let table = format!("{}_{}", "audit", "log");
    op.create_table(table.as_str()).column(col::<Integer>("id"));
    op.drop_column("audit_log", "nothing_checked");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("audit_log");
    Ok(())
}
