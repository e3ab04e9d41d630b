//! The tracker's migrations round-trip (every step down and up again, schema
//! compared) on SQLite, and on PostgreSQL and MariaDB when their URLs are set;
//! the seed migration's data is checked.

use migrate_runtime::testing::{RoundTrip, TempDatabase};
use migrate_runtime::Error;

fn urls() -> Vec<(String, TempDatabase)> {
    let mut out = Vec::new();
    for (env, on) in [
        ("", true),
        ("MIGRATE_TEST_POSTGRES_URL", cfg!(feature = "postgres")),
        ("MIGRATE_TEST_MYSQL_URL", cfg!(feature = "mysql")),
    ] {
        let server = if env.is_empty() {
            Some("sqlite://".to_owned())
        } else {
            std::env::var(env).ok().filter(|_| on)
        };
        if let Some(s) = server {
            let db = TempDatabase::create(&s).unwrap_or_else(|e| panic!("{env}: {e}"));
            out.push((db.url().to_owned(), db));
        }
    }
    out
}

#[test]
fn every_migration_round_trips() {
    for (url, _db) in urls() {
        RoundTrip::new(&tracker::MIGRATIONS)
            .on(&url)
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
    for (url, _db) in urls() {
        migrate_runtime::testing::models_match(
            &tracker::MIGRATIONS,
            include_str!("../src/schema.rs"),
            &url,
        )
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}
