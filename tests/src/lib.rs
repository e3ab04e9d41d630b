//! Test helpers: an isolated database per test on every backend that is
//! configured, and a counting chain for executor tests.
//!
//! SQLite always runs (a file in a temporary directory). PostgreSQL and MariaDB
//! run when `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL` are set; then
//! an unreachable server fails the test, it never skips. Each test gets its own
//! database, dropped at the end.

use std::sync::atomic::{AtomicUsize, Ordering};

use migrate_runtime::testing::TempDatabase;

use migrate_runtime::prelude::*;
use migrate_runtime::AnyConnection;

/// A database for one test, dropped at the end.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// Its dialect.
    pub dialect: Dialect,
    _db: TempDatabase,
}

impl TestDb {
    /// Connects to it.
    pub fn connect(&self) -> AnyConnection {
        match AnyConnection::establish(&self.url) {
            Ok(c) => c,
            Err(e) => panic!("cannot connect to test database {}: {e}", self.url),
        }
    }
}

fn server_db(env: &str, dialect: Dialect) -> Option<TestDb> {
    let admin = std::env::var(env).ok().filter(|s| !s.is_empty())?;
    let db = TempDatabase::create(&admin).unwrap_or_else(|e| {
        panic!("{env} is set but no test database could be created there: {e}")
    });
    Some(TestDb {
        url: db.url().to_owned(),
        dialect,
        _db: db,
    })
}

/// A fresh SQLite database file.
pub fn sqlite(_test: &str) -> TestDb {
    let db = TempDatabase::create("sqlite://").expect("temporary SQLite database");
    TestDb {
        url: db.url().to_owned(),
        dialect: Dialect::Sqlite,
        _db: db,
    }
}

/// A fresh PostgreSQL database, when `MIGRATE_TEST_POSTGRES_URL` is set.
pub fn postgres(_test: &str) -> Option<TestDb> {
    if cfg!(feature = "postgres") {
        server_db("MIGRATE_TEST_POSTGRES_URL", Dialect::Postgres)
    } else {
        assert!(
            std::env::var("MIGRATE_TEST_POSTGRES_URL").is_err(),
            "MIGRATE_TEST_POSTGRES_URL is set but this build lacks the postgres feature: run with --all-features"
        );
        None
    }
}

/// A fresh MySQL/MariaDB database, when `MIGRATE_TEST_MYSQL_URL` is set.
pub fn mysql(_test: &str) -> Option<TestDb> {
    if cfg!(feature = "mysql") {
        server_db("MIGRATE_TEST_MYSQL_URL", Dialect::Mysql)
    } else {
        assert!(
            std::env::var("MIGRATE_TEST_MYSQL_URL").is_err(),
            "MIGRATE_TEST_MYSQL_URL is set but this build lacks the mysql feature: run with --all-features"
        );
        None
    }
}

/// One fresh database per configured backend: SQLite always, then PostgreSQL and MariaDB when configured.
pub fn all_backends(test: &str) -> Vec<TestDb> {
    let mut v = vec![sqlite(test)];
    v.extend(postgres(test));
    v.extend(mysql(test));
    v
}

/// Which migration of the counting chain fails (0 = none), for fault injection.
pub static FAIL_AT: AtomicUsize = AtomicUsize::new(0);
/// Which migration sleeps before its DDL (0 = none), to kill a process mid-run.
pub static SLOW_AT: AtomicUsize = AtomicUsize::new(0);
/// How long the slow migration sleeps, in milliseconds.
pub static SLOW_MS: AtomicUsize = AtomicUsize::new(3000);

fn counted(op: &mut Op, n: usize) -> Result<()> {
    if n == 1 {
        op.create_table("applied")
            .if_not_exists()
            .column(col::<Varchar>("rev").length(8))
            .column(col::<Integer>("n"));
    }
    if SLOW_AT.load(Ordering::SeqCst) == n {
        op.run("sleep", |_| {
            std::thread::sleep(std::time::Duration::from_millis(
                SLOW_MS.load(Ordering::SeqCst) as u64,
            ));
            Ok(())
        });
    }
    // if_not_exists: on MySQL, DDL commits at once, so a re-run after a failure
    // in this migration must tolerate the table it already created.
    op.create_table(format!("t{n}"))
        .if_not_exists()
        .column(col::<Integer>("id"));
    if FAIL_AT.load(Ordering::SeqCst) == n {
        op.execute("INSERT INTO no_such_table VALUES (1)");
    }
    op.bulk_insert(
        "applied",
        ["rev", "n"],
        vec![row![format!("r{n}"), n as i32]],
    );
    Ok(())
}

fn uncounted(op: &mut Op, n: usize) -> Result<()> {
    op.drop_table(format!("t{n}"));
    op.execute(format!("DELETE FROM applied WHERE n = {n}"));
    if n == 1 {
        op.drop_table("applied");
    }
    Ok(())
}

macro_rules! counting {
    ($($n:literal),*) => {
        /// Ten migrations `r1`..`r10`; each creates table `t<N>` and inserts `(r<N>, N)`
        /// into `applied`, so tests can count how often each ran.
        pub fn counting_chain() -> Chain {
            Chain::new(vec![$(
                Migration::new(
                    concat!("r", $n),
                    if $n == 1 { None } else { Some(PARENTS[$n]) },
                    concat!("step ", $n),
                    |op| counted(op, $n),
                    Some(|op| uncounted(op, $n)),
                ),
            )*]).expect("valid chain")
        }
    };
}

const PARENTS: [&str; 11] = ["", "", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"];

counting!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

/// How many rows `applied` holds, and how many distinct revisions.
pub fn applied_counts(conn: &mut AnyConnection) -> (usize, usize) {
    let all = conn
        .query_text("SELECT rev AS v FROM applied")
        .expect("read applied");
    let mut distinct: Vec<_> = all.clone();
    distinct.sort();
    distinct.dedup();
    (all.len(), distinct.len())
}

/// Whether `table` exists.
pub fn table_exists(conn: &mut AnyConnection, table: &str) -> bool {
    let sql = match conn.dialect() {
        Dialect::Sqlite => format!("SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
        Dialect::Postgres => format!("SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '{table}'"),
        Dialect::Mysql => format!("SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"),
    };
    !conn.query_text(&sql).expect("introspect").is_empty()
}
