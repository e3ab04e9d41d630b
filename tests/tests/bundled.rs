//! `postgres-bundled`: libpq is compiled into the binary, so no shared libpq
//! is loaded at run time (nor needed at build time); the PostgreSQL tests of
//! this build then run on it.

#[cfg(feature = "postgres-bundled")]
#[test]
fn no_shared_libpq_is_loaded() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new("ldd")
        .arg(&exe)
        .output()
        .expect("run ldd");
    assert!(out.status.success(), "ldd {}: {out:?}", exe.display());
    let libs = String::from_utf8_lossy(&out.stdout);
    assert!(!libs.contains("libpq"), "{libs}");
    // And it is libpq all the same that talks to the server.
    if let Some(db) = migrate_tests::postgres("bundled") {
        let mut conn = db.connect();
        let v = conn.query_text("SELECT version()").expect("a query");
        assert!(
            v.iter().flatten().any(|s| s.starts_with("PostgreSQL")),
            "{v:?}"
        );
    }
}
