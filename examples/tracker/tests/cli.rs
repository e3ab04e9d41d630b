//! The `migrate` CLI of the tracker, every command and error path, on SQLite and
//! (when configured) PostgreSQL and MariaDB: output text and exit codes.

use std::path::Path;
use std::process::{Command, Output};

use migrate_tests::all_backends;

const HEAD: &str = "9d0e1f2a3b4c";

fn migrate(url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    if let Some(u) = url {
        cmd.arg("--url").arg(u);
    }
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1");
    cmd.output().expect("run migrate")
}

fn ok(url: &str, args: &[&str]) -> (String, String) {
    let out = migrate(Some(url), args);
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "{args:?} on {url}:\n{so}\n{se}");
    (so, se)
}

fn fails(url: Option<&str>, args: &[&str], code: i32) -> String {
    let out = migrate(url, args);
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {se}");
    assert!(!se.contains("panicked"), "{se}");
    se
}

#[test]
fn every_command_on_every_database() {
    for db in all_backends("tracker_cli") {
        let u = db.url.as_str();
        assert_eq!(
            ok(u, &["current"]).0,
            "",
            "{u}: empty database, no revision"
        );
        assert!(ok(u, &["current", "-v"]).0.contains("<base>"));

        let (_, se) = ok(u, &["upgrade"]);
        let lines: Vec<&str> = se
            .lines()
            .filter(|l| l.starts_with("Running upgrade"))
            .collect();
        assert_eq!(lines.len(), 6, "{se}");
        assert!(
            lines[0].starts_with("Running upgrade  -> 7f71d8f421e3, initial ("),
            "{}",
            lines[0]
        );
        assert!(lines[0].ends_with(" ms)"), "{}", lines[0]);
        assert!(lines[1]
            .starts_with("Running upgrade 7f71d8f421e3 -> a1b2c3d4e5f6, add email to users ("));
        assert_eq!(ok(u, &["current"]).0, format!("{HEAD} (head)\n"));
        // Where it is comes from the no-op's own read, the one query.
        let (_, noop) = ok(u, &["upgrade", "head"]);
        assert!(
            noop.contains(&format!("Already at {HEAD}; nothing to do")),
            "{noop}"
        );

        let (hist, _) = ok(u, &["history", "-i"]);
        assert!(
            hist.starts_with(&format!(
                "8a7b6c5d4e3f -> {HEAD} (head, current), drop problems.points"
            )),
            "{hist}"
        );
        assert!(
            hist.ends_with("<base> -> 7f71d8f421e3, initial\n"),
            "{hist}"
        );
        assert!(ok(u, &["history", "-v"])
            .0
            .contains("Revision ID: a1b2c3d4e5f6"));
        assert_eq!(ok(u, &["history", "-r", "7f71:a1b2"]).0.lines().count(), 2);
        let json = ok(u, &["history", "--format", "json"]).0;
        assert!(
            json.starts_with("[\n  {\"revision\": \"9d0e1f2a3b4c\""),
            "{json}"
        );
        assert!(ok(u, &["history", "--format", "dot"])
            .0
            .contains("\"a1b2c3d4e5f6\" -> \"7f71d8f421e3\";"));
        // With a URL the picture marks where the database is: here, the head.
        let mermaid = ok(u, &["history", "--format", "mermaid"]).0;
        assert!(mermaid.starts_with("flowchart BT\n"), "{mermaid}");
        assert!(
            mermaid.contains(
                "    r_a1b2c3d4e5f6[\"a1b2c3d4e5f6<br/>add email to users\"] --> r_7f71d8f421e3\n"
            ),
            "{mermaid}"
        );
        assert!(
            mermaid.contains(&format!("    class r_{HEAD} current\n")),
            "{mermaid}"
        );

        let show = ok(u, &["show", "a1b2"]).0;
        assert!(
            show.starts_with("Rev: a1b2c3d4e5f6\nParent: 7f71d8f421e3\n"),
            "{show}"
        );
        assert!(show.contains("add email to users"));
        assert!(ok(u, &["show", "head"])
            .0
            .starts_with(&format!("Rev: {HEAD} (head)")));
        assert!(ok(u, &["show", "current"])
            .0
            .starts_with(&format!("Rev: {HEAD} (head)")));
        assert_eq!(ok(u, &["heads"]).0, format!("{HEAD} (head)\n"));
        assert!(ok(u, &["check"]).1.contains("at head"));

        let (_, se) = ok(u, &["downgrade", "-1"]);
        assert!(
            se.contains(&format!(
                "Running downgrade {HEAD} -> 8a7b6c5d4e3f, drop problems.points"
            )),
            "{se}"
        );
        assert_eq!(ok(u, &["current"]).0, "8a7b6c5d4e3f\n");
        let se = fails(Some(u), &["check"], 1);
        assert!(se.contains("Target database is not up to date"), "{se}");
        ok(u, &["upgrade", "+1"]);
        ok(u, &["downgrade", "3c9d"]);
        assert_eq!(ok(u, &["current"]).0, "3c9d2e1f0a7b\n");
        ok(u, &["downgrade", "base"]);
        assert_eq!(ok(u, &["current"]).0, "");

        ok(u, &["stamp", "head"]);
        assert_eq!(ok(u, &["current"]).0, format!("{HEAD} (head)\n"));
        ok(u, &["stamp", "base"]);
        assert_eq!(ok(u, &["current"]).0, "");
        ok(u, &["upgrade", "a1b2"]);

        // An unknown revision in the database: an error, a hint, nothing changed.
        let mut c = migrate_runtime::AnyConnection::establish(u).unwrap();
        c.execute("UPDATE alembic_version SET version_num = 'deadbeef0123'")
            .unwrap();
        for args in [
            &["upgrade"][..],
            &["current"],
            &["downgrade", "base"],
            &["check"],
            &["stamp", "head"],
        ] {
            let se = fails(Some(u), args, 1);
            assert!(
                se.contains("Can't locate revision identified by 'deadbeef0123'"),
                "{args:?}: {se}"
            );
            // The hint names the command that works from here.
            assert!(se.contains("hint:") && se.contains("stamp --purge"), "{se}");
        }
        ok(u, &["stamp", "a1b2", "--purge"]);
        assert_eq!(ok(u, &["current"]).0, "a1b2c3d4e5f6\n");

        // Bad targets.
        assert!(fails(Some(u), &["upgrade", "zzz"], 1)
            .contains("Can't locate revision identified by 'zzz'"));
        assert!(fails(Some(u), &["upgrade", "+9"], 1).contains("didn't produce"));
        assert!(fails(Some(u), &["downgrade", "head"], 1).contains("above the current revision"));
        assert_eq!(
            ok(u, &["current"]).0,
            "a1b2c3d4e5f6\n",
            "{u}: still untouched"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    fails(None, &["bogus"], 2);
    fails(None, &["downgrade"], 2);
    fails(None, &["history", "--format", "png"], 2);
    let out = migrate(None, &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("upgrade"));
    for cmd in [
        "upgrade",
        "downgrade",
        "current",
        "history",
        "show",
        "heads",
        "stamp",
        "check",
        "revision",
    ] {
        let out = migrate(None, &[cmd, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
    }
}

#[test]
fn bad_urls_are_one_sentence_and_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite:///{}/no/dir/app.db", dir.path().display());
    let se = fails(Some(&missing), &["upgrade"], 1);
    assert!(
        se.contains(&format!("{}/no/dir/app.db", dir.path().display()))
            && se.contains("does not exist"),
        "{se}"
    );
    assert!(!dir.path().join("no").exists());
    assert!(fails(Some("oracle://x/y"), &["current"], 1).contains("unknown scheme"));
    assert!(
        fails(Some("sqlite://app.db"), &["current"], 1).contains("did you mean sqlite:///app.db")
    );
    if cfg!(feature = "postgres") {
        let se = fails(Some("postgres://u:hunter2@127.0.0.1:1/db"), &["current"], 1);
        assert!(
            se.contains("cannot connect to postgres://u:***@127.0.0.1:1/db"),
            "{se}"
        );
        assert!(!se.contains("hunter2"));
    }
    if cfg!(feature = "mysql") {
        assert!(
            fails(Some("mysql://root@127.0.0.1:1/db"), &["current"], 1).contains("cannot connect")
        );
    }
    // No URL anywhere: run in an empty directory without DATABASE_URL.
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("current")
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no database URL"));
    // .env is read when nothing else is given.
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=sqlite:///from_env.db\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["upgrade", "+1"])
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("from_env.db").exists());
}

fn backups_of(db: &Path) -> Vec<std::path::PathBuf> {
    let name = db.file_name().unwrap().to_string_lossy().into_owned();
    let mut out: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let f = p.file_name().unwrap().to_string_lossy();
            f.starts_with(&format!("{name}.")) && (f.ends_with(".bak") || f.ends_with(".partial"))
        })
        .collect();
    out.sort();
    out
}

