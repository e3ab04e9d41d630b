use migrate_runtime::prelude::*;

#[migration(revision = "c12", down_revision = "c11", message = "round trip")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("posts")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Integer>("author"));
    op.create_index("ix_posts_author", "posts", ["author"]);
    op.alter_column("posts", "author").rename_to("author_id");
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.alter_column("posts", "author_id").rename_to("author");
    op.drop_index("ix_posts_author", "posts");
    op.drop_table("posts");
    Ok(())
}
