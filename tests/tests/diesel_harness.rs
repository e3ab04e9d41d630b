//! The chain through diesel's own `MigrationHarness` (feature
//! `diesel-migrations`): `run_pending_migrations` leaves the schema
//! `migrate upgrade` leaves, a second run does nothing, `revert_last_migration`
//! reverts one, and what the harness cannot do is refused clearly, on every
//! configured database.

use diesel::migration::MigrationSource;
use diesel_migrations::MigrationHarness;
use migrate_runtime::prelude::*;
use migrate_runtime::testing::{schema, Schema};
use migrate_runtime::{Dialect, Migrator, DEFAULT_VERSION_TABLE};
use migrate_tests::{all_backends, table_exists, TestDb};

fn users(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Varchar>("name").length(100));
    Ok(())
}
fn drop_users(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
fn email(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Varchar>>("email").length(255));
    op.create_index("ix_users_email", "users", ["email"])
        .unique();
    Ok(())
}
fn drop_email(op: &mut Op) -> Result<()> {
    op.drop_index("ix_users_email", "users");
    op.drop_column("users", "email");
    Ok(())
}
/// A change SQLite's ALTER TABLE cannot make (a table rebuild there), and rows.
fn nullable_name(op: &mut Op) -> Result<()> {
    op.alter_column("users", "name").nullable(true);
    op.bulk_insert(
        "users",
        ["id", "name", "email"],
        vec![
            row![1, "ada", "ada@example.com"],
            row![2, "grace", "g@example.com"],
        ],
    );
    Ok(())
}
fn not_null_name(op: &mut Op) -> Result<()> {
    op.execute("DELETE FROM users");
    op.alter_column("users", "name").nullable(false);
    Ok(())
}

fn chain() -> Chain {
    Chain::new(vec![
        Migration::new("a1b2c3d4e5f6", None, "users", users, Some(drop_users)),
        Migration::new(
            "b2c3d4e5f6a1",
            Some("a1b2c3d4e5f6"),
            "email",
            email,
            Some(drop_email),
        ),
        Migration::new(
            "c3d4e5f6a1b2",
            Some("b2c3d4e5f6a1"),
            "nullable name, seed rows",
            nullable_name,
            Some(not_null_name),
        ),
    ])
    .expect("valid chain")
}

/// The schema without diesel's own table, which only the harness writes.
fn tables(db: &TestDb) -> Schema {
    let mut s = schema(&mut db.connect(), DEFAULT_VERSION_TABLE).expect("read schema");
    s.tables.remove("__diesel_schema_migrations");
    s
}

/// Runs `f` with diesel's own connection to `db`, whatever its backend.
macro_rules! with_diesel {
    ($db:expr, |$c:ident| $body:expr) => {{
        let mut any = $db.connect();
        #[allow(unreachable_patterns)]
        match &mut any {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql($c) => $body,
            _ => unreachable!("a backend this build has"),
        }
    }};
}

fn diesel_versions(db: &TestDb) -> Vec<String> {
    let mut v: Vec<String> = db
        .connect()
        .query_text("SELECT version AS v FROM __diesel_schema_migrations")
        .expect("read diesel's table")
        .into_iter()
        .flatten()
        .collect();
    v.sort();
    v
}

fn names(db: &TestDb) -> Vec<String> {
    let mut c = db.connect();
    let mut v: Vec<String> = c
        .query_text("SELECT name AS v FROM users ORDER BY id")
        .expect("read users")
        .into_iter()
        .flatten()
        .collect();
    v.sort();
    v
}

