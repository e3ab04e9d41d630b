use migrate_runtime::prelude::*;

const SLUGS: [&str; 5] = ["two-sum", "valid-parentheses", "merge-intervals", "lru-cache", "median-of-two-sorted-arrays"];

/// seed reference problems and backfill difficulty
#[migration(revision = "8a7b6c5d4e3f", down_revision = "5e8f1a2b3c4d")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.bulk_insert(
        "problems",
        ["slug", "title", "difficulty", "points"],
        vec![
            row!["two-sum", "Two Sum", "easy", 10],
            row!["valid-parentheses", "Valid Parentheses", "easy", 10],
            row!["merge-intervals", "Merge Intervals", "medium", 20],
            row!["lru-cache", "LRU Cache", "medium", 30],
            row!["median-of-two-sorted-arrays", "Median of Two Sorted Arrays", None::<&str>, 50],
        ],
    );
    // Backfill: every problem gets a difficulty, derived from its points.
    op.execute(
        "UPDATE problems SET difficulty = CASE WHEN points >= 40 THEN 'hard' \
         WHEN points >= 20 THEN 'medium' ELSE 'easy' END WHERE difficulty IS NULL",
    );
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    let list: Vec<String> = SLUGS.iter().map(|s| format!("'{s}'")).collect();
    let list = list.join(", ");
    // Submissions point at the seeded problems; they go with them.
    op.execute(format!(
        "DELETE FROM submissions WHERE problem_id IN (SELECT id FROM problems WHERE slug IN ({list}))"
    ));
    op.execute(format!("DELETE FROM problems WHERE slug IN ({list})"));
    Ok(())
}
