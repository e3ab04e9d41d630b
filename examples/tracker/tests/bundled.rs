//! With `bundled`, the tracker's `migrate` binary carries its PostgreSQL and
//! MySQL client libraries: `ldd` lists neither libpq nor a MySQL/MariaDB
//! client (the other tests of this build then run it on both servers).

#[cfg(feature = "bundled")]
#[test]
fn the_migrate_binary_links_no_system_client_library() {
    let bin = env!("CARGO_BIN_EXE_migrate");
    let out = std::process::Command::new("ldd")
        .arg(bin)
        .output()
        .expect("run ldd");
    assert!(out.status.success(), "ldd {bin}: {out:?}");
    let libs = String::from_utf8_lossy(&out.stdout);
    for lib in [
        "libpq",
        "libmariadb",
        "libmysqlclient",
        "libssl",
        "libcrypto",
    ] {
        assert!(!libs.contains(lib), "{lib} in:\n{libs}");
    }
}
