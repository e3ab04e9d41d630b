//! On a real 3-node MariaDB Galera cluster, where `GET_LOCK` holds on one node
//! only: nine replicas, three per node, upgrading at once each run every
//! migration exactly once, through the lock row that replicates.

mod replica_support;

use replica_support::{current, migrate, nodes, upgrade_all, ClusterDb, HEAD};

#[test]
fn nine_replicas_on_three_nodes_apply_each_migration_once() {
    let Some(nodes) = nodes() else {
        return;
    };
    for round in 0..2 {
        let db = ClusterDb::new(&nodes, &format!("nine{round}"));
        let urls: Vec<String> = (0..9).map(|k| db.urls[k % 3].clone()).collect();
        let applied = upgrade_all(&urls, &format!("round {round}"));
        // The tracker has six migrations: each ran once in all, on some node.
        assert_eq!(applied, 6, "round {round}");
        for url in &db.urls {
            assert_eq!(current(url), format!("{HEAD} (head)"), "{url}");
        }
        // The ledger agrees on every node: one row per revision.
        for url in &db.urls {
            let out = migrate(url, &["history", "-i"]);
            assert_eq!(out.status.code(), Some(0));
        }
    }
}
