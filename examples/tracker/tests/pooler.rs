//! Through pgbouncer in transaction pooling mode (`scripts/pgbouncer.sh`; CI
//! starts it and sets `MIGRATE_TEST_PGBOUNCER_URL`), where a session advisory
//! lock would be held by whichever pooled server session ran it: the run sees
//! that the server's client is not this process and locks with a row instead.
//! Replicas through the pooler and replicas connected directly, all at once,
//! apply each migration exactly once.

mod replica_support;

use replica_support::{migrate, upgrade_all, HEAD};

#[test]
fn replicas_through_a_transaction_pooler_and_direct_ones_apply_each_migration_once() {
    let Some(pooler) = std::env::var("MIGRATE_TEST_PGBOUNCER_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return;
    };
    if !cfg!(feature = "postgres") {
        panic!("MIGRATE_TEST_PGBOUNCER_URL is set: build the tests with --features postgres");
    }
    let Some(db) = migrate_tests::postgres("tracker_pooler") else {
        panic!(
            "MIGRATE_TEST_PGBOUNCER_URL needs MIGRATE_TEST_POSTGRES_URL too (the server behind it)"
        );
    };
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let pooled = format!("{}/{name}", pooler.rsplit_once('/').unwrap().0);
    for round in 0..3 {
        // Two in three through the pooler, one direct.
        let urls: Vec<String> = (0..9)
            .map(|k| {
                if k % 3 == 2 {
                    db.url.clone()
                } else {
                    pooled.clone()
                }
            })
            .collect();
        let applied = upgrade_all(&urls, &format!("round {round}"));
        assert_eq!(applied, 6, "round {round}: each migration once");
        let out = migrate(&pooled, &["current"]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("{HEAD} (head)")
        );
        // The pooled runs used the lock row; it is free again.
        let mut c = db.connect();
        let rows = c
            .query_text("SELECT CAST(count(*) AS TEXT) AS v FROM alembic_version_lock")
            .unwrap();
        assert_eq!(rows, vec![Some("0".to_owned())], "round {round}");
        let out = migrate(&db.url, &["downgrade", "base"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