#[test]
fn run_pending_migrations_applies_the_chain_as_upgrade_does_and_reverts_one() {
    let c = chain();
    for (harnessed, reference) in all_backends("harness")
        .into_iter()
        .zip(all_backends("harness_ref"))
    {
        let d = harnessed.dialect;
        let ran: Vec<String> = with_diesel!(harnessed, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.iter().map(|v| v.to_string()).collect())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(
            ran,
            [
                "000001_a1b2c3d4e5f6",
                "000002_b2c3d4e5f6a1",
                "000003_c3d4e5f6a1b2"
            ],
            "{d}"
        );
        assert_eq!(diesel_versions(&harnessed), ran, "{d}");
        // Only diesel's table: no version table, no ledger.
        let mut conn = harnessed.connect();
        assert!(!table_exists(&mut conn, DEFAULT_VERSION_TABLE), "{d}");
        assert!(!table_exists(&mut conn, "alembic_version_log"), "{d}");
        drop(conn);

        Migrator::new(&c)
            .upgrade(&mut reference.connect(), "head")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(tables(&harnessed), tables(&reference), "{d}");
        assert_eq!(names(&harnessed), ["ada", "grace"], "{d}");

        // Again: nothing pending, nothing runs.
        let again = with_diesel!(harnessed, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.len())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(again, 0, "{d}");
        assert!(
            !with_diesel!(harnessed, |conn| conn.has_pending_migration(&c).unwrap()),
            "{d}"
        );

        // Reverting one: the last, and the schema is the one a downgrade gives.
        let reverted = with_diesel!(harnessed, |conn| conn
            .revert_last_migration(&c)
            .map(|v| v.to_string())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(reverted, "000003_c3d4e5f6a1b2", "{d}");
        assert_eq!(
            diesel_versions(&harnessed),
            ["000001_a1b2c3d4e5f6", "000002_b2c3d4e5f6a1"],
            "{d}"
        );
        Migrator::new(&c)
            .downgrade(&mut reference.connect(), "-1")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(tables(&harnessed), tables(&reference), "{d}");
        assert!(names(&harnessed).is_empty(), "{d}");

        // And forward again, the same.
        with_diesel!(harnessed, |conn| conn
            .run_next_migration(&c)
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        Migrator::new(&c)
            .upgrade(&mut reference.connect(), "head")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(tables(&harnessed), tables(&reference), "{d}");
    }
}

#[test]
fn versions_sort_in_chain_order_whatever_the_revision_ids() {
    // Ids that sort the other way round: diesel orders by version, as strings.
    fn t(name: &'static str) -> impl Fn(&mut Op) -> Result<()> {
        move |op| {
            op.create_table(name).column(col::<Integer>("id"));
            Ok(())
        }
    }
    let c = Chain::new(vec![
        Migration::new("zz", None, "z", |op| t("tz")(op), None),
        Migration::new("mm", Some("zz"), "m", |op| t("tm")(op), None),
        Migration::new("aa", Some("mm"), "a", |op| t("ta")(op), None),
    ])
    .unwrap();
    let db = migrate_tests::sqlite("harness_order");
    let versions: Vec<String> = <Chain as MigrationSource<diesel::sqlite::Sqlite>>::migrations(&c)
        .unwrap()
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let mut sorted = versions.clone();
    sorted.sort();
    assert_eq!(versions, sorted);
    let ran = with_diesel!(db, |conn| conn
        .run_pending_migrations(&c)
        .map(|v| v.iter().map(|v| v.to_string()).collect::<Vec<_>>())
        .unwrap());
    assert_eq!(ran, ["000001_zz", "000002_mm", "000003_aa"]);
}

#[test]
fn a_data_step_is_refused_naming_the_revision_and_what_to_use() {
    fn backfill(op: &mut Op) -> Result<()> {
        op.run("backfill names", |conn| {
            conn.execute("UPDATE users SET name = 'x'")
        });
        Ok(())
    }
    let c = Chain::new(vec![
        Migration::new("a1b2c3d4e5f6", None, "users", users, Some(drop_users)),
        Migration::new(
            "d4e5f6a1b2c3",
            Some("a1b2c3d4e5f6"),
            "backfill",
            backfill,
            None,
        ),
    ])
    .unwrap();
    for db in all_backends("harness_data") {
        let d = db.dialect;
        let err = with_diesel!(db, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.len())
            .expect_err("a data step cannot run in the harness"))
        .to_string();
        assert!(
            err.contains("d4e5f6a1b2c3")
                && err.contains("data step")
                && err.contains("migrate upgrade"),
            "{d}: {err}"
        );
        // The migration before it was applied and recorded; the data step's was not.
        assert_eq!(diesel_versions(&db), ["000001_a1b2c3d4e5f6"], "{d}");
        // `migrate upgrade` then takes over from what the harness applied.
        let steps = Migrator::new(&c)
            .upgrade(&mut db.connect(), "head")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        assert_eq!(steps.len(), 1, "{d}");
    }
}

#[test]
fn a_database_migrate_manages_is_refused_and_so_is_a_reordered_chain() {
    let c = chain();
    for db in all_backends("harness_refusals") {
        let d = db.dialect;
        Migrator::new(&c)
            .upgrade(&mut db.connect(), "+1")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        let err = with_diesel!(db, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.len())
            .expect_err("migrate manages it"))
        .to_string();
        assert!(
            err.contains("alembic_version") && err.contains("nothing was run"),
            "{d}: {err}"
        );
    }
    // A migration re-pointed below one the harness applied: it would run out of order.
    let first = Chain::new(vec![
        Migration::new("a1b2c3d4e5f6", None, "users", users, Some(drop_users)),
        Migration::new(
            "c3d4e5f6a1b2",
            Some("a1b2c3d4e5f6"),
            "email",
            email,
            Some(drop_email),
        ),
    ])
    .unwrap();
    let merged = Chain::new(vec![
        Migration::new("a1b2c3d4e5f6", None, "users", users, Some(drop_users)),
        Migration::new(
            "b0b0b0b0b0b0",
            Some("a1b2c3d4e5f6"),
            "other",
            |op| {
                op.create_table("other").column(col::<Integer>("id"));
                Ok(())
            },
            None,
        ),
        Migration::new(
            "c3d4e5f6a1b2",
            Some("b0b0b0b0b0b0"),
            "email",
            email,
            Some(drop_email),
        ),
    ])
    .unwrap();
    for db in all_backends("harness_reordered") {
        let d = db.dialect;
        with_diesel!(db, |conn| conn
            .run_pending_migrations(&first)
            .map(|_| ())
            .unwrap());
        let err = with_diesel!(db, |conn| conn
            .run_pending_migrations(&merged)
            .map(|v| v.len())
            .expect_err("out of order"))
        .to_string();
        assert!(
            err.contains("b0b0b0b0b0b0") && err.contains("000002_c3d4e5f6a1b2"),
            "{d}: {err}"
        );
        let mut conn = db.connect();
        assert!(!table_exists(&mut conn, "other"), "{d}");
    }
}

