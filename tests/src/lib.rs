//! Test helpers: an isolated database per test on every backend that is
//! configured, and a counting chain for executor tests.
//!
//! SQLite always runs (a file in a temporary directory). PostgreSQL and MariaDB
//! run when `MIGRATE_TEST_POSTGRES_URL` / `MIGRATE_TEST_MYSQL_URL` are set; then
//! an unreachable server fails the test, it never skips. Each test gets its own
//! database, dropped at the end.

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

/// The environment variable that names the test server of `dialect`, the
/// feature of its backend, and whether this build has that feature.
fn server_env(dialect: Dialect) -> Option<(&'static str, &'static str, bool)> {
    match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some((
            "MIGRATE_TEST_POSTGRES_URL",
            "postgres",
            cfg!(feature = "postgres"),
        )),
        Dialect::Mysql => Some(("MIGRATE_TEST_MYSQL_URL", "mysql", cfg!(feature = "mysql"))),
    }
}

/// The admin URL of the configured `dialect` server (`MIGRATE_TEST_POSTGRES_URL`,
/// `MIGRATE_TEST_MYSQL_URL`), `None` for SQLite or when unset. A server that is
/// configured while this build lacks its backend fails the test, never skips it.
pub fn server_url(dialect: Dialect) -> Option<String> {
    let (env, feature, built) = server_env(dialect)?;
    let url = std::env::var(env).ok().filter(|s| !s.is_empty())?;
    assert!(
        built,
        "{env} is set but this build lacks the {feature} feature: run with --all-features"
    );
    Some(url)
}

fn server_db(dialect: Dialect) -> Option<TestDb> {
    let admin = server_url(dialect)?;
    let env = server_env(dialect).map_or("", |(env, _, _)| env);
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
    server_db(Dialect::Postgres)
}

/// A fresh MySQL/MariaDB database, when `MIGRATE_TEST_MYSQL_URL` is set.
pub fn mysql(_test: &str) -> Option<TestDb> {
    server_db(Dialect::Mysql)
}

/// One fresh database per configured backend: SQLite always, then PostgreSQL and MariaDB when configured.
pub fn all_backends(test: &str) -> Vec<TestDb> {
    let mut v = vec![sqlite(test)];
    v.extend(postgres(test));
    v.extend(mysql(test));
    v
}

/// Faults to inject into the counting chain (0 = none). They belong to the
/// thread that sets them with [`inject`]: each test runs on its own thread, so
/// one test's faults never reach a test running beside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Which migration fails.
    pub fail_at: usize,
    /// Which migration sleeps for [`SLOW_MS`] before its DDL, to kill a process mid-run.
    pub slow_at: usize,
    /// Which migration runs outside a transaction and creates an index without
    /// IF NOT EXISTS, after a pause: running it twice would fail.
    pub notx_at: usize,
}

/// How long the slow migration sleeps, in milliseconds.
pub const SLOW_MS: u64 = 3000;

thread_local! {
    static FAULTS: std::cell::Cell<Faults> = const {
        std::cell::Cell::new(Faults { fail_at: 0, slow_at: 0, notx_at: 0 })
    };
}

/// Injects `faults` into the counting chain on this thread until the guard is
/// dropped (a panicking test drops it too).
pub fn inject(faults: Faults) -> FaultGuard {
    FaultGuard(FAULTS.with(|f| f.replace(faults)))
}

/// Restores the faults from before [`inject`] when dropped.
#[must_use = "the faults are removed when the guard is dropped"]
pub struct FaultGuard(Faults);

impl Drop for FaultGuard {
    fn drop(&mut self) {
        FAULTS.with(|f| f.set(self.0));
    }
}

fn faults() -> Faults {
    FAULTS.with(|f| f.get())
}