fn backup_line(stderr: &str) -> std::path::PathBuf {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("Backed up the database before the run to "))
        .unwrap_or_else(|| panic!("no backup line in {stderr}"));
    line.trim_start_matches("Backed up the database before the run to ")
        .into()
}

#[test]
fn upgrade_backup_holds_the_pre_upgrade_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    // A new database holds nothing to lose: no backup.
    let (_, se) = ok(&u, &["upgrade", "a1b2", "--backup"]);
    assert!(
        se.contains("No backup taken: the database was empty"),
        "{se}"
    );
    assert!(backups_of(&db).is_empty());
    let mut c = migrate_runtime::AnyConnection::establish(&u).unwrap();
    c.execute("INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com')")
        .unwrap();
    drop(c);
    let (_, se) = ok(&u, &["upgrade", "--backup"]);
    let backup = backup_line(&se);
    assert_eq!(
        backups_of(&db),
        std::slice::from_ref(&backup),
        "one complete file, no partial"
    );
    let bu = format!("sqlite:///{}", backup.display());
    assert_eq!(
        ok(&bu, &["current"]).0,
        "a1b2c3d4e5f6\n",
        "the backup is at the pre-upgrade revision"
    );
    let mut b = migrate_runtime::AnyConnection::establish(&bu).unwrap();
    assert_eq!(
        b.query_text("SELECT email AS v FROM users").unwrap(),
        vec![Some("ada@example.com".to_owned())]
    );
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
    // Nothing pending: nothing written.
    let (_, se) = ok(&u, &["upgrade", "--backup"]);
    assert!(se.contains("nothing to do, no backup taken"), "{se}");
    assert_eq!(backups_of(&db).len(), 1);
    // Only SQLite can be backed up this way.
    assert!(fails(
        Some("postgres://127.0.0.1:1/x"),
        &["upgrade", "--backup"],
        1
    )
    .contains("--backup copies SQLite databases only"));
    assert!(fails(Some("sqlite://"), &["upgrade", "--backup"], 1).contains("in-memory"));
}

