//! A service's start-up upgrade: the URL found as `migrate` finds it, a
//! SQLite backup first, and each migration's line in the service's own log.
//! Its own test binary: it installs the process's logger and sets
//! `DATABASE_URL`, which no other test may see.

use std::sync::Mutex;

use migrate_runtime::prelude::*;
use migrate_runtime::{Migrator, Startup};

static LINES: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        LINES.lock().unwrap_or_else(|e| e.into_inner()).push((
            r.level(),
            r.target().to_owned(),
            r.args().to_string(),
        ));
    }
    fn flush(&self) {}
}

fn users(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name"));
    op.bulk_insert("users", ["id", "name"], vec![row![1, "ada"]]);
    Ok(())
}
fn drop_users(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
fn email(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("email"));
    Ok(())
}
fn drop_email(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    Ok(())
}

#[test]
fn a_start_up_upgrade_finds_its_url_backs_up_and_logs_each_migration() {
    let chain = Chain::new(vec![
        Migration::new("a1", None, "users", users, Some(drop_users)),
        Migration::new("b2", Some("a1"), "email", email, Some(drop_email)),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());
    let mut conn = AnyConnection::establish(&url).unwrap();
    Migrator::new(&chain).upgrade(&mut conn, "a1").unwrap();
    drop(conn);

    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    // No URL given: DATABASE_URL, as `migrate` reads it.
    std::env::set_var("DATABASE_URL", &url);
    let rev = Startup::new(&chain).backup(Some(3)).run().unwrap();
    assert_eq!(rev.as_deref(), Some("b2"));

    let lines = LINES.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let migrate: Vec<&(log::Level, String, String)> =
        lines.iter().filter(|(_, t, _)| t == "migrate").collect();
    assert!(
        migrate.iter().any(|(l, _, m)| *l == log::Level::Info
            && m.starts_with("Running upgrade a1 -> b2, email (")),
        "{lines:?}"
    );
    let backup = migrate
        .iter()
        .find_map(|(_, _, m)| m.strip_prefix("Backed up the database to "))
        .unwrap_or_else(|| panic!("no backup line: {lines:?}"));
    // The copy is the database before the upgrade: at a1, without email.
    let mut copy = AnyConnection::establish(&format!("sqlite:///{backup}")).unwrap();
    assert_eq!(
        Migrator::new(&chain).current(&mut copy).unwrap().as_deref(),
        Some("a1")
    );
    assert!(copy.query_text("SELECT email AS v FROM users").is_err());
    let name = copy.query_text("SELECT name AS v FROM users").unwrap();
    assert_eq!(name, [Some("ada".to_owned())]);

    // An empty DATABASE_URL is refused, not passed over for .env.
    std::env::set_var("DATABASE_URL", "");
    let e = Startup::new(&chain).run().unwrap_err();
    assert!(
        e.to_string().contains("DATABASE_URL is set but empty"),
        "{e}"
    );
    // What `main` prints for a returned error: the message and its hint.
    std::env::set_var("DATABASE_URL", "nosuch://x");
    let e = Startup::new(&chain).run().unwrap_err();
    let shown = format!("{e:?}");
    assert!(shown.contains("hint:"), "{shown}");
    assert!(!shown.contains("InvalidUrl {"), "{shown}");

    // A failing upgrade still reports the backup it took: it is what the
    // service's operator restores from.
    fn broken(op: &mut Op) -> Result<()> {
        op.execute("INSERT INTO no_such_table VALUES (1)");
        Ok(())
    }
    let failing = Chain::new(vec![
        Migration::new("a1", None, "users", users, Some(drop_users)),
        Migration::new("b2", Some("a1"), "email", email, Some(drop_email)),
        Migration::new("c3", Some("b2"), "broken", broken, None),
    ])
    .unwrap();
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let e = Startup::new(&failing)
        .url(&url)
        .backup(None)
        .run()
        .unwrap_err();
    assert!(e.to_string().contains("no_such_table"), "{e}");
    let lines = LINES.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        lines
            .iter()
            .any(|(_, t, m)| t == "migrate" && m.starts_with("Backed up the database to ")),
        "{lines:?}"
    );

    // A new SQLite file is named as it is created; the version table is the
    // service's choice.
    LINES.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let fresh = dir.path().join("fresh.db");
    let fresh_url = format!("sqlite:///{}", fresh.display());
    Startup::new(&chain)
        .url(&fresh_url)
        .version_table("svc_version")
        .lock_wait(std::time::Duration::from_secs(5))
        .run()
        .unwrap();
    let lines = LINES.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        lines
            .iter()
            .any(|(_, _, m)| m == &format!("Creating the new SQLite database {}", fresh.display())),
        "{lines:?}"
    );
    let mut conn = AnyConnection::establish(&fresh_url).unwrap();
    assert_eq!(
        Migrator::new(&chain)
            .version_table("svc_version")
            .current(&mut conn)
            .unwrap()
            .as_deref(),
        Some("b2")
    );
    assert!(conn
        .query_text("SELECT version_num FROM alembic_version")
        .is_err());

    // On a server, .backup() takes no copy and says so; the service starts.
    // Migrator::backup_first refuses there before it creates anything.
    for db in migrate_tests::postgres("startup_backup")
        .into_iter()
        .chain(migrate_tests::mysql("startup_backup"))
    {
        let d = db.dialect;
        let mut conn = db.connect();
        let e = Migrator::new(&chain)
            .backup_first(None)
            .upgrade(&mut conn, "head")
            .unwrap_err();
        assert!(e.to_string().contains("SQLite databases only"), "{d}: {e}");
        assert!(
            conn.query_text("SELECT version_num FROM alembic_version")
                .is_err(),
            "{d}: nothing created"
        );
        LINES.lock().unwrap_or_else(|e| e.into_inner()).clear();
        let rev = Startup::new(&chain)
            .url(&db.url)
            .backup(Some(3))
            .run()
            .unwrap();
        assert_eq!(rev.as_deref(), Some("b2"), "{d}");
        let lines = LINES.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(
            lines
                .iter()
                .any(|(l, _, m)| *l == log::Level::Warn && m.starts_with("No backup taken")),
            "{d}: {lines:?}"
        );
    }
}