fn counted(op: &mut Op, n: usize) -> Result<()> {
    if n == 1 {
        op.create_table("applied")
            .if_not_exists()
            .column(col::<Varchar>("rev").length(8))
            .column(col::<Integer>("n"));
    }
    let f = faults();
    if f.slow_at == n {
        op.run("sleep", |_| {
            std::thread::sleep(std::time::Duration::from_millis(SLOW_MS));
            Ok(())
        });
    }
    // if_not_exists: on MySQL, DDL commits at once, so a re-run after a failure
    // in this migration must tolerate the table it already created.
    op.create_table(format!("t{n}"))
        .if_not_exists()
        .column(col::<Integer>("id"));
    if f.notx_at == n {
        op.run("pause", |_| {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(())
        });
        op.create_index(format!("ix_t{n}"), format!("t{n}"), ["id"]);
    }
    if f.fail_at == n {
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
                )
                .with_transaction(faults().notx_at != $n),
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

/// Building a real crate that depends on this workspace, as a user's would.
pub mod fixture {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    /// The workspace root.
    pub fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root")
            .to_path_buf()
    }

    /// The target directory fixture crates share, so dependencies compile once:
    /// `fixture` under `$CARGO_TARGET_DIR` when that is set, else under the
    /// system's temporary directory, never inside the checkout.
    pub fn target_dir() -> PathBuf {
        let base = std::env::var_os("CARGO_TARGET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("migrate-tests-target"));
        base.join("fixture")
    }

    /// Runs cargo in `dir` with `args`; `--quiet` goes before any `--`.
    pub fn cargo(dir: &Path, args: &[&str]) -> Output {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let split = args.iter().position(|a| *a == "--").unwrap_or(args.len());
        Command::new(cargo)
            .args(&args[..split])
            .arg("--quiet")
            .args(&args[split..])
            .current_dir(dir)
            .env("CARGO_TARGET_DIR", target_dir())
            // The fixture reads its own .env, which never overrides a variable set.
            .env_remove("DATABASE_URL")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTFLAGS")
            .output()
            .expect("run cargo")
    }

    /// A migration file creating table `t_<rev>`.
    pub fn migration(rev: &str, down: Option<&str>) -> String {
        let down = down.map_or("None".to_owned(), |d| format!("{d:?}"));
        format!(
            "use migrate_runtime::prelude::*;\n\n#[migration(revision = {rev:?}, down_revision = {down})]\nfn upgrade(op: &mut Op) -> Result<()> {{\n    op.create_table(\"t_{rev}\").column(col::<Integer>(\"id\"));\n    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n    op.drop_table(\"t_{rev}\");\n    Ok(())\n}}\n"
        )
    }

    /// Writes a crate named `fixture` in `dir` with a `migrate` binary over
    /// `migrations/`, forwarding the `postgres` and `mysql` features (and
    /// their `-bundled` forms).
    pub fn write_crate(dir: &Path, build_rs: bool) {
        std::fs::create_dir_all(dir.join("src/bin")).unwrap();
        std::fs::create_dir_all(dir.join("migrations")).unwrap();
        let runtime = workspace().join("migrate-runtime");
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"fixture\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[features]\npostgres = [\"migrate-runtime/postgres\"]\nmysql = [\"migrate-runtime/mysql\"]\npostgres-bundled = [\"migrate-runtime/postgres-bundled\"]\nmysql-bundled = [\"migrate-runtime/mysql-bundled\"]\nimport-alembic = [\"migrate-runtime/import-alembic\"]\n\n[dependencies]\nmigrate-runtime = {{ path = {:?} }}\n\n[workspace]\n",
                runtime.display().to_string()
            ),
        )
        .unwrap();
        if let Ok(lock) = std::fs::read(workspace().join("Cargo.lock")) {
            std::fs::write(dir.join("Cargo.lock"), lock).unwrap();
        }
        std::fs::write(dir.join("src/lib.rs"), "pub static MIGRATIONS: migrate_runtime::Chain = migrate_runtime::embed_migrations!(\"migrations\");\n").unwrap();
        std::fs::write(
            dir.join("src/main.rs"),
            "use fixture::MIGRATIONS;\n\nfn main() {\n    let head = MIGRATIONS.head().map_or(\"<none>\", |m| m.revision());\n    match MIGRATIONS.directory_drift() {\n        Some(d) => println!(\"{head} {} DRIFT: {d}\", MIGRATIONS.len()),\n        None => println!(\"{head} {}\", MIGRATIONS.len()),\n    }\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("src/bin/migrate.rs"),
            "fn main() {\n    migrate_runtime::cli::main(&fixture::MIGRATIONS)\n}\n",
        )
        .unwrap();
        if build_rs {
            std::fs::write(
                dir.join("build.rs"),
                "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n}\n",
            )
            .unwrap();
        }
    }

    /// Runs the fixture crate's `migrate` binary in `dir` (`cargo run --offline
    /// --bin migrate`) with this build's backend features and `extra` ones:
    /// whether it succeeded, its standard output and its standard error.
    /// Fixtures share one target directory, where every `migrate` binary lands
    /// at `debug/migrate`: a test binary runs its fixture tests one at a time.
    pub fn migrate(dir: &Path, extra: &[&str], args: &[&str]) -> (bool, String, String) {
        let mut feats: Vec<String> = features()
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect();
        feats.extend(extra.iter().map(|f| (*f).to_owned()));
        let feats = feats.join(",");
        let mut all = vec!["run", "--offline", "--bin", "migrate"];
        if !feats.is_empty() {
            all.extend(["--features", feats.as_str()]);
        }
        all.push("--");
        all.extend(args);
        let out = cargo(dir, &all);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The features to build fixtures with, matching this test build.
    pub fn features() -> String {
        let mut f = Vec::new();
        if cfg!(feature = "postgres") {
            f.push("postgres");
        }
        if cfg!(feature = "mysql") {
            f.push("mysql");
        }
        // A bundled test build builds its fixtures bundled too: no system
        // client library is needed anywhere.
        if cfg!(feature = "postgres-bundled") {
            f.push("postgres-bundled");
        }
        if cfg!(feature = "mysql-bundled") {
            f.push("mysql-bundled");
        }
        f.join(",")
    }
}

