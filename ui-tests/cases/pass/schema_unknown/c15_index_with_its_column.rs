use migrate_runtime::prelude::*;

#[migration(revision = "c15", down_revision = "c14", message = "index with its column")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("posts", col::<Nullable<Text>>("slug"));
    op.create_index("ix_posts_slug", "posts", ["slug"]);
    op.drop_column("posts", "slug");
    op.add_column("posts", col::<Nullable<Text>>("slug"));
    op.create_index("ix_posts_slug", "posts", ["slug"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("posts", "slug");
    Ok(())
}
