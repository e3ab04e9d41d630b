use migrate_runtime::prelude::*;

#[migration(revision = "a17", down_revision = "a16", message = "table foreign key")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("likes")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Integer>("user_id"))
        .foreign_key(ForeignKey::new(["usr_id"], "users", ["id"]).name("fk_likes_user"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("likes");
    Ok(())
}
