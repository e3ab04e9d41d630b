//! A Galera node killed with SIGKILL while replicas migrate: the runs on the
//! surviving nodes end cleanly, a re-run completes, and the node that comes
//! back shows head too. (A file of its own: it takes a node away, which other
//! Galera tests running at the same time would not expect.)

mod replica_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use replica_support::{assert_current_settles, current, migrate, nodes, ClusterDb, HEAD};

fn galera_sh(args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/galera.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(args)
        .output()
        .expect("galera.sh");
    assert!(
        out.status.success(),
        "galera.sh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_node_killed_mid_run_leaves_a_clean_state_and_a_rerun_completes() {
    let Some(nodes) = nodes() else {
        return;
    };
    let db = ClusterDb::new(&nodes, "kill");
    let runs: Vec<_> = (0..6)
        .map(|k| {
            let url = db.urls[k % 3].clone();
            std::thread::spawn(move || migrate(&url, &["upgrade", "head"]))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    galera_sh(&["kill", "3"]);
    for r in runs {
        let out = r.join().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        // Done, or stopped with an error; never a panic or a signal.
        assert!(matches!(out.status.code(), Some(0 | 1)), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // A re-run on a surviving node finishes what is left.
    let out = migrate(&db.urls[0], &["upgrade", "head"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The node that ran it shows its commit at once.
    assert_eq!(current(&db.urls[0]), format!("{HEAD} (head)"));
    assert_current_settles(&db.urls[1], &format!("{HEAD} (head)"));
    galera_sh(&["rejoin", "3"]);
    assert_current_settles(&db.urls[2], &format!("{HEAD} (head)"));
}