#[test]
fn backups_are_pruned_and_replicas_never_share_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    ok(&u, &["upgrade", "a1b2"]);
    for _ in 0..3 {
        ok(&u, &["upgrade", "--backup", "--backup-keep", "2"]);
        ok(&u, &["downgrade", "a1b2", "--backup", "--backup-keep", "2"]);
    }
    assert_eq!(backups_of(&db).len(), 2, "{:?}", backups_of(&db));
    // Three replicas in the same second: the run lock lets one back up and
    // migrate; the others find nothing pending and write nothing.
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_migrate"))
                .args(["--url", &u, "upgrade", "--backup"])
                .env_remove("DATABASE_URL")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let c = c.wait_with_output().unwrap();
        assert_eq!(
            c.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&c.stderr)
        );
    }
    assert_eq!(backups_of(&db).len(), 3, "{:?}", backups_of(&db));
    assert!(fails(Some(&u), &["upgrade", "--backup-keep", "1"], 2).contains("--backup"));
}

#[test]
fn restore_checks_the_backup_and_saves_what_it_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    ok(&u, &["upgrade", "a1b2"]);
    let mut c = migrate_runtime::AnyConnection::establish(&u).unwrap();
    c.execute("INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com')")
        .unwrap();
    drop(c);
    let backup = backup_line(&ok(&u, &["upgrade", "--backup"]).1);
    let b = backup.to_str().unwrap();
    let (_, se) = ok(&u, &["restore", b, "--check"]);
    assert!(
        se.contains("is a sound SQLite database at revision a1b2c3d4e5f6"),
        "{se}"
    );
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
    // Something that is not a database is refused and changes nothing.
    let junk = dir.path().join("junk.bak");
    std::fs::write(&junk, vec![7u8; 8192]).unwrap();
    let se = fails(Some(&u), &["restore", junk.to_str().unwrap()], 1);
    assert!(se.contains("is not a sound SQLite database"), "{se}");
    assert!(se.contains("nothing was changed"), "{se}");
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
    let se = fails(Some(&u), &["restore", "no-such-file.bak"], 1);
    assert!(se.contains("is not a file"), "{se}");
    // The real restore: the old revision and its rows come back, and the
    // database as it was is kept beside it.
    let (_, se) = ok(&u, &["restore", b]);
    assert!(se.contains("Saved the database as it was to "), "{se}");
    assert_eq!(ok(&u, &["current"]).0, "a1b2c3d4e5f6\n");
    let mut c = migrate_runtime::AnyConnection::establish(&u).unwrap();
    assert_eq!(
        c.query_text("SELECT email AS v FROM users").unwrap(),
        vec![Some("ada@example.com".to_owned())]
    );
    drop(c);
    assert_eq!(backups_of(&db).len(), 2);
    ok(&u, &["upgrade"]);
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
}

