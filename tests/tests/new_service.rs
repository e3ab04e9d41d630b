//! A new service from nothing: an empty migrations directory builds, its
//! `migrate` says there is nothing yet, `revision -m "initial"` writes the
//! first migration, and `upgrade head` applies it. Builds a real fixture crate
//! with cargo, as a user's would be.

use migrate_runtime::prelude::Dialect;
use migrate_tests::fixture::{cargo, write_crate};

/// The fixtures share a target directory, where both crates' `migrate`
/// binaries land at `debug/migrate`: one test at a time, or one runs the
/// other's.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn migrate(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    migrate_tests::fixture::migrate(dir, &[], args)
}

#[test]
fn an_empty_migrations_directory_builds_and_the_first_revision_applies() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    write_crate(&dir, false);
    // Without the build.rs line even an empty directory is refused: the
    // first file written would not rebuild the chain.
    let out = cargo(&dir, &["build", "--offline"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("cargo:rerun-if-changed=migrations"),
        "{stderr}"
    );
    write_crate(&dir, true);
    let db = tmp.path().join("app.db");
    let url = format!("sqlite:///{}", db.display());

    // Nothing yet: it builds, and says what to do first.
    let (ok, out, err) = migrate(&dir, &["--url", &url, "current"]);
    assert!(ok, "{err}");
    assert!(out.trim().is_empty(), "{out}");
    assert!(
        err.contains("no migrations yet") && err.contains("revision -m"),
        "{err}"
    );

    let (ok, _, err) = migrate(&dir, &["revision", "-m", "initial"]);
    assert!(ok, "{err}");
    let files: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .filter(|n| n.ends_with("_initial.rs"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let rev = files[0].trim_end_matches("_initial.rs").to_owned();
    let text = std::fs::read_to_string(dir.join("migrations").join(&files[0])).unwrap();
    assert!(text.contains("down_revision = None"), "{text}");

    // Two more revisions from the binary as built, before any rebuild: each
    // follows the head the directory holds now.
    let bin = migrate_tests::fixture::target_dir().join("debug/migrate");
    let mut parent = rev.clone();
    for msg in ["second", "third"] {
        let out = std::process::Command::new(&bin)
            .args(["revision", "-m", msg])
            .current_dir(&dir)
            .output()
            .expect("run the built migrate");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{msg}: {err}");
        let made = std::fs::read_dir(dir.join("migrations"))
            .unwrap()
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .find(|n| n.ends_with(&format!("_{msg}.rs")))
            .expect("the new file");
        let text = std::fs::read_to_string(dir.join("migrations").join(&made)).unwrap();
        assert!(
            text.contains(&format!("down_revision = {parent:?}")),
            "{text}"
        );
        parent = made.trim_end_matches(&format!("_{msg}.rs")).to_owned();
    }

    // The next build has them: upgrade applies all three, current shows the last.
    let (ok, _, err) = migrate(&dir, &["--url", &url, "upgrade", "head"]);
    assert!(ok, "{err}");
    assert!(err.contains(&format!("-> {rev}")), "{err}");
    assert!(err.contains(&format!("-> {parent}")), "{err}");
    assert!(!err.contains("no migrations yet"), "{err}");
    let (ok, out, err) = migrate(&dir, &["--url", &url, "current"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("{parent} (head)"));
}

#[test]
fn a_cargo_new_crate_goes_from_migrate_init_to_a_first_upgrade_head() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use migrate_tests::fixture::workspace;
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("svc");
    // What `cargo new svc` makes.
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "fn main() {\n    println!(\"Hello, world!\");\n}\n",
    )
    .unwrap();
    // Offline, with the versions this workspace resolved.
    std::fs::write(
        dir.join("Cargo.lock"),
        std::fs::read(workspace().join("Cargo.lock")).unwrap(),
    )
    .unwrap();

    let dependency = format!(
        "{{ path = {:?} }}",
        workspace().join("migrate-runtime").display().to_string()
    );
    let report = migrate_runtime::cli::init(&dir, &dependency).unwrap();
    assert!(report.todo.is_empty(), "{report:?}");

    // The README's commands from here on, with the URL from the .env init wrote.
    let run = |args: &[&str]| {
        let out = cargo(&dir, args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "cargo {args:?}: {err}");
        (String::from_utf8_lossy(&out.stdout).into_owned(), err)
    };
    run(&[
        "run",
        "--offline",
        "--bin",
        "migrate",
        "--",
        "revision",
        "-m",
        "initial",
    ]);
    let (_, err) = run(&[
        "run",
        "--offline",
        "--bin",
        "migrate",
        "--",
        "upgrade",
        "head",
    ]);
    assert!(err.contains("Running upgrade  ->"), "{err}");
    let (out, _) = run(&["run", "--offline", "--bin", "migrate", "--", "current"]);
    assert!(out.trim().ends_with("(head)"), "{out}");
    assert!(
        dir.join("svc.db").exists(),
        "the .env's SQLite file, beside the crate"
    );
    // `cargo run` still runs the service itself (default-run).
    let (out, _) = run(&["run", "--offline"]);
    assert_eq!(out.trim(), "Hello, world!");
}

/// Tables built by hand on `d`: typed where the baseline can be, and one
/// table (at least) that only its own DDL recreates.
fn hand_built(d: Dialect) -> &'static [&'static str] {
    match d {
        Dialect::Sqlite => &[
            "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email VARCHAR(255) NOT NULL, \
             name TEXT, active BOOLEAN NOT NULL DEFAULT 1, score REAL DEFAULT 0.5, \
             created TIMESTAMP DEFAULT CURRENT_TIMESTAMP, CONSTRAINT uq_email UNIQUE (email), \
             CONSTRAINT ck_score CHECK (score >= 0))",
            "CREATE INDEX ix_users_name ON users (name)",
            "CREATE UNIQUE INDEX ix_users_active_name ON users (name) WHERE active = 1",
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL \
             REFERENCES users (id) ON DELETE CASCADE, title TEXT NOT NULL, body BLOB, \
             stamp TEXT DEFAULT (datetime('now')))",
            "CREATE INDEX ix_posts_lower ON posts (lower(title))",
            "CREATE INDEX ix_posts_title_desc ON posts (title DESC)",
            // A name no comment may hold as it is.
            "CREATE TABLE \"odd\nname\" (v DATETIME)",
            "CREATE TABLE tags (post_id INTEGER NOT NULL, tag TEXT NOT NULL, \
             PRIMARY KEY (post_id, tag), FOREIGN KEY (post_id) REFERENCES posts (id))",
            "CREATE TABLE legacy (k TEXT PRIMARY KEY, v DATETIME) WITHOUT ROWID",
        ],
        Dialect::Postgres => &[
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
            "CREATE TABLE feelings (id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
             m mood NOT NULL DEFAULT 'ok', label TEXT COLLATE \"C\", \
             doubled INTEGER GENERATED ALWAYS AS (id * 2) STORED)",
            "CREATE TABLE users (id SERIAL PRIMARY KEY, email VARCHAR(255) NOT NULL, name TEXT, \
             active BOOLEAN NOT NULL DEFAULT true, balance NUMERIC(10,2) DEFAULT 0, \
             created TIMESTAMPTZ NOT NULL DEFAULT now(), CONSTRAINT uq_email UNIQUE (email), \
             CONSTRAINT ck_balance CHECK (balance >= 0))",
            "CREATE INDEX ix_users_lower ON users (lower(email))",
            "CREATE TABLE accounts (id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             owner_id INTEGER REFERENCES users (id) ON DELETE SET NULL, code VARCHAR(8), \
             data JSONB, uid UUID, opened DATE, at TIME)",
            "CREATE INDEX ix_accounts_owner ON accounts (owner_id)",
            "CREATE UNIQUE INDEX ix_accounts_code ON accounts (code) WHERE code IS NOT NULL",
            "CREATE TABLE tags (account_id INTEGER NOT NULL, tag VARCHAR(40) NOT NULL, \
             CONSTRAINT tags_pk PRIMARY KEY (account_id, tag), CONSTRAINT fk_tags \
             FOREIGN KEY (account_id) REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED)",
        ],
        Dialect::Mysql => &[
            "CREATE TABLE users (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, email VARCHAR(255) NOT NULL, \
             name TEXT, active BOOL NOT NULL DEFAULT 1, balance DECIMAL(10,2) DEFAULT 0.00, \
             created DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, CONSTRAINT uq_email UNIQUE (email), \
             CONSTRAINT ck_balance CHECK (balance >= 0))",
            "CREATE TABLE accounts (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, owner_id INT, \
             data JSON, KEY ix_owner (owner_id), \
             CONSTRAINT fk_owner FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE SET NULL)",
            "CREATE TABLE notes (id INT UNSIGNED NOT NULL PRIMARY KEY, account_id BIGINT, body TEXT, \
             updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP, \
             FULLTEXT KEY ft_body (body), \
             CONSTRAINT fk_acc FOREIGN KEY (account_id) REFERENCES accounts (id))",
            "CREATE TABLE codes (code VARCHAR(20) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY)",
        ],
    }
}

