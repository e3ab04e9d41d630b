use migrate_runtime::prelude::*;

#[migration(revision = "a12", down_revision = "a11", message = "foreign key")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_foreign_key("fk_posts_user", "posts", "user", ["user_id"], ["id"]);
    op.create_foreign_key("fk_posts_author", "posts", "users", ["author_id"], ["id"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_constraint("fk_posts_user", "posts", ConstraintKind::ForeignKey);
    Ok(())
}