fn sqlite_schema(db: &Path) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(".schema")
        .output()
        .expect("sqlite3 CLI");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn offline_script_runs_in_sqlite3_and_matches_the_online_schema() {
    let dir = tempfile::tempdir().unwrap();
    let online = dir.path().join("online.db");
    ok(&format!("sqlite:///{}", online.display()), &["upgrade"]);
    let script = ok("sqlite://", &["upgrade", "--sql"]).0;
    assert!(script.contains("CREATE TABLE IF NOT EXISTS \"alembic_version\""));
    assert!(script.contains(&format!(
        "UPDATE \"alembic_version\" SET version_num = '{HEAD}' WHERE version_num = '8a7b6c5d4e3f';"
    )));
    let offline = dir.path().join("offline.db");
    let mut child = Command::new("sqlite3")
        .arg("-bail")
        .arg(&offline)
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sqlite3 CLI");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sqlite_schema(&offline), sqlite_schema(&online));
    assert_eq!(
        ok(&format!("sqlite:///{}", offline.display()), &["current"]).0,
        format!("{HEAD} (head)\n")
    );

    // The downgrade script takes it back to an empty schema with the version table.
    let down = ok("sqlite://", &["downgrade", "--sql", "head:base"]).0;
    let mut child = Command::new("sqlite3")
        .arg("-bail")
        .arg(&offline)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), down.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        ok(&format!("sqlite:///{}", offline.display()), &["current"]).0,
        ""
    );
    assert!(fails(
        None,
        &["downgrade", "--sql", "base", "--dialect", "sqlite"],
        1
    )
    .contains("FROM:TO"));
    assert!(
        fails(None, &["upgrade", "--sql", "--dialect", "oracle"], 1).contains("unknown dialect")
    );
}