#[test]
fn migrations_diesel_applied_from_the_imported_directory_are_not_run_again() {
    // The chain `import diesel` makes: revision ids are diesel's versions.
    fn up1(op: &mut Op) -> Result<()> {
        op.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)");
        Ok(())
    }
    fn down1(op: &mut Op) -> Result<()> {
        op.execute("DROP TABLE users");
        Ok(())
    }
    fn up2(op: &mut Op) -> Result<()> {
        op.execute("INSERT INTO users (id, name) VALUES (1, 'seed')");
        Ok(())
    }
    fn down2(op: &mut Op) -> Result<()> {
        op.execute("DELETE FROM users");
        Ok(())
    }
    fn posts(op: &mut Op) -> Result<()> {
        op.create_table("posts")
            .column(col::<Integer>("id").primary_key());
        Ok(())
    }
    fn drop_posts(op: &mut Op) -> Result<()> {
        op.drop_table("posts");
        Ok(())
    }
    let c = Chain::new(vec![
        Migration::new("20240101120000", None, "create users", up1, Some(down1)),
        Migration::new(
            "20240102093000",
            Some("20240101120000"),
            "seed",
            up2,
            Some(down2),
        ),
        // Typed, on a table of its own: the offline sink knows only the tables
        // the chain's typed operations made (see the README's harness limits).
        Migration::new(
            "e5f6a7b8c9d0",
            Some("20240102093000"),
            "posts",
            posts,
            Some(drop_posts),
        ),
    ])
    .unwrap();
    for db in all_backends("harness_adopts") {
        let d = db.dialect;
        // diesel applies both migrations of its directory: two rows, as every
        // database diesel migrated has (PostgreSQL's also have its initial setup).
        let tmp = tempfile::tempdir().unwrap();
        for (folder, up, down) in [
            (
                "2024-01-01-120000_create_users",
                "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL);",
                "DROP TABLE users;",
            ),
            (
                "2024-01-02-093000_seed",
                "INSERT INTO users (id, name) VALUES (1, 'seed');",
                "DELETE FROM users;",
            ),
        ] {
            let dir = tmp.path().join(folder);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("up.sql"), up).unwrap();
            std::fs::write(dir.join("down.sql"), down).unwrap();
        }
        let files = diesel_migrations::FileBasedMigrations::from_path(tmp.path()).unwrap();
        with_diesel!(db, |conn| conn
            .run_pending_migrations(files)
            .map(|_| ())
            .unwrap());
        assert_eq!(
            diesel_versions(&db),
            ["20240101120000", "20240102093000"],
            "{d}"
        );

        let ran = with_diesel!(db, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.iter().map(|v| v.to_string()).collect::<Vec<_>>())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(ran.len(), 3, "{d}");
        // diesel's rows gave way to the harness's; users was neither created
        // twice nor seeded twice.
        assert_eq!(
            diesel_versions(&db),
            [
                "000001_20240101120000",
                "000002_20240102093000",
                "000003_e5f6a7b8c9d0"
            ],
            "{d}"
        );
        assert_eq!(names(&db), ["seed"], "{d}");
        // Reverting now reverts the last of the chain, as diesel orders them.
        let reverted = with_diesel!(db, |conn| conn
            .revert_last_migration(&c)
            .map(|v| v.to_string())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(reverted, "000003_e5f6a7b8c9d0", "{d}");
    }
}

