use migrate_runtime::prelude::*;

/// drop problems.points; difficulty becomes required
#[migration(
    revision = "9d0e1f2a3b4c",
    down_revision = "8a7b6c5d4e3f",
    reviewed = "points has been unused since the release before this one, and the backfill above left no NULL difficulty"
)]
fn upgrade(op: &mut Op) -> Result<()> {
    op.drop_column("problems", "points");
    // Every row has a difficulty since the backfill. On SQLite this is a table
    // rebuild, done for us, keeping rows, indexes and the submissions that point here.
    op.alter_column("problems", "difficulty").nullable(false);
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.alter_column("problems", "difficulty").nullable(true);
    op.add_column("problems", col::<Nullable<Integer>>("points"));
    op.execute("UPDATE problems SET points = CASE difficulty WHEN 'hard' THEN 50 WHEN 'medium' THEN 20 ELSE 10 END");
    Ok(())
}