#[cfg(feature = "postgres")]
#[test]
fn offline_script_runs_in_psql_and_matches_the_online_schema() {
    let Some(online) = migrate_tests::postgres("tracker_psql_online") else {
        return;
    };
    let Some(offline) = migrate_tests::postgres("tracker_psql_offline") else {
        return;
    };
    ok(&online.url, &["upgrade"]);
    let script = ok(&offline.url, &["upgrade", "--sql"]).0;
    let mut child = Command::new("psql")
        .args(["-v", "ON_ERROR_STOP=1", "-q", &offline.url])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), script.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let describe = |url: &str| {
        let mut c = migrate_runtime::AnyConnection::establish(url).unwrap();
        let mut rows = c
            .query_text(
                "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS v \
                 FROM information_schema.columns WHERE table_schema = 'public'",
            )
            .unwrap();
        rows.extend(c.query_text("SELECT indexname || ' ' || indexdef AS v FROM pg_indexes WHERE schemaname = 'public'").unwrap());
        rows.extend(c.query_text("SELECT conname || ' ' || pg_get_constraintdef(oid) AS v FROM pg_constraint WHERE connamespace = 'public'::regnamespace").unwrap());
        rows.sort();
        rows
    };
    assert_eq!(describe(&offline.url), describe(&online.url));
    assert_eq!(ok(&offline.url, &["current"]).0, format!("{HEAD} (head)\n"));
}

#[test]
fn no_output_shows_a_password_whatever_it_holds() {
    // Closed port 1: every command fails to connect, and says so without the secret.
    let cases = [
        ("postgres://u:p@ss:w/rd@127.0.0.1:1/db", "ss:w/rd"),
        ("postgres://u:Secr3t%zz@127.0.0.1:1/db", "Secr3t"),
        ("postgresql+asyncpg://u:Secr3t%40x@127.0.0.1:1/db", "Secr3t"),
        ("mysql://root:Secr3t%zz@127.0.0.1:1/db", "Secr3t"),
        (
            "host=127.0.0.1 port=1 user=u password=Secr3tWord dbname=x",
            "Secr3tWord",
        ),
        (
            "postgres://127.0.0.1:1/db?user=u&password=Secr3tQuery",
            "Secr3tQuery",
        ),
    ];
    for (url, secret) in cases {
        for args in [
            &["current"][..],
            &["current", "-v"],
            &["upgrade"],
            &["check"],
            &["history", "-i"],
        ] {
            let out = migrate(Some(url), args);
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(out.status.code(), Some(1), "{url} {args:?}: {text}");
            assert!(
                !text.contains(secret),
                "{url} {args:?} shows the password: {text}"
            );
            assert!(!text.contains("panicked"), "{text}");
        }
    }
}

#[test]
fn a_run_without_its_lock_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    // A lock file that cannot be opened (a directory in its place).
    std::fs::create_dir(dir.path().join("app.db-migrate.lock")).unwrap();
    let (_, se) = ok(&u, &["upgrade", "a1b2"]);
    assert!(
        se.contains("WARNING: the run lock") && se.contains("could not be taken"),
        "{se}"
    );
    assert_eq!(ok(&u, &["current"]).0, "a1b2c3d4e5f6\n");
}

/// The error and its hint: exactly two lines, `ERROR: ...` and `  hint: ...`.
fn error_and_hint(url: &str, args: &[&str]) -> (String, String) {
    let se = fails(Some(url), args, 1);
    let lines: Vec<&str> = se.lines().collect();
    assert_eq!(lines.len(), 2, "one sentence and a hint: {se}");
    assert!(lines[0].starts_with("ERROR: "), "{se}");
    assert!(lines[1].starts_with("  hint: "), "{se}");
    (lines[0].to_owned(), lines[1].to_owned())
}

