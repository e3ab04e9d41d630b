use migrate_runtime::prelude::*;

#[migration(revision = "a01", down_revision = None, message = "create")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("email"))
        .column(col::<Nullable<Text>>("name"));
    op.create_table("posts")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Integer>("user_id"));
    op.create_index("ix_users_email", "users", ["email"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_index("ix_users_email", "users");
    op.drop_table("posts");
    op.drop_table("users");
    Ok(())
}
