//! `migrate fleet` over many databases at once: SQLite files always, and with
//! the test servers configured, PostgreSQL databases, schemas of one
//! PostgreSQL database (schema-per-tenant) and MariaDB databases. A failing
//! target leaves the others done and is named in the report; a re-run does only
//! what is left; a failed canary stage stops the stages after it.

use std::path::Path;
use std::process::{Command, Output};

use migrate_tests::TestDb;

const HEAD: &str = "9d0e1f2a3b4c";

fn fleet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("fleet")
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run migrate fleet")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// One target of the JSON report: name, status, after, migrations, error.
type Row = (String, String, Option<String>, u64, Option<String>);

/// The JSON report's targets, in order.
fn report(stdout: &str) -> Vec<Row> {
    let v: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("the report is not JSON ({e}):\n{stdout}"));
    v["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().expect("name").to_owned(),
                t["status"].as_str().expect("status").to_owned(),
                t["after"].as_str().map(str::to_owned),
                t["migrations"].as_u64().expect("migrations"),
                t["error"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite:///{}", dir.join(name).display())
}

/// The run lock key the tracker's version table had before schemas were
/// part of it: in `public` it must stay the same, or a rolling deploy's old
/// and new replicas would not exclude each other (FNV-1a, as documented).
fn public_lock_key() -> i64 {
    lock_key_of("alembic_version")
}

/// The run lock's advisory key for a version table name, as the runtime makes it.
fn lock_key_of(table: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("migrate-runtime:{table}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h >> 1) as i64
}

#[test]
fn a_mixed_fleet_upgrades_at_once_a_failure_is_reported_and_a_rerun_does_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..50 {
        lines.push(format!(
            "{} name=sqlite-{i}",
            sqlite_url(dir.path(), &format!("t{i}.db"))
        ));
    }
    // Kept alive to the end: dropping one drops its database.
    let mut servers: Vec<TestDb> = Vec::new();
    let mut bad_name = "sqlite-7".to_owned();
    let mut bad_url = sqlite_url(dir.path(), "t7.db");
    let mut schema_db = None;
    if migrate_tests::server_url(migrate_runtime::Dialect::Postgres).is_some() {
        for i in 0..20 {
            let db = migrate_tests::postgres("fleet").expect("PostgreSQL");
            // A password in every PostgreSQL URL (trust auth ignores it): it
            // must appear nowhere in the output.
            let url = db.url.replacen("postgres@", "postgres:s3cret-pw@", 1);
            lines.push(format!("{url} name=pg-{i}"));
            if i == 3 {
                bad_name = "pg-3".into();
                bad_url = url.clone();
            }
            servers.push(db);
        }
        let db = migrate_tests::postgres("fleet_schemas").expect("PostgreSQL");
        let mut c = db.connect();
        for i in 0..10 {
            c.execute(&format!("CREATE SCHEMA tenant_{i}")).unwrap();
            lines.push(format!("{} schema=tenant_{i} name=schema-{i}", db.url));
        }
        schema_db = Some(db);
    }
    if migrate_tests::server_url(migrate_runtime::Dialect::Mysql).is_some() {
        for i in 0..10 {
            let db = migrate_tests::mysql("fleet").expect("MariaDB");
            lines.push(format!("{} name=mariadb-{i}", db.url));
            servers.push(db);
        }
    }
    // The failing target: a table in the way of the third migration.
    let mut c = migrate_runtime::AnyConnection::establish(&bad_url).unwrap();
    c.execute("CREATE TABLE submissions (x INTEGER)").unwrap();
    drop(c);
    let targets = dir.path().join("targets.txt");
    std::fs::write(&targets, lines.join("\n") + "\n").unwrap();
    let t = targets.to_str().unwrap();
    let total = lines.len();

    // Another run holds the public schema's run lock: the tenants' schemas
    // have locks of their own and do not wait for it.
    let _public_lock = schema_db.as_ref().map(|db| {
        let mut c = db.connect();
        c.execute(&format!("SELECT pg_advisory_lock({})", public_lock_key()))
            .unwrap();
        c
    });

    let out = fleet(&[
        "upgrade",
        "--targets",
        t,
        "-j",
        "8",
        "--on-error",
        "continue",
        "--format",
        "json",
        "--lock-wait",
        "5s",
    ]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{se}");
    assert!(
        !so.contains("s3cret") && !se.contains("s3cret"),
        "{so}\n{se}"
    );
    let rows = report(&so);
    assert_eq!(rows.len(), total);
    for (name, status, after, n, error) in &rows {
        if *name == bad_name {
            assert_eq!(status, "failed");
            // Two migrations went in before the one that failed.
            assert_eq!(after.as_deref(), Some("a1b2c3d4e5f6"), "{name}");
            assert!(
                error.as_deref().unwrap().contains("submissions"),
                "{error:?}"
            );
        } else {
            assert_eq!(
                (status.as_str(), after.as_deref(), *n),
                ("done", Some(HEAD), 6),
                "{name}: {error:?}\n{se}"
            );
        }
    }
    assert!(
        se.contains(&format!("{} done, 1 failed", total - 1)),
        "{se}"
    );

    // Each schema holds its own version table at head; public holds none.
    if let Some(db) = &schema_db {
        let mut c = db.connect();
        for i in 0..10 {
            let v = c
                .query_text(&format!(
                    "SELECT version_num AS v FROM tenant_{i}.alembic_version"
                ))
                .unwrap();
            assert_eq!(v, vec![Some(HEAD.to_owned())], "tenant_{i}");
        }
        let v = c
            .query_text("SELECT CAST(to_regclass('public.alembic_version') IS NULL AS TEXT) AS v")
            .unwrap();
        assert_eq!(v, vec![Some("true".to_owned())]);
    }

    // `fleet current` names the one behind.
    let out = fleet(&["current", "--targets", t, "--format", "json"]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    let behind: Vec<_> = report(&so)
        .into_iter()
        .filter(|r| r.1 != "at_head")
        .map(|r| (r.0, r.1, r.3))
        .collect();
    assert_eq!(behind, vec![(bad_name.clone(), "behind".to_owned(), 4)]);

    // Fixed, the same command again: only that target runs.
    let mut c = migrate_runtime::AnyConnection::establish(&bad_url).unwrap();
    c.execute("DROP TABLE submissions").unwrap();
    drop(c);
    let out = fleet(&["upgrade", "--targets", t, "-j", "8", "--format", "json"]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    for (name, status, after, n, _) in report(&so) {
        let want = if name == bad_name {
            ("done", 4)
        } else {
            ("skipped", 0)
        };
        assert_eq!((status.as_str(), n), want, "{name}");
        assert_eq!(after.as_deref(), Some(HEAD), "{name}");
    }
    assert_eq!(
        se.lines().filter(|l| l.contains("Running upgrade")).count(),
        4,
        "{se}"
    );
    let out = fleet(&["check", "--targets", t]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out).1);
}

#[test]
fn a_failed_canary_stops_the_later_stages_and_the_table_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut toml = String::from("stages = [\"canary\"]\n");
    for i in 0..6 {
        let group = if i < 4 { "main" } else { "canary" };
        toml.push_str(&format!(
            "[[target]]\nname = \"t{i}\"\ngroup = \"{group}\"\nurl = \"{}\"\n",
            sqlite_url(dir.path(), &format!("t{i}.db"))
        ));
    }
    let targets = dir.path().join("fleet.toml");
    std::fs::write(&targets, toml).unwrap();
    let t = targets.to_str().unwrap();
    let bad = sqlite_url(dir.path(), "t5.db");
    let mut c = migrate_runtime::AnyConnection::establish(&bad).unwrap();
    c.execute("CREATE TABLE submissions (x INTEGER)").unwrap();
    drop(c);

    // A read-only command creates no database file.
    let out = fleet(&["current", "--targets", t]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{so}{se}");
    assert!(!dir.path().join("t0.db").exists(), "{so}");

    // continue: the whole canary stage runs whichever of its targets
    // finishes first; its failure still stops the stage after it.
    let out = fleet(&[
        "upgrade",
        "--targets",
        t,
        "-j",
        "2",
        "--on-error",
        "continue",
    ]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{se}");
    assert!(status_of(&so, "t4").contains("done (6 migrations)"), "{so}");
    assert!(status_of(&so, "t5").contains("failed"), "{so}");
    for i in 0..4 {
        assert!(
            status_of(&so, &format!("t{i}")).contains("not started"),
            "{so}"
        );
        assert!(!dir.path().join(format!("t{i}.db")).exists());
    }
    assert!(so.contains("Failed:\n  t5: upgrade 3c9d2e1f0a7b"), "{so}");
    assert!(se.contains("Stopped after stage `canary`"), "{se}");

    let mut c = migrate_runtime::AnyConnection::establish(&bad).unwrap();
    c.execute("DROP TABLE submissions").unwrap();
    drop(c);
    let out = fleet(&["upgrade", "--targets", t, "-j", "2"]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(status_of(&so, "t4").contains("skipped"), "{so}");
    assert!(status_of(&so, "t5").contains("done (4 migrations)"), "{so}");
    assert!(status_of(&so, "t0").contains("done (6 migrations)"), "{so}");

    // One group alone: the others are left out of the run and the report.
    let out = fleet(&["downgrade", "base", "--targets", t, "--group", "canary"]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(status_of(&so, "t4").contains("done (6 migrations)"), "{so}");
    assert!(status_of(&so, "t5").contains("done (6 migrations)"), "{so}");
    assert!(!so.lines().any(|l| l.starts_with("t0 ")), "{so}");
    let out = fleet(&["current", "--targets", t, "--group", "main"]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(status_of(&so, "t0").contains("at head"), "{so}");
    assert!(!so.lines().any(|l| l.starts_with("t4 ")), "{so}");
    // A group no target has runs nothing.
    let out = fleet(&["upgrade", "--targets", t, "--group", "mian"]);
    let (so, se) = text(&out);
    assert_ne!(out.status.code(), Some(0), "{so}");
    assert!(se.contains("group `mian` is no target's group"), "{se}");
}

fn status_of(table: &str, name: &str) -> String {
    table
        .lines()
        .find(|l| l.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in\n{table}"))
        .to_owned()
}

#[test]
fn targets_from_a_catalog_query() {
    let dir = tempfile::tempdir().unwrap();
    let catalog = sqlite_url(dir.path(), "catalog.db");
    let mut c = migrate_runtime::AnyConnection::establish(&catalog).unwrap();
    c.execute("CREATE TABLE tenants (slug TEXT, db TEXT, tier TEXT)")
        .unwrap();
    for (slug, tier) in [("acme", "canary"), ("globex", "main"), ("initech", "main")] {
        c.execute(&format!(
            "INSERT INTO tenants VALUES ('{slug}', '{}', '{tier}')",
            sqlite_url(dir.path(), &format!("{slug}.db"))
        ))
        .unwrap();
    }
    drop(c);
    let query = "SELECT db AS url, slug AS name, tier AS grp FROM tenants ORDER BY slug";
    let out = fleet(&["upgrade", "--catalog", &catalog, "--query", query]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(status_of(&so, "acme").contains("canary"), "{so}");
    assert!(
        status_of(&so, "initech").contains("done (6 migrations)"),
        "{so}"
    );

    // A query without a url column is refused before anything runs.
    let out = fleet(&[
        "current",
        "--catalog",
        &catalog,
        "--query",
        "SELECT slug FROM tenants",
    ]);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{se}");
    assert!(se.contains("returns no text column named `url`"), "{se}");
}

#[test]
fn bad_fleet_input_is_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let good = sqlite_url(dir.path(), "a.db");
    let cases: Vec<(String, &str)> = vec![
        (format!("{good}\nnosuch://u:pw@h/db\n"), "line 2"),
        (format!("{good}\n{good}\n"), "two targets are named"),
        (
            format!("{good} colour=red\n"),
            "not name=, group= or schema=",
        ),
        (
            "host=db password=s3cret-pw dbname=x\n".to_owned(),
            "needs a TOML targets file",
        ),
        (format!("{good} schema=tenant\n"), "only PostgreSQL"),
        ("# nothing\n".to_owned(), "no targets"),
    ];
    for (body, want) in cases {
        let f = dir.path().join("t.txt");
        std::fs::write(&f, &body).unwrap();
        let out = fleet(&["upgrade", "--targets", f.to_str().unwrap()]);
        let (so, se) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{body}: {so}{se}");
        assert!(se.contains(want) || so.contains(want), "{body}: {so}{se}");
        assert!(!se.contains("pw@") && !so.contains("pw@"), "{se}");
        assert!(!se.contains("s3cret") && !so.contains("s3cret"), "{se}");
        assert!(!se.contains("panicked"), "{se}");
    }
    // A target that cannot be reached: failed, named, before unknown, and
    // its password nowhere.
    let f = dir.path().join("t.txt");
    std::fs::write(&f, "postgres://u:s3cret-pw@127.0.0.1:1/db name=far\n").unwrap();
    let out = fleet(&["upgrade", "--targets", f.to_str().unwrap()]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{so}{se}");
    assert!(!se.contains("s3cret") && !so.contains("s3cret"), "{so}{se}");
    let row = status_of(&so, "far");
    assert!(row.contains("failed") && !row.contains("<base>"), "{row}");
    // A target relative to each database's revision is refused.
    std::fs::write(&f, format!("{good}\n")).unwrap();
    for rel in ["-1", "+1"] {
        let cmd = if rel == "-1" { "downgrade" } else { "upgrade" };
        let out = fleet(&[cmd, rel, "--targets", f.to_str().unwrap()]);
        let (_, se) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{se}");
        assert!(se.contains("is relative"), "{se}");
    }
    let out = fleet(&["upgrade", "--targets", "/nonexistent/targets.txt"]);
    assert_eq!(out.status.code(), Some(1));
    let out = fleet(&["upgrade", "--targets", "x", "--stages", "canary", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let f = dir.path().join("t.txt");
    std::fs::write(&f, format!("{good} group=main\n")).unwrap();
    let out = fleet(&[
        "upgrade",
        "--targets",
        f.to_str().unwrap(),
        "--stages",
        "canray",
    ]);
    let (_, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{se}");
    assert!(se.contains("stage `canray` is no target's group"), "{se}");
    assert!(!dir.path().join("a.db").exists(), "a bad stage ran nothing");
    // A catalog column that is not text (PostgreSQL and MySQL send numbers
    // in binary) is refused, never read as a garbled name.
    for dialect in [
        migrate_runtime::Dialect::Postgres,
        migrate_runtime::Dialect::Mysql,
    ] {
        let Some(catalog) = migrate_tests::server_url(dialect) else {
            continue;
        };
        let query = format!("SELECT '{good}' AS url, 42 AS name");
        let out = fleet(&["current", "--catalog", &catalog, "--query", &query]);
        let (so, se) = text(&out);
        assert_eq!(out.status.code(), Some(1), "{dialect}: {so}{se}");
        assert!(
            se.contains("column `name` of the catalog query holds control characters"),
            "{se}"
        );
    }
    assert!(
        !dir.path().join("a.db").exists(),
        "a bad catalog ran nothing"
    );
}

#[test]
fn tenant_schemas_lock_on_their_own_and_every_other_session_keeps_the_old_key() {
    let Some(db) = migrate_tests::postgres("fleet_keys") else {
        return;
    };
    let mut c = db.connect();
    c.execute("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
        .unwrap();
    // Another run holds the key of the version table as every earlier
    // version took it.
    c.execute(&format!("SELECT pg_advisory_lock({})", public_lock_key()))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.txt");
    std::fs::write(
        &f,
        format!(
            "{u} name=public\n{u}{sep}options=-csearch_path%3Dtenant_b name=search-path\n{u} schema=tenant_a name=tenant\n{u} schema=public name=schema-public\n",
            u = db.url,
            sep = if db.url.contains('?') { '&' } else { '?' }
        ),
    )
    .unwrap();
    let out = fleet(&[
        "upgrade",
        "--targets",
        f.to_str().unwrap(),
        "--on-error",
        "continue",
        "--lock-wait",
        "1s",
    ]);
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{so}{se}");
    // public, and a session put in another schema by its URL: the old key,
    // so they wait for the holder (a rolling deploy stays exclusive).
    assert!(status_of(&so, "public").contains("failed"), "{so}");
    assert!(status_of(&so, "search-path").contains("failed"), "{so}");
    // schema=public is the schema ordinary runs migrate: their key too.
    assert!(status_of(&so, "schema-public").contains("failed"), "{so}");
    assert_eq!(
        so.matches("waiting for another migration run").count(),
        3,
        "{so}"
    );
    // A tenant chosen with schema= has a key of its own.
    assert!(
        status_of(&so, "tenant").contains("done (6 migrations)"),
        "{so}{se}"
    );
}

#[test]
fn a_session_in_a_tenant_schema_by_its_search_path_waits_for_a_fleet_run_on_that_schema() {
    let Some(db) = migrate_tests::postgres("fleet_search_path") else {
        return;
    };
    let mut c = db.connect();
    c.execute("CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b")
        .unwrap();
    // A fleet's run on schema=tenant_a holds that schema's key.
    c.execute(&format!(
        "SELECT pg_advisory_lock({})",
        lock_key_of("tenant_a.alembic_version")
    ))
    .unwrap();
    let sep = if db.url.contains('?') { '&' } else { '?' };
    let run = |schema: &str| {
        Command::new(env!("CARGO_BIN_EXE_migrate"))
            .arg("--url")
            .arg(format!("{}{sep}options=-csearch_path%3D{schema}", db.url))
            .args(["upgrade", "head", "--lock-wait", "1s"])
            .env_remove("DATABASE_URL")
            .output()
            .expect("run migrate")
    };
    // A replica whose URL puts it in tenant_a migrates that schema too: it waits.
    let out = run("tenant_a");
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{so}{se}");
    assert!(se.contains("advisory locks"), "{se}");
    // In tenant_b nothing holds it.
    let out = run("tenant_b");
    let (so, se) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{so}{se}");
}