#[test]
fn a_database_built_by_hand_becomes_a_baseline_that_recreates_it_on_every_backend() {
    use migrate_runtime::testing::schema;
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("fixture");
    write_crate(&dir, true);
    let pairs: Vec<(migrate_tests::TestDb, migrate_tests::TestDb)> =
        migrate_tests::all_backends("baseline")
            .into_iter()
            .zip(migrate_tests::all_backends("baseline_copy"))
            .collect();
    // Refused, writing nothing: no database there, a database without tables.
    let missing = format!("sqlite:///{}", tmp.path().join("typo.db").display());
    let (ok, _, err) = migrate(
        &dir,
        &["--url", &missing, "revision", "--from-database", "-m", "b"],
    );
    assert!(!ok && err.contains("there is no database at"), "{err}");
    assert!(!tmp.path().join("typo.db").exists());
    let empty = migrate_tests::sqlite("baseline_empty");
    empty
        .connect()
        .execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        .unwrap();
    let (ok, _, err) = migrate(
        &dir,
        &[
            "--url",
            &empty.url,
            "revision",
            "--from-database",
            "-m",
            "b",
        ],
    );
    assert!(!ok && err.contains("has no tables"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.join("migrations")).unwrap().count(),
        0
    );

    for (source, copy) in &pairs {
        let d = source.dialect;
        // One baseline at a time: the previous backend's is removed.
        for e in std::fs::read_dir(dir.join("migrations")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        let mut conn = source.connect();
        for s in hand_built(d) {
            conn.execute(s)
                .unwrap_or_else(|e| panic!("{d:?}: {s}: {e}"));
        }
        let before = schema(&mut conn, "alembic_version").unwrap();
        assert_eq!(
            before.tables.len(),
            hand_built(d)
                .iter()
                .filter(|s| s.starts_with("CREATE TABLE"))
                .count()
        );

        let (ok, _, err) = migrate(
            &dir,
            &[
                "--url",
                &source.url,
                "revision",
                "--from-database",
                "-m",
                "baseline",
            ],
        );
        assert!(ok, "{d:?}: {err}");
        let file = std::fs::read_dir(dir.join("migrations"))
            .unwrap()
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .find(|n| n.ends_with("_baseline.rs"))
            .expect("the baseline file");
        let rev = file.trim_end_matches("_baseline.rs").to_owned();
        let text = std::fs::read_to_string(dir.join("migrations").join(&file)).unwrap();
        // Typed where it can be, the database's own DDL where it cannot.
        assert!(
            text.contains("op.create_table(\"users\")") || d == Dialect::Postgres,
            "{text}"
        );
        assert!(text.contains("is recreated from its DDL"), "{d:?}: {text}");
        assert!(text.contains("down_revision = None"), "{text}");
        if d == Dialect::Postgres {
            assert!(
                text.contains("CREATE TYPE mood AS ENUM") && text.contains("DROP TYPE mood"),
                "{text}"
            );
        }
        assert!(
            err.contains(&format!("Stamped the database at {rev}")),
            "{err}"
        );
        let stamped = conn
            .query_text("SELECT version_num AS v FROM alembic_version")
            .unwrap();
        assert_eq!(stamped, vec![Some(rev.clone())]);

        // Built with the baseline, the live database runs nothing: it is adopted.
        let (ok, _, err) = migrate(&dir, &["--url", &source.url, "upgrade", "head"]);
        assert!(ok, "{d:?}: {err}\n{text}");
        assert!(!err.contains("Running upgrade"), "{d:?}: {err}");
        assert_eq!(
            schema(&mut conn, "alembic_version").unwrap().diff(&before),
            Vec::<String>::new()
        );

        // An empty database becomes the same, and the downgrade empties it.
        let (ok, _, err) = migrate(&dir, &["--url", &copy.url, "upgrade", "head"]);
        assert!(ok, "{d:?}: {err}\n{text}");
        let mut c2 = copy.connect();
        let after = schema(&mut c2, "alembic_version").unwrap();
        assert_eq!(
            after.diff(&before),
            Vec::<String>::new(),
            "{d:?}: recreated\n{after}\nlive\n{before}\n{text}"
        );
        let (ok, _, err) = migrate(&dir, &["--url", &copy.url, "downgrade", "base"]);
        assert!(ok, "{d:?}: {err}\n{text}");
        let left = schema(&mut c2, "alembic_version").unwrap();
        assert!(left.tables.is_empty(), "{d:?}: {left}");

        // A second baseline of a stamped database is refused.
        let (ok, _, err) = migrate(
            &dir,
            &[
                "--url",
                &source.url,
                "revision",
                "--from-database",
                "-m",
                "again",
            ],
        );
        assert!(!ok && err.contains("already has migrations"), "{err}");
    }
}
