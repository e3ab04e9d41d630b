use migrate_runtime::prelude::*;

#[migration(revision = "c06", down_revision = "c05", message = "data step")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("kv").column(col::<Integer>("id"));
    op.run("add a column by hand", |conn| {
        conn.execute("ALTER TABLE kv ADD COLUMN v TEXT")
    });
    op.alter_column("kv", "v").nullable(true);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("kv");
    Ok(())
}