#[test]
fn hints_name_the_actual_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    ok(&u, &["upgrade", "a1b2"]);
    // Opened read-only: the write fails, and the hint says why, not "fix the migration".
    let (e, h) = error_and_hint(&format!("{u}?mode=ro"), &["upgrade"]);
    assert!(e.contains("readonly"), "{e}");
    assert!(h.contains("cannot be written"), "{h}");
    assert_eq!(ok(&u, &["current"]).0, "a1b2c3d4e5f6\n");
    // A SQLite file that cannot be opened is no server that is down.
    let missing = format!("sqlite:///{}?mode=ro", dir.path().join("none.db").display());
    let (_, h) = error_and_hint(&missing, &["current"]);
    assert!(h.contains("path") && !h.contains("server"), "{h}");
    if cfg!(feature = "postgres") {
        let (_, h) = error_and_hint(
            "postgres://postgres@127.0.0.1:5432/no_such_db_hint",
            &["current"],
        );
        assert!(h.contains("create the database"), "{h}");
        let (_, h) = error_and_hint(
            "postgres://no_such_role_hint@127.0.0.1:5432/test",
            &["current"],
        );
        assert!(h.contains("create the role"), "{h}");
        let (e, h) = error_and_hint("postgres://u:hunter2@127.0.0.1:1/db", &["current"]);
        assert!(h.contains("server is running"), "{e} {h}");
    }
    if cfg!(feature = "mysql") {
        let (_, h) = error_and_hint("mysql://root@127.0.0.1:3306/no_such_db_hint", &["current"]);
        assert!(h.contains("create the database"), "{h}");
        let (e, h) = error_and_hint(
            "mysql://no_such_user_hint:Pw0rdX@127.0.0.1:3306/test",
            &["current"],
        );
        assert!(h.contains("user and password"), "{h}");
        assert!(!e.contains("Pw0rdX") && !h.contains("Pw0rdX"), "{e}");
        let (e, _) = error_and_hint("mysql://root@127.0.0.1:3306", &["current"]);
        assert!(e.contains("names no database"), "{e}");
    }
}

#[test]
fn a_live_postgres_url_with_a_password_never_shows_it() {
    // PostgreSQL here trusts 127.0.0.1, so a password in the URL is accepted
    // and ignored: every command really runs, with the secret in its URL.
    let Some(db) = migrate_tests::postgres("tracker_cli_password") else {
        return;
    };
    let secret = "Secr3tLive";
    let u = db
        .url
        .replacen("://postgres@", &format!("://postgres:{secret}@"), 1);
    assert!(u.contains(secret), "{u}");
    for args in [
        &["upgrade"][..],
        &["current", "-v"],
        &["history", "-i", "-v"],
        &["check"],
        &["downgrade", "-1"],
        &["upgrade", "--sql", "7f71:head"],
        &["stamp", "head"],
        &["upgrade", "--backup"],
    ] {
        let out = migrate(Some(&u), args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {text}");
        assert!(
            !text.contains(secret),
            "{args:?} shows the password: {text}"
        );
    }
}

#[test]
fn a_held_run_lock_is_waited_for_visibly_and_given_up_on_at_lock_wait() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    ok(&u, &["upgrade", "a1b2"]);
    // Another run's lock: the OS lock on the lock file beside the database.
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.path().join("app.db-migrate.lock"))
        .unwrap();
    held.try_lock().unwrap();
    let se = fails(Some(&u), &["--lock-wait", "2s", "upgrade"], 1);
    assert!(se.contains("Waiting for "), "{se}");
    assert!(se.contains("timed out after 2 s"), "{se}");
    assert!(se.contains("hint: another run is still migrating"), "{se}");
    assert_eq!(ok(&u, &["current"]).0, "a1b2c3d4e5f6\n", "nothing ran");
    drop(held);
    ok(&u, &["--lock-wait", "2s", "upgrade"]);
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
    let se = fails(Some(&u), &["--lock-wait", "soon", "upgrade"], 2);
    assert!(se.contains("not a duration"), "{se}");
}

#[test]
fn restore_keeps_wal_mode_and_refuses_while_another_connection_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let u = format!("sqlite:///{}", db.display());
    ok(&u, &["upgrade", "a1b2"]);
    let mut c = migrate_runtime::AnyConnection::establish(&u).unwrap();
    c.execute("PRAGMA journal_mode = WAL").unwrap();
    c.execute("INSERT INTO users (name, email) VALUES ('ada', 'ada@example.com')")
        .unwrap();
    drop(c);
    let backup = backup_line(&ok(&u, &["upgrade", "--backup", "--backup-keep", "1"]).1);
    // A service still has the database open: refused, nothing changed.
    let mut service = migrate_runtime::AnyConnection::establish(&u).unwrap();
    service.query_text("SELECT name AS v FROM users").unwrap();
    let se = fails(Some(&u), &["restore", backup.to_str().unwrap()], 1);
    assert!(se.contains("stop the service"), "{se}");
    assert_eq!(ok(&u, &["current"]).0, format!("{HEAD} (head)\n"));
    drop(service);
    ok(&u, &["restore", backup.to_str().unwrap()]);
    assert_eq!(ok(&u, &["current"]).0, "a1b2c3d4e5f6\n");
    let mut c = migrate_runtime::AnyConnection::establish(&u).unwrap();
    assert_eq!(
        c.query_text("SELECT journal_mode AS v FROM pragma_journal_mode")
            .unwrap(),
        vec![Some("wal".to_owned())]
    );
    assert_eq!(
        c.query_text("SELECT email AS v FROM users").unwrap(),
        vec![Some("ada@example.com".to_owned())]
    );
    // --backup-keep 0 would remove the backup just taken: refused.
    assert!(
        fails(Some(&u), &["upgrade", "--backup", "--backup-keep", "0"], 2).contains("1 or more")
    );
}

