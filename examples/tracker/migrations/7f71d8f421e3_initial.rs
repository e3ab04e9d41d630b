//! The initial schema: users and problems.

use migrate_runtime::prelude::*;

#[migration(revision = "7f71d8f421e3", down_revision = None, message = "initial")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(100))
        .column(col::<Timestamp>("created_at").server_default("CURRENT_TIMESTAMP"));
    op.create_table("problems")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("slug").length(100).unique())
        .column(col::<Text>("title"))
        .column(col::<Nullable<Varchar>>("difficulty").length(10))
        .column(col::<Nullable<Integer>>("points"));
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_table("problems");
    op.drop_table("users");
    Ok(())
}
