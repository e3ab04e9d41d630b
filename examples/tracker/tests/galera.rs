//! On a real 3-node MariaDB Galera cluster, where `GET_LOCK` holds on one node
//! only: nine replicas, three per node, upgrading at once each run every
//! migration exactly once, through the lock row that replicates.

mod replica_support;

use replica_support::{
    assert_current_settles, current, migrate, nodes, upgrade_all, ClusterDb, HEAD,
};

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
            assert_current_settles(url, &format!("{HEAD} (head)"));
        }
        // The ledger agrees on every node: one row per revision.
        for url in &db.urls {
            let out = migrate(url, &["history", "-i"]);
            assert_eq!(out.status.code(), Some(0));
        }
    }
}

fn one(url: &str, sql: &str) -> Option<String> {
    let mut c = migrate_runtime::AnyConnection::establish(url)
        .unwrap_or_else(|e| panic!("Galera node {url} does not answer: {e}"));
    c.query_text(sql)
        .unwrap_or_else(|e| panic!("{sql} on {url}: {e}"))
        .into_iter()
        .flatten()
        .next()
}

fn exec(url: &str, sql: &str) {
    let mut c = migrate_runtime::AnyConnection::establish(url)
        .unwrap_or_else(|e| panic!("Galera node {url} does not answer: {e}"));
    c.execute(sql)
        .unwrap_or_else(|e| panic!("{sql} on {url}: {e}"));
}

/// A lock row as a run on the node `uuid` leaves it, with a lease for years,
/// holding the GET_LOCK of this version table's name (or of `other` name).
fn plant_row(url: &str, uuid: &str, other: Option<&str>) {
    let lock = match other {
        Some(name) => format!("'{name}'"),
        None => "CONCAT('migrate:', SHA1(CONCAT(DATABASE(), ':alembic_version')))".into(),
    };
    exec(
        url,
        &format!(
            "DELETE FROM alembic_version_lock; \
             INSERT INTO alembic_version_lock (name, holder, expires_at) VALUES ('run', \
             CONCAT('gone:3399 connection 7, node {uuid}, lock ', {lock}, \
             ', a host, pid 1, run 000000001'), UTC_TIMESTAMP(6) + INTERVAL 9 YEAR)"
        ),
    );
}

fn node_uuid(url: &str) -> String {
    one(
        url,
        "SELECT VARIABLE_VALUE AS v FROM information_schema.GLOBAL_STATUS \
         WHERE VARIABLE_NAME = 'WSREP_GCOMM_UUID'",
    )
    .expect("a Galera node's UUID")
}

#[test]
fn a_lock_row_whose_holder_is_gone_is_taken_over_before_its_lease_ends() {
    let Some(nodes) = nodes() else {
        return;
    };
    let db = ClusterDb::new(&nodes, "stale");
    // The lock table, made by a first run.
    let out = migrate(&db.urls[0], &["upgrade", "+1"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Its holder's node is not in the cluster (killed, restarted under a new
    // UUID): a run on another node takes the row over at once.
    plant_row(&db.urls[0], "00000000-0000-4000-8000-000000000000", None);
    let out = migrate(&db.urls[1], &["upgrade", "head", "--lock-wait", "5s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    // It says whose row it took over, and why.
    assert!(
        err.contains("Took over the run lock from gone:3399 connection 7, node 00000000-")
            && err.contains("(its holder is gone)"),
        "{err}"
    );
    assert_current_settles(&db.urls[2], &format!("{HEAD} (head)"));
    // Its holder ran on this node: this node's GET_LOCK is free, so that
    // session is gone.
    plant_row(&db.urls[0], &node_uuid(&db.urls[0]), None);
    let out = migrate(&db.urls[0], &["downgrade", "-1", "--lock-wait", "5s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Took over the run lock from gone:3399")
            && err.contains("(its holder is gone)"),
        "{err}"
    );
    // Its holder's node is in the cluster, on another node: it may be
    // running, so the row holds until its lease ends.
    plant_row(&db.urls[0], &node_uuid(&db.urls[2]), None);
    let out = migrate(&db.urls[0], &["upgrade", "head", "--lock-wait", "1s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("lock row") && err.contains("gone:3399"),
        "{err}"
    );
    assert_ne!(current(&db.urls[0]), format!("{HEAD} (head)"));
    // On this node but under another GET_LOCK name (another spelling of the
    // version table, with lower_case_table_names): it may be running.
    plant_row(&db.urls[0], &node_uuid(&db.urls[0]), Some("migrate:other"));
    let out = migrate(&db.urls[0], &["upgrade", "head", "--lock-wait", "1s"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_ne!(current(&db.urls[0]), format!("{HEAD} (head)"));
}