/// Compares `got` with the checked-in `tests/snapshots/<name>`; with
/// `MIGRATE_UPDATE_SNAPSHOTS=1` writes it instead (then review the diff).
fn snapshot(name: &str, got: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("MIGRATE_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (MIGRATE_UPDATE_SNAPSHOTS=1 writes it)",
            path.display()
        )
    });
    assert_eq!(
        got,
        want,
        "{} differs (MIGRATE_UPDATE_SNAPSHOTS=1 rewrites it)",
        path.display()
    );
}

#[test]
fn upgrade_plan_on_every_database() {
    for db in all_backends("tracker_plan") {
        let u = db.url.as_str();
        let d = db.dialect.name();
        ok(u, &["upgrade", "3c9d"]);
        let mut c = migrate_runtime::AnyConnection::establish(u).unwrap();
        c.execute(
            "INSERT INTO problems (slug, title, points) VALUES ('a', 'A', 10), ('b', 'B', 45)",
        )
        .unwrap();
        drop(c);
        let (text, _) = ok(u, &["upgrade", "--plan"]);
        snapshot(&format!("plan_{d}.txt"), &text);
        let (json, _) = ok(u, &["upgrade", "--plan", "--format", "json"]);
        assert!(
            json.starts_with(&format!("{{\"dialect\":\"{d}\",\"from\":\"3c9d2e1f0a7b\"")),
            "{json}"
        );
        assert!(json.contains("\"revision\":\"9d0e1f2a3b4c\""), "{json}");
        // Nothing ran.
        assert_eq!(ok(u, &["current"]).0, "3c9d2e1f0a7b\n");
        ok(u, &["upgrade"]);
        let (text, _) = ok(u, &["upgrade", "--plan"]);
        assert!(text.starts_with("Nothing to upgrade"), "{text}");
    }
}

#[test]
fn read_only_commands_never_create_a_sqlite_file_and_an_upgrade_says_it_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let u = format!("sqlite:///{}", path.display());
    for args in [&["current"][..], &["history", "-i"], &["upgrade", "--plan"]] {
        let (so, se) = ok(&u, args);
        assert!(
            se.contains("there is no database at") && se.contains("typo.db"),
            "{args:?}: {so}{se}"
        );
        assert!(!path.exists(), "{args:?} created it");
    }
    // Behind (at base, head not applied): 1, and still no file.
    let se = fails(Some(&u), &["check"], 1);
    assert!(se.contains("there is no database at"), "{se}");
    assert!(!path.exists());
    // Nor a downgrade, which never needs a new database.
    let (_, se) = ok(&u, &["downgrade", "base"]);
    assert!(se.contains("there is no database at"), "{se}");
    assert!(!path.exists());
    let (_, se) = ok(&u, &["upgrade", "head"]);
    assert!(
        se.contains("Creating the new SQLite database") && se.contains("typo.db"),
        "{se}"
    );
    assert!(path.exists());
    let (_, se) = ok(&u, &["current"]);
    assert!(!se.contains("there is no database"), "{se}");
    let (_, se) = ok(&u, &["upgrade", "head"]);
    assert!(!se.contains("Creating"), "{se}");
}

