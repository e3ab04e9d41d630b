//! DDL on a busy PostgreSQL table: the migration waits only `lock_timeout` for
//! its lock, so other sessions' queries are never queued behind it for longer;
//! it is rolled back and tried again until the table is free, and fails,
//! unchanged, naming the session in the way when it never is.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

fn users(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name"));
    op.bulk_insert("users", ["id", "name"], vec![row![1, "ada"]]);
    Ok(())
}
fn no_users(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
fn email(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("email"));
    Ok(())
}
fn no_email(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    Ok(())
}
fn age(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Integer>>("age"));
    Ok(())
}
fn no_age(op: &mut Op) -> Result<()> {
    op.drop_column("users", "age");
    Ok(())
}

fn chain() -> Chain {
    Chain::new(vec![
        Migration::new("u1", None, "users", users, Some(no_users)),
        Migration::new("u2", Some("u1"), "email", email, Some(no_email)),
        Migration::new("u3", Some("u2"), "age", age, Some(no_age)),
    ])
    .unwrap()
}

/// A session that reads `users` in a transaction (ACCESS SHARE) until told to stop.
fn blocker(
    url: String,
    stop: Arc<AtomicBool>,
    holding: Arc<AtomicBool>,
    pid: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut c = AnyConnection::establish(&url).unwrap();
        c.execute("SET application_name = 'report-job'").unwrap();
        let me = c
            .query_text("SELECT CAST(pg_backend_pid() AS TEXT) AS v")
            .unwrap();
        pid.store(me[0].as_deref().unwrap().parse().unwrap(), Ordering::SeqCst);
        c.execute("BEGIN; SELECT count(*) FROM users").unwrap();
        holding.store(true, Ordering::SeqCst);
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        c.execute("COMMIT").unwrap();
    })
}

/// A third session reading `users` over and over; returns the longest read.
fn prober(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut c = AnyConnection::establish(&url).unwrap();
        let mut worst = Duration::ZERO;
        while !stop.load(Ordering::SeqCst) {
            let t = Instant::now();
            c.query_text("SELECT CAST(count(*) AS TEXT) AS v FROM users")
                .unwrap();
            worst = worst.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(5));
        }
        worst
    })
}

fn columns(conn: &mut AnyConnection) -> Vec<String> {
    conn.query_text(
        "SELECT CAST(column_name AS TEXT) AS v FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position",
    )
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

#[test]
fn ddl_behind_a_long_reader_never_blocks_other_readers_and_retries_until_free() {
    let Some(db) = migrate_tests::postgres("lock_timeout") else {
        return;
    };
    let c = chain();
    let mut conn = db.connect();
    Migrator::new(&c).upgrade(&mut conn, "u1").unwrap();

    // The reader holds the table for about four seconds, then commits.
    let (stop, holding, pid) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let reader = blocker(db.url.clone(), stop.clone(), holding.clone(), pid.clone());
    while !holding.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let stop_probe = Arc::new(AtomicBool::new(false));
    let probe = prober(db.url.clone(), stop_probe.clone());
    let release = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(4));
            stop.store(true, Ordering::SeqCst);
        })
    };
    let mut told = Vec::new();
    let steps = Migrator::new(&c)
        .lock_timeout(Some(Duration::from_millis(300)))
        .lock_retries(20)
        .on_lock_wait(|w| told.push(w.to_owned()))
        .upgrade(&mut conn, "u2")
        .unwrap();
    assert_eq!(steps.len(), 1);
    stop_probe.store(true, Ordering::SeqCst);
    let worst = probe.join().unwrap();
    release.join().unwrap();
    reader.join().unwrap();
    let blocker_pid = pid.load(Ordering::SeqCst);
    assert!(!told.is_empty(), "it had to retry at least once");
    assert!(
        told[0].contains(&format!("held by pid {blocker_pid} (report-job)")),
        "{told:?}"
    );
    assert!(columns(&mut conn).contains(&"email".to_owned()));
    eprintln!("longest read of users while the migration retried: {worst:?} (lock_timeout 300 ms)");
    // Without the lock timeout the readers queue behind the waiting ALTER
    // for the reader's whole four seconds; with it, for at most 300 ms at a
    // time. The bound is generous: it tells the two apart, nothing finer.
    assert!(worst < Duration::from_millis(2000), "{worst:?}");

    // A reader that never ends: the retries run out, nothing changed, and the
    // error names the session in the way.
    let (stop, holding, pid) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicU64::new(0)),
    );
    let reader = blocker(db.url.clone(), stop.clone(), holding.clone(), pid.clone());
    while !holding.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let e = Migrator::new(&c)
        .lock_timeout(Some(Duration::from_millis(200)))
        .lock_retries(2)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    stop.store(true, Ordering::SeqCst);
    reader.join().unwrap();
    let text = format!("{e:?}");
    assert!(
        matches!(e, Error::LockRetriesExhausted { attempts: 3, .. }),
        "{text}"
    );
    assert!(
        text.contains(&format!("pid {}", pid.load(Ordering::SeqCst))),
        "{text}"
    );
    assert!(text.contains("table users"), "{text}");
    assert!(!columns(&mut conn).contains(&"age".to_owned()), "unchanged");
    assert_eq!(
        Migrator::new(&c).current(&mut conn).unwrap().as_deref(),
        Some("u2")
    );
    let ledger = Migrator::new(&c).ledger(&mut conn).unwrap();
    assert!(ledger.iter().all(|l| l.revision != "u3"), "{ledger:?}");
    // Free again: it goes through.
    Migrator::new(&c).upgrade(&mut conn, "head").unwrap();
    assert!(columns(&mut conn).contains(&"age".to_owned()));
}

