//! On a real 3-node MariaDB Galera cluster, where `GET_LOCK` holds on one node
//! only: nine replicas, three per node, upgrading at once each run every
//! migration exactly once, through the lock row that replicates.

mod galera_support;

use galera_support::{current, migrate, nodes, ClusterDb, HEAD};

#[test]
fn nine_replicas_on_three_nodes_apply_each_migration_once() {
    let Some(nodes) = nodes() else {
        return;
    };
    for round in 0..2 {
        let db = ClusterDb::new(&nodes, &format!("nine{round}"));
        let children: Vec<_> = (0..9)
            .map(|k| {
                let url = db.urls[k % 3].clone();
                std::thread::spawn(move || migrate(&url, &["upgrade", "head"]))
            })
            .collect();
        let mut applied = 0;
        for c in children {
            let out = c.join().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            assert_eq!(out.status.code(), Some(0), "round {round}: {err}");
            applied += err
                .lines()
                .filter(|l| l.starts_with("Running upgrade"))
                .count();
        }
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
