use migrate_runtime::prelude::*;

/// submissions, with foreign keys to users and problems
#[migration(revision = "3c9d2e1f0a7b", down_revision = "a1b2c3d4e5f6")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.create_table("submissions")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Integer>("user_id"))
        .column(col::<Integer>("problem_id"))
        .column(col::<Varchar>("verdict").length(20))
        .column(col::<Timestamp>("submitted_at").server_default("CURRENT_TIMESTAMP"))
        .foreign_key(
            ForeignKey::new(["user_id"], "users", ["id"])
                .name("fk_submissions_user")
                .on_delete(Action::Cascade),
        )
        .foreign_key(ForeignKey::new(["problem_id"], "problems", ["id"]).name("fk_submissions_problem"));
    op.create_index("ix_submissions_user_id", "submissions", ["user_id"]);
    op.create_index("ix_submissions_problem_id", "submissions", ["problem_id"]);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    // The indexes go with the table (MySQL refuses to drop an index a foreign key uses).
    op.drop_table("submissions");
    Ok(())
}