#[test]
fn an_empty_url_is_refused_and_never_passed_over_for_the_next_source() {
    let dir = tempfile::tempdir().unwrap();
    // A .env that an empty variable must not fall through to.
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=sqlite:///dotenv.db\n",
    )
    .unwrap();
    let run = |url: Option<&str>, env: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
        if let Some(u) = url {
            cmd.arg("--url").arg(u);
        }
        match env {
            Some(v) => cmd.env("DATABASE_URL", v),
            None => cmd.env_remove("DATABASE_URL"),
        };
        let out = cmd
            .args(["upgrade", "head"])
            .current_dir(dir.path())
            .output()
            .expect("run migrate");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, se) = run(Some(""), None);
    assert!(
        code.is_some_and(|c| c != 0) && se.contains("--url is empty"),
        "{se}"
    );
    let (code, se) = run(None, Some(""));
    assert!(
        code.is_some_and(|c| c != 0) && se.contains("DATABASE_URL is set but empty"),
        "{se}"
    );
    assert!(!se.contains("invalid database URL"), "{se}");
    assert!(
        !dir.path().join("dotenv.db").exists(),
        "the .env's URL was not used"
    );
    // An empty value in .env is no URL at all.
    std::fs::write(dir.path().join(".env"), "DATABASE_URL=\n").unwrap();
    let (code, se) = run(None, None);
    assert_eq!(code, Some(1), "{se}");
    assert!(
        se.contains("no database URL: pass --url, set DATABASE_URL"),
        "{se}"
    );
}

/// `migrate schema` and `check --offline` need no database: the schema the
/// migrations build, as diesel's `table!`, and src/schema.rs compared with it.
#[test]
fn schema_and_check_offline_without_a_database() {
    let out = migrate(None, &["schema"]);
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "{printed}");
    // The hand-written schema.rs, table by table (its tables are in creation
    // order, `migrate schema` writes them by name, as diesel print-schema does).
    let hand = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/schema.rs"))
        .expect("read schema.rs");
    for block in hand
        .split("\n\n")
        .filter(|b| b.starts_with("diesel::table!"))
    {
        assert!(
            printed.contains(block.trim()),
            "missing:\n{block}\nin:\n{printed}"
        );
    }
    for line in hand.lines().filter(|l| l.starts_with("diesel::joinable!")) {
        assert!(printed.contains(line), "{line}\n{printed}");
    }
    // At an earlier revision: before `email` was added.
    let out = migrate(None, &["schema", "7f71d8f421e3"]);
    let early = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        early.contains("users (id)") && !early.contains("email"),
        "{early}"
    );

    let out = migrate(None, &["check", "--offline"]);
    let se = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{se}");
    assert!(
        se.contains("matches the schema the migrations build"),
        "{se}"
    );

    // Autogenerate against the same schema, with no database: nothing to write.
    for d in ["sqlite", "postgresql", "mysql"] {
        let out = migrate(
            None,
            &[
                "revision",
                "--autogenerate",
                "--offline",
                "--dialect",
                d,
                "-m",
                "probe",
            ],
        );
        let se = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{d}: {se}");
        assert!(
            se.contains("No changes in schema detected") && se.contains("no file written"),
            "{d}: {se}"
        );
        // Every table compared: the seed's SQL changes rows only.
        assert!(!se.contains("left out"), "{d}: {se}");
    }
    // Without a dialect or a URL it says what it needs.
    let se = fails(
        None,
        &["revision", "--autogenerate", "--offline", "-m", "probe"],
        1,
    );
    assert!(se.contains("--offline needs a dialect"), "{se}");

    // An edited copy is found out, still without a database.
    let dir = tempfile::tempdir().unwrap();
    let edited = dir.path().join("schema.rs");
    std::fs::write(
        &edited,
        hand.replace("        title -> Text,", "        title -> Nullable<Text>,"),
    )
    .unwrap();
    let se = fails(
        None,
        &["check", "--offline", "--schema", edited.to_str().unwrap()],
        1,
    );
    assert!(
        se.contains("column problems.title: the migrations make it NOT NULL, schema.rs nullable"),
        "{se}"
    );
}
