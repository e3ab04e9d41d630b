//! What the tests of many replicas share: running the tracker's `migrate`
//! from several threads at once, and a database of its own on the real Galera
//! cluster that `scripts/galera.sh start` runs (CI starts it and sets
//! `MIGRATE_TEST_GALERA_URLS` to the three node URLs). Unset: the Galera tests
//! have nothing to run on. Set: a node that does not answer fails them.

// Each test file uses its part of it.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The tracker's head revision.
pub const HEAD: &str = "9d0e1f2a3b4c";

/// The node URLs, if the cluster is configured.
pub fn nodes() -> Option<Vec<String>> {
    let v = std::env::var("MIGRATE_TEST_GALERA_URLS")
        .ok()
        .filter(|s| !s.trim().is_empty())?;
    if !cfg!(feature = "mysql") {
        panic!("MIGRATE_TEST_GALERA_URLS is set: build the tests with --features mysql");
    }
    Some(v.split(',').map(|s| s.trim().to_owned()).collect())
}

/// A database created for one test on the cluster (it replicates), dropped after.
pub struct ClusterDb {
    /// The database's URL on each node.
    pub urls: Vec<String>,
    admin: String,
    name: String,
}

fn sql(url: &str, statement: &str) {
    let mut c = migrate_runtime::AnyConnection::establish(url)
        .unwrap_or_else(|e| panic!("Galera node {url} does not answer: {e}"));
    c.execute(statement)
        .unwrap_or_else(|e| panic!("{statement} on {url}: {e}"));
}

impl ClusterDb {
    /// A fresh database named after `test`.
    pub fn new(nodes: &[String], test: &str) -> Self {
        let name = format!("galera_{test}_{}", std::process::id());
        let admin = nodes[0].clone();
        sql(
            &admin,
            &format!("DROP DATABASE IF EXISTS `{name}`; CREATE DATABASE `{name}`"),
        );
        let urls = nodes
            .iter()
            .map(|u| {
                let base = u.rsplit_once('/').map_or(u.as_str(), |(b, _)| b);
                format!("{base}/{name}")
            })
            .collect();
        // The CREATE replicates in total order, but a node may apply it after
        // node 1 answered: a run that connected to that node at once found no
        // database. A read with wsrep_sync_wait waits until the node has
        // applied everything committed before it.
        for node in nodes {
            let mut c = migrate_runtime::AnyConnection::establish(node)
                .unwrap_or_else(|e| panic!("Galera node {node} does not answer: {e}"));
            c.execute("SET SESSION wsrep_sync_wait = 1")
                .unwrap_or_else(|e| panic!("wsrep_sync_wait on {node}: {e}"));
            let seen = c
                .query_text(&format!(
                    "SELECT CAST(SCHEMA_NAME AS CHAR) AS v FROM information_schema.SCHEMATA \
                     WHERE SCHEMA_NAME = '{name}'"
                ))
                .unwrap_or_else(|e| panic!("the databases of {node}: {e}"));
            assert_eq!(seen.len(), 1, "{name} is not on {node}");
        }
        ClusterDb { urls, admin, name }
    }
}

impl Drop for ClusterDb {
    fn drop(&mut self) {
        // A node killed by a test may still be rejoining: the drop goes through node 1.
        if let Ok(mut c) = migrate_runtime::AnyConnection::establish(&self.admin) {
            if let Err(e) = c.execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name)) {
                eprintln!("could not drop {}: {e}", self.name);
            }
        }
    }
}

/// Runs the tracker's `migrate` with `--url url` and `args`.
pub fn migrate(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("--url")
        .arg(url)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run migrate")
}

/// `current` on `url`, which must succeed.
pub fn current(url: &str) -> String {
    let out = migrate(url, &["current"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "current on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Waits until `current` on `url` says `want`, for up to 30 s. A Galera node
/// applies the other nodes' commits a little after they answered, and
/// `current` reads without waiting for that (the runs themselves read with
/// `wsrep_sync_wait`; README.md says so): right after a run on another node,
/// this node may still show the revision before it, or, while it rejoins,
/// not answer yet. On the node that ran the migrations, use [`current`].
pub fn assert_current_settles(url: &str, want: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let out = migrate(url, &["current"]);
        let now = match out.status.code() {
            Some(0) => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            _ => format!("failing: {}", String::from_utf8_lossy(&out.stderr).trim()),
        };
        if now == want {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "current on {url} is still {now:?} after 30 s, not {want:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Runs `upgrade head` on every URL at once, one process each; all must exit
/// 0. Returns how many migrations they applied in all.
pub fn upgrade_all(urls: &[String], what: &str) -> usize {
    let children: Vec<_> = urls
        .iter()
        .cloned()
        .map(|url| std::thread::spawn(move || migrate(&url, &["upgrade", "head"])))
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.join().expect("a run's thread"))
        .collect();
    // A failure shows what every run said: the one that failed may have
    // been stopped by another (a lock taken over, say).
    let all = || {
        outs.iter()
            .zip(urls)
            .map(|(o, u)| {
                format!(
                    "--- {u} ({:?}):\n{}",
                    o.status.code(),
                    String::from_utf8_lossy(&o.stderr)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut applied = 0;
    for out in &outs {
        assert_eq!(out.status.code(), Some(0), "{what}:\n{}", all());
        applied += String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("Running upgrade"))
            .count();
    }
    applied
}
