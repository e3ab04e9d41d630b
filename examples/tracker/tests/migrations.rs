//! The tracker's migrations round-trip (every step down and up again, schema
//! compared) on SQLite, and on PostgreSQL and MariaDB when their URLs are set;
//! the seed migration's data is checked.

use migrate_runtime::testing::RoundTrip;
use migrate_runtime::Error;
use migrate_tests::all_backends;

#[test]
fn every_migration_round_trips() {
    for db in all_backends("tracker_round_trip") {
        let url = &db.url;
        RoundTrip::new(&tracker::MIGRATIONS)
            .on(url)
            .seed_before("8a7b6c5d4e3f", |conn| {
                conn.execute("INSERT INTO problems (slug, title, points) VALUES ('fizz-buzz', 'Fizz Buzz', 45)")
            })
            .check_at("8a7b6c5d4e3f", |conn| {
                let got = conn.query_text("SELECT difficulty AS v FROM problems WHERE slug IN ('fizz-buzz', 'median-of-two-sorted-arrays') ORDER BY slug")?;
                let want = vec![Some("hard".to_owned()), Some("hard".to_owned())];
                if got == want {
                    Ok(())
                } else {
                    Err(Error::msg(format!("difficulty backfill gave {got:?}")))
                }
            })
            .run()
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn schema_rs_matches_the_migrations_at_head() {
    for db in all_backends("tracker_models") {
        let url = &db.url;
        migrate_runtime::testing::models_match(
            &tracker::MIGRATIONS,
            include_str!("../src/schema.rs"),
            url,
        )
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

#[test]
fn the_chain_lints_clean_or_reviewed() {
    migrate_runtime::testing::lint(&tracker::MIGRATIONS).unwrap();
}
