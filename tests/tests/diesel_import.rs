//! From diesel_migrations to this tool: a directory made with diesel's
//! conventions is applied by diesel_migrations' own `FileBasedMigrations` and
//! `run_pending_migrations` (all of it, and half of it), imported with
//! `migrate import diesel` into a real fixture crate, and `migrate upgrade
//! head` then adopts each database where diesel left it, runs nothing diesel
//! ran, and applies what follows, a new migration included.

use std::path::Path;

use diesel_migrations::{FileBasedMigrations, MigrationHarness};
use migrate_runtime::prelude::*;
use migrate_tests::fixture::{migration, write_crate};
use migrate_tests::{mysql, postgres, sqlite, table_exists, TestDb};

/// The fixtures share a target directory, where every `migrate` binary lands
/// at `debug/migrate`: one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn migrate(dir: &Path, args: &[&str]) -> (bool, String, String) {
    migrate_tests::fixture::migrate(dir, &[], args)
}

/// Writes one diesel migration folder, as diesel's CLI lays it out.
fn diesel_migration(root: &Path, folder: &str, up: &str, down: &str, no_transaction: bool) {
    let d = root.join(folder);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("up.sql"), up).unwrap();
    std::fs::write(d.join("down.sql"), down).unwrap();
    if no_transaction {
        std::fs::write(d.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
    }
}

/// diesel's directory: SQL that SQLite and MariaDB both take, or, for
/// PostgreSQL, with the setup folder diesel's CLI writes there first and an
/// index built concurrently (outside a transaction).
fn diesel_dir(root: &Path, pg: bool) -> Vec<&'static str> {
    std::fs::create_dir_all(root).unwrap();
    // diesel's CLI leaves a .keep file; diesel ignores files.
    std::fs::write(root.join(".keep"), "").unwrap();
    let mut versions = Vec::new();
    if pg {
        diesel_migration(
            root,
            "00000000000000_diesel_initial_setup",
            "-- Helper functions diesel's CLI sets up for PostgreSQL projects.\n\
             CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$\n\
             BEGIN\n    EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s\n\
                             FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);\nEND;\n$$ LANGUAGE plpgsql;\n\n\
             CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$\n\
             BEGIN\n    IF (NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN\n\
                     NEW.updated_at := current_timestamp;\n    END IF;\n    RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n",
            "DROP FUNCTION IF EXISTS diesel_manage_updated_at(_tbl regclass);\nDROP FUNCTION IF EXISTS diesel_set_updated_at();\n",
            false,
        );
        versions.push("00000000000000");
    }
    diesel_migration(
        root,
        "2024-01-01-120000_create_users",
        "-- Your SQL goes here\nCREATE TABLE users (\n  id INTEGER PRIMARY KEY,\n  name VARCHAR(100) NOT NULL\n);\nINSERT INTO users (id, name) VALUES (1, 'seed \"quoted\"#');\n",
        "DROP TABLE users;\n",
        false,
    );
    diesel_migration(
        root,
        "2024-01-02-093000_add_email",
        "ALTER TABLE users ADD COLUMN email VARCHAR(255);\n",
        "ALTER TABLE users DROP COLUMN email;\n",
        false,
    );
    diesel_migration(
        root,
        "2024-01-03-101500_create_posts",
        "CREATE TABLE posts (\n  id INTEGER PRIMARY KEY,\n  user_id INTEGER NOT NULL REFERENCES users (id),\n  title VARCHAR(200) NOT NULL\n);\n",
        "DROP TABLE posts;\n",
        false,
    );
    versions.extend(["20240101120000", "20240102093000", "20240103101500"]);
    if pg {
        diesel_migration(
            root,
            "2024-01-04-080000_index_posts",
            "CREATE INDEX CONCURRENTLY ix_posts_user ON posts (user_id);\n",
            "DROP INDEX CONCURRENTLY ix_posts_user;\n",
            true,
        );
        versions.push("20240104080000");
    }
    versions
}

/// Applies diesel's directory with diesel's own harness: all of it, or the
/// first `steps` migrations.
fn diesel_applies(db: &TestDb, root: &Path, steps: Option<usize>) {
    let source = FileBasedMigrations::from_path(root).expect("diesel reads the directory");
    let mut any = db.connect();
    macro_rules! go {
        ($c:expr) => {
            match steps {
                None => {
                    $c.run_pending_migrations(source)
                        .expect("diesel applies it");
                }
                Some(n) => {
                    for _ in 0..n {
                        $c.run_next_migration(source.clone())
                            .expect("diesel applies one");
                    }
                }
            }
        };
    }
    #[allow(unreachable_patterns)]
    match &mut any {
        #[cfg(feature = "sqlite")]
        AnyConnection::Sqlite(c) => go!(c),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => go!(c),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => go!(c),
        _ => unreachable!("a backend this build has"),
    }
}

