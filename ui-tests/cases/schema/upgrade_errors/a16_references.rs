use migrate_runtime::prelude::*;

#[migration(revision = "a16", down_revision = "a15", message = "references")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("comments")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Integer>("post_id").references("post", "id"))
        .column(col::<Integer>("author_id").references("users", "uid"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("comments");
    Ok(())
}
