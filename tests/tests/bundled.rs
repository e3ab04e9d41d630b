//! `postgres-bundled` and `mysql-bundled`: the client libraries are compiled
//! into the binary, so no shared libpq or libmysqlclient/libmariadb is loaded
//! at run time (nor needed at build time); the server tests of this build
//! then run on them.

/// The shared libraries this test binary loads, as `ldd` lists them.
#[cfg(any(feature = "postgres-bundled", feature = "mysql-bundled"))]
fn shared_libraries() -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new("ldd")
        .arg(&exe)
        .output()
        .expect("run ldd");
    assert!(out.status.success(), "ldd {}: {out:?}", exe.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(feature = "postgres-bundled")]
#[test]
fn no_shared_libpq_is_loaded() {
    let libs = shared_libraries();
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

#[cfg(feature = "mysql-bundled")]
#[test]
fn no_shared_mysql_client_is_loaded() {
    let libs = shared_libraries();
    assert!(
        !libs.contains("libmariadb") && !libs.contains("libmysqlclient"),
        "{libs}"
    );
    // The compiled-in client (MySQL's, 9.x) logs in to MariaDB, whose accounts
    // use mysql_native_password, which MySQL 9 builds no longer carry built in.
    if let Some(db) = migrate_tests::mysql("bundled") {
        let mut conn = db.connect();
        let v = conn.query_text("SELECT VERSION() AS v").expect("a query");
        assert!(v.iter().flatten().any(|s| !s.is_empty()), "{v:?}");
    }
}