fn texts(db: &TestDb, sql: &str) -> Vec<String> {
    db.connect()
        .query_text(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .flatten()
        .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .collect();
    v.sort();
    v
}

/// One fixture crate: diesel migrates `dbs` (the first fully, the others
/// halfway), the directory is imported, a new migration follows, and
/// `upgrade head` finishes every one.
fn import_and_adopt(pg: bool, dbs: Vec<TestDb>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let crate_dir = tmp.path().join("fixture");
    write_crate(&crate_dir, true);
    let diesel = tmp.path().join("diesel-migrations");
    let versions = diesel_dir(&diesel, pg);
    let head = *versions.last().unwrap();
    for (i, db) in dbs.iter().enumerate() {
        diesel_applies(db, &diesel, if i == 0 { None } else { Some(2) });
    }

    // The import, from the service's own binary built with an empty chain.
    let diesel_arg = diesel.display().to_string();
    let (ok, _, err) = migrate(&crate_dir, &["import", "diesel", &diesel_arg]);
    assert!(ok, "{err}");
    let migrations = crate_dir.join("migrations");
    let mut expected: Vec<String> = Vec::new();
    if pg {
        expected.push("00000000000000_diesel_initial_setup.rs".into());
    }
    expected.extend([
        "20240101120000_create_users.rs".into(),
        "20240102093000_add_email.rs".into(),
        "20240103101500_create_posts.rs".into(),
    ]);
    if pg {
        expected.push("20240104080000_index_posts.rs".into());
    }
    assert_eq!(files(&migrations), expected, "{err}");
    let users = std::fs::read_to_string(migrations.join("20240101120000_create_users.rs")).unwrap();
    assert!(
        users.contains("revision = \"20240101120000\"")
            && users.contains("create_date = \"2024-01-01 12:00:00\"")
            && users.contains("op.execute(r##\"-- Your SQL goes here")
            && users.contains("DROP TABLE users;"),
        "{users}"
    );
    if pg {
        let setup =
            std::fs::read_to_string(migrations.join("00000000000000_diesel_initial_setup.rs"))
                .unwrap();
        assert!(
            setup.contains("down_revision = None")
                && setup.contains("execute_per_dialect().postgres("),
            "{setup}"
        );
        let index =
            std::fs::read_to_string(migrations.join("20240104080000_index_posts.rs")).unwrap();
        assert!(
            index.contains("transaction = false")
                && index.contains("down_revision = \"20240103101500\""),
            "{index}"
        );
    }

    // Again: nothing new, nothing written over; with --force, written again.
    let (ok, _, err) = migrate(&crate_dir, &["import", "diesel", &diesel_arg]);
    assert!(ok && err.contains("Nothing new to import"), "{err}");
    let (ok, _, err) = migrate(&crate_dir, &["import", "diesel", &diesel_arg, "--force"]);
    assert!(
        ok && err.contains("20240101120000_create_users.rs"),
        "{err}"
    );

    // Before anything is written to them: where diesel left each database.
    for (i, db) in dbs.iter().enumerate() {
        let (ok, out, err) = migrate(&crate_dir, &["--url", &db.url, "current"]);
        assert!(ok, "{err}");
        let at = if i == 0 { head } else { versions[1] };
        assert!(out.contains(at), "{}: {out}{err}", db.dialect);
    }

    // A migration of our own after the imported ones; its build includes it.
    std::fs::write(
        migrations.join("e5f6a7b8c9d0_after_diesel.rs"),
        migration("e5f6a7b8c9d0", Some(head)),
    )
    .unwrap();
    // An import that would not continue the directory any more is refused.
    let (ok, _, err) = migrate(&crate_dir, &["import", "diesel", &diesel_arg]);
    assert!(
        !ok && err.contains("are not this diesel directory's"),
        "{err}"
    );

    for (i, db) in dbs.iter().enumerate() {
        let d = db.dialect;
        let (ok, _, err) = migrate(&crate_dir, &["--url", &db.url, "upgrade", "head"]);
        assert!(ok, "{d}: {err}");
        let ran: Vec<&str> = err
            .lines()
            .filter(|l| l.contains("Running upgrade"))
            .collect();
        let first_pending = if i == 0 { versions.len() } else { 2 };
        assert_eq!(ran.len(), versions.len() + 1 - first_pending, "{d}: {err}");
        assert!(
            ran.last()
                .is_some_and(|l| l.contains(&format!("{head} -> e5f6a7b8c9d0"))),
            "{d}: {err}"
        );
        // diesel's seed row once: nothing diesel ran was run again.
        assert_eq!(
            texts(db, "SELECT name AS v FROM users"),
            ["seed \"quoted\"#"],
            "{d}"
        );
        let mut conn = db.connect();
        assert!(table_exists(&mut conn, "posts"), "{d}");
        assert!(table_exists(&mut conn, "t_e5f6a7b8c9d0"), "{d}");
        drop(conn);
        // What diesel ran is adopted in the ledger, what ran here is applied.
        let states = texts(
            db,
            "SELECT CONCAT(revision, ':', state) AS v FROM alembic_version_log ORDER BY seq",
        );
        let mut want: Vec<String> = versions
            .iter()
            .enumerate()
            .map(|(k, v)| {
                format!(
                    "{v}:{}",
                    if k < first_pending {
                        "adopted"
                    } else {
                        "applied"
                    }
                )
            })
            .collect();
        want.push("e5f6a7b8c9d0:applied".into());
        assert_eq!(states, want, "{d}");
        let (ok, out, err) = migrate(&crate_dir, &["--url", &db.url, "current"]);
        assert!(ok && out.trim() == "e5f6a7b8c9d0 (head)", "{d}: {out}{err}");
        // And back down through what diesel had applied.
        let (ok, _, err) = migrate(&crate_dir, &["--url", &db.url, "downgrade", "base"]);
        assert!(ok, "{d}: {err}");
        let mut conn = db.connect();
        assert!(!table_exists(&mut conn, "users"), "{d}");
    }
}

#[test]
fn a_diesel_directory_is_imported_and_its_databases_adopted() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // SQLite and MariaDB share a directory of SQL both take.
    let mut dbs = vec![sqlite("diesel_full"), sqlite("diesel_half")];
    dbs.extend(mysql("diesel_full"));
    dbs.extend(mysql("diesel_half"));
    import_and_adopt(false, dbs);
    let pg: Vec<TestDb> = postgres("diesel_full")
        .into_iter()
        .chain(postgres("diesel_half"))
        .collect();
    if !pg.is_empty() {
        import_and_adopt(true, pg);
    }
}