/// Real Alembic, for the tests that compare with it or start from it.
pub mod alembic {
    use std::path::PathBuf;
    use std::process::Command;

    use migrate_runtime::prelude::Dialect;

    use crate::TestDb;

    /// A virtualenv with Alembic and the drivers, made once per target directory.
    pub fn alembic() -> PathBuf {
        // Two tests of one binary may ask at once: one makes it.
        static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _one = MAKING.lock().unwrap_or_else(|e| e.into_inner());
        let venv = target_tmpdir().join("alembic-venv");
        let bin = venv.join("bin/alembic");
        if bin.exists() {
            return bin;
        }
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "python3 -m venv {} failed", venv.display());
        let out = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "alembic==1.20.1",
                "SQLAlchemy==2.1.9",
                "psycopg2-binary==2.9.13",
                "PyMySQL==1.1.2",
            ])
            .output()
            .expect("run pip");
        assert!(
            out.status.success(),
            "pip install alembic failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        bin
    }

    /// An env.py that runs the migrations on `sqlalchemy.url`.
    pub const ENV_PY: &str = r#"from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(
    config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool
)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
"#;

    /// The URL in SQLAlchemy's form, with the drivers installed above.
    pub fn sqlalchemy_url(db: &TestDb) -> String {
        match db.dialect {
            Dialect::Sqlite => db.url.clone(),
            Dialect::Postgres => db.url.replacen("postgres://", "postgresql+psycopg2://", 1),
            Dialect::Mysql => db.url.replacen("mysql://", "mysql+pymysql://", 1),
        }
    }

    /// Where the virtualenv is made: beside the fixtures, outside the checkout.
    fn target_tmpdir() -> PathBuf {
        crate::fixture::target_dir().join("tmp")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_stay_on_the_thread_that_injects_them_until_the_guard_drops() {
        let guard = inject(Faults {
            fail_at: 6,
            ..Faults::default()
        });
        assert_eq!(faults().fail_at, 6);
        let elsewhere = std::thread::spawn(faults).join().unwrap();
        assert_eq!(elsewhere, Faults::default());
        drop(guard);
        assert_eq!(faults(), Faults::default());
    }
}