fn free(op: &mut Op) -> Result<()> {
    op.create_table("free")
        .column(col::<Integer>("id").primary_key());
    Ok(())
}
fn no_free(op: &mut Op) -> Result<()> {
    op.drop_table("free");
    Ok(())
}
/// Two statements without a transaction on MySQL: the first goes through, the
/// second waits for the reader's metadata lock on `users`.
fn two(op: &mut Op) -> Result<()> {
    op.add_column("free", col::<Nullable<Text>>("note"));
    op.add_column("users", col::<Nullable<Text>>("email"));
    Ok(())
}
fn no_two(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    op.drop_column("free", "note");
    Ok(())
}

#[test]
fn mysql_ddl_behind_a_reader_resumes_at_the_statement_that_timed_out() {
    let Some(db) = migrate_tests::mysql("lock_timeout_mysql") else {
        return;
    };
    let c = Chain::new(vec![
        Migration::new("u1", None, "users", users, Some(no_users)),
        Migration::new("f1", Some("u1"), "free", free, Some(no_free)),
        Migration::new("t2", Some("f1"), "two", two, Some(no_two)),
    ])
    .unwrap();
    let mut conn = db.connect();
    Migrator::new(&c).upgrade(&mut conn, "f1").unwrap();
    let url = db.url.clone();
    let (stop, holding) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let reader = {
        let (stop, holding) = (stop.clone(), holding.clone());
        std::thread::spawn(move || {
            let mut c = AnyConnection::establish(&url).unwrap();
            // A reader's open transaction holds a metadata lock on users.
            c.execute("BEGIN").unwrap();
            c.query_text("SELECT CAST(count(*) AS CHAR) AS v FROM users")
                .unwrap();
            holding.store(true, Ordering::SeqCst);
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20));
            }
            c.execute("COMMIT").unwrap();
        })
    };
    while !holding.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let release = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            stop.store(true, Ordering::SeqCst);
        })
    };
    let mut told = Vec::new();
    let steps = Migrator::new(&c)
        .lock_timeout(Some(Duration::from_secs(1)))
        .lock_retries(10)
        .on_lock_wait(|w| told.push(w.to_owned()))
        .upgrade(&mut conn, "head")
        .unwrap_or_else(|e| panic!("{e:?}"));
    release.join().unwrap();
    reader.join().unwrap();
    assert_eq!(steps.len(), 1);
    assert!(!told.is_empty(), "it waited and retried");
    assert!(told[0].contains("lock on users"), "{told:?}");
    assert!(told[0].contains("held by connection "), "{told:?}");
    // Resumed, not restarted: the first statement ran once (a second
    // ADD COLUMN note would have failed).
    let cols = conn
        .query_text(
            "SELECT CAST(column_name AS CHAR) AS v FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name IN ('users', 'free') ORDER BY table_name, column_name",
        )
        .unwrap();
    let cols: Vec<String> = cols.into_iter().flatten().collect();
    assert_eq!(cols, ["id", "note", "email", "id", "name"], "{cols:?}");
    assert_eq!(
        Migrator::new(&c).current(&mut conn).unwrap().as_deref(),
        Some("t2")
    );
}

#[test]
fn the_callers_connection_keeps_its_own_lock_wait_setting() {
    for db in migrate_tests::all_backends("lock_wait_restored") {
        let (set, read, want) = match db.dialect {
            Dialect::Postgres => (
                "SET lock_timeout = '7s'",
                "SELECT current_setting('lock_timeout') AS v",
                "7s",
            ),
            Dialect::Mysql => (
                "SET SESSION lock_wait_timeout = 77",
                "SELECT CAST(@@SESSION.lock_wait_timeout AS CHAR) AS v",
                "77",
            ),
            Dialect::Sqlite => continue,
        };
        let c = chain();
        let mut conn = db.connect();
        conn.execute(set).unwrap();
        Migrator::new(&c).upgrade(&mut conn, "head").unwrap();
        assert_eq!(
            conn.query_text(read).unwrap(),
            vec![Some(want.to_owned())],
            "{}",
            db.dialect
        );
        Migrator::new(&c).downgrade(&mut conn, "base").unwrap();
        assert_eq!(
            conn.query_text(read).unwrap(),
            vec![Some(want.to_owned())],
            "{}",
            db.dialect
        );
    }
}