/// A one-connection r2d2 pool of diesel connection `C` to `url`.
fn pooled<C>(url: &str) -> diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<C>>
where
    C: diesel::r2d2::R2D2Connection + 'static,
{
    diesel::r2d2::Pool::builder()
        .max_size(1)
        .build(diesel::r2d2::ConnectionManager::<C>::new(url))
        .unwrap()
        .get()
        .unwrap()
}

/// Runs `f` with an r2d2 pooled connection to `db`, whatever its backend.
macro_rules! with_pooled {
    ($db:expr, |$c:ident| $body:expr) => {{
        match $db.dialect {
            // diesel's SQLite connection takes a path, not our URL.
            #[cfg(feature = "sqlite")]
            Dialect::Sqlite => {
                let mut $c =
                    pooled::<diesel::SqliteConnection>($db.url.trim_start_matches("sqlite://"));
                $body
            }
            #[cfg(feature = "postgres")]
            Dialect::Postgres => {
                let mut $c = pooled::<diesel::PgConnection>(&$db.url);
                $body
            }
            #[cfg(feature = "mysql")]
            Dialect::Mysql => {
                let mut $c = pooled::<diesel::MysqlConnection>(&$db.url);
                $body
            }
            #[allow(unreachable_patterns)]
            _ => unreachable!("a backend this build has"),
        }
    }};
}

#[test]
fn through_an_r2d2_pooled_connection_the_checks_still_run() {
    let c = chain();
    for db in all_backends("harness_pooled") {
        let d = db.dialect;
        let ran = with_pooled!(db, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.len())
            .unwrap_or_else(|e| panic!("{d}: {e}")));
        assert_eq!(ran, 3, "{d}");
    }
    // Unchecked, the harness would run the first migration again here.
    for db in all_backends("harness_pooled_managed") {
        let d = db.dialect;
        Migrator::new(&c)
            .upgrade(&mut db.connect(), "+1")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        let err = with_pooled!(db, |conn| conn
            .run_pending_migrations(&c)
            .map(|v| v.len())
            .expect_err("migrate manages it"))
        .to_string();
        assert!(
            err.contains("alembic_version") && err.contains("nothing was run"),
            "{d}: {err}"
        );
    }
}

#[test]
fn another_applications_diesel_table_is_refused_until_stamped_beside_it() {
    let c = chain();
    for db in all_backends("harness_other_app") {
        let d = db.dialect;
        let mut conn = db.connect();
        conn.execute("CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY, run_on TIMESTAMP)")
            .unwrap();
        conn.execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('20200101000000')")
            .unwrap();
        let e = Migrator::new(&c).upgrade(&mut conn, "head").unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains("20200101000000"), "{d}: {text}");
        assert!(text.contains("stamp base --purge"), "{d}: {text}");
        assert!(!table_exists(&mut conn, "users"), "{d}: nothing ran");
        Migrator::new(&c).stamp(&mut conn, "base", true).unwrap();
        Migrator::new(&c)
            .upgrade(&mut conn, "head")
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        assert!(table_exists(&mut conn, "users"), "{d}");
        // The other application's row is its own.
        assert_eq!(diesel_versions(&db), ["20200101000000"], "{d}");
    }
}