fn slow_ddl(op: &mut Op) -> Result<()> {
    op.create_table("slow_t")
        .column(col::<Integer>("id").primary_key());
    op.execute("SELECT pg_sleep(1.5)");
    Ok(())
}
fn slow_data(op: &mut Op) -> Result<()> {
    op.create_table("slow_d")
        .column(col::<Integer>("id").primary_key());
    op.run("a slow backfill", |conn| {
        conn.execute("SELECT pg_sleep(1.5)")
    });
    Ok(())
}

#[test]
fn a_statement_timeout_cancels_a_slow_statement_but_never_a_data_step() {
    let Some(db) = migrate_tests::postgres("statement_timeout") else {
        return;
    };
    let mut conn = db.connect();
    let timeout = Some(Duration::from_millis(300));
    let c = Chain::new(vec![Migration::new("s1", None, "slow", slow_ddl, None)]).unwrap();
    let e = Migrator::new(&c)
        .statement_timeout(timeout)
        .upgrade(&mut conn, "head")
        .unwrap_err();
    assert!(format!("{e}").contains("statement timeout"), "{e:?}");
    assert_eq!(
        Migrator::new(&c).current(&mut conn).unwrap(),
        None,
        "rolled back"
    );
    let c = Chain::new(vec![Migration::new("d1", None, "data", slow_data, None)]).unwrap();
    Migrator::new(&c)
        .statement_timeout(timeout)
        .upgrade(&mut conn, "head")
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Set for the migration's transaction only: the caller's session has none.
    assert_eq!(
        conn.query_text("SELECT current_setting('statement_timeout') AS v")
            .unwrap(),
        vec![Some("0".to_owned())]
    );
}

/// Where the session that locks the ledger for `held_for_commit` connects.
static LEDGER_LOCKER_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// Set once the ledger is locked (only the first run of the step locks it).
static LEDGER_LOCKED: AtomicBool = AtomicBool::new(false);
static LEDGER_LOCKING: AtomicBool = AtomicBool::new(false);

/// A column, then a data step that has another session lock the ledger
/// table for a second and a half: the records sent with the COMMIT wait for
/// it, and time out, the first times.
fn held_for_commit(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("email"));
    op.run("another session locks the ledger", |_conn| {
        if !LEDGER_LOCKING.swap(true, Ordering::SeqCst) {
            let url = LEDGER_LOCKER_URL.get().expect("the URL").clone();
            std::thread::spawn(move || {
                let mut c = AnyConnection::establish(&url).expect("connect");
                c.execute("BEGIN; LOCK TABLE alembic_version_log IN EXCLUSIVE MODE")
                    .expect("lock");
                LEDGER_LOCKED.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(1500));
                c.execute("COMMIT").expect("unlock");
            });
        }
        while !LEDGER_LOCKED.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    });
    Ok(())
}

/// On PostgreSQL a migration's records go with its COMMIT: when they time
/// out waiting for a lock, the migration is rolled back and tried again
/// whole, records included, from what the database holds (not from the
/// records the run had kept in memory).
#[test]
fn records_that_time_out_at_the_commit_are_written_by_the_retry() {
    let Some(db) = migrate_tests::postgres("commit_retry") else {
        return;
    };
    LEDGER_LOCKER_URL.set(db.url.clone()).expect("set once");
    let c = Chain::new(vec![
        Migration::new("u1", None, "users", users, Some(no_users)),
        Migration::new("u2", Some("u1"), "held", held_for_commit, None),
    ])
    .unwrap();
    let mut conn = db.connect();
    Migrator::new(&c).upgrade(&mut conn, "u1").unwrap();
    let mut told = Vec::new();
    let steps = Migrator::new(&c)
        .lock_timeout(Some(Duration::from_millis(300)))
        .lock_retries(20)
        .on_lock_wait(|w| told.push(w.to_owned()))
        .upgrade(&mut conn, "head")
        .unwrap();
    assert_eq!(steps.len(), 1);
    assert!(!told.is_empty(), "the records waited: {told:?}");
    assert_eq!(columns(&mut conn), ["id", "name", "email"]);
    let m = Migrator::new(&c);
    assert_eq!(m.current(&mut conn).unwrap().as_deref(), Some("u2"));
    let revs: Vec<String> = m
        .ledger(&mut conn)
        .unwrap()
        .into_iter()
        .map(|e| e.revision)
        .collect();
    assert_eq!(revs, ["u1", "u2"]);
}
