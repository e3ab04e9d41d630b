//! What the checks a deploy or a readiness probe runs cost in statements: on a
//! database at head, `is_at_head` and an `upgrade head` with nothing to do are
//! one query each (no catalog lookups, no run lock), on every backend. And
//! the one-query path judges as the full one does.

use std::sync::Arc;

use diesel::connection::{Connection, InstrumentationEvent};
use migrate_runtime::{AnyConnection, Chain, Error, Migration, Migrator};
use migrate_tests::{all_backends, counting_chain};

/// Hands `f` every event of `conn`'s backend connection.
fn instrument<F>(conn: &mut AnyConnection, f: F)
where
    F: FnMut(InstrumentationEvent<'_>) + Send + Clone + 'static,
{
    #[cfg(feature = "sqlite")]
    if let Some(c) = conn.sqlite() {
        c.set_instrumentation(f.clone());
        return;
    }
    #[cfg(feature = "postgres")]
    if let Some(c) = conn.postgres() {
        c.set_instrumentation(f.clone());
        return;
    }
    #[cfg(feature = "mysql")]
    if let Some(c) = conn.mysql() {
        c.set_instrumentation(f);
        return;
    }
    panic!("a backend this test does not know");
}

/// How many statements the log holds, emptying it.
fn taken(log: &std::sync::Mutex<Vec<String>>) -> usize {
    std::mem::take(&mut *log.lock().expect("the log")).len()
}

#[test]
fn at_head_the_checks_are_one_query() {
    let chain = counting_chain();
    for db in all_backends("round_trips") {
        let d = db.dialect;
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "head").expect("upgrade");

        let n = record_statements(&mut conn);
        assert!(m.is_at_head(&mut conn).expect("is_at_head"), "{d}");
        assert_eq!(taken(&n), 1, "{d}: is_at_head at head");

        assert!(
            m.upgrade(&mut conn, "head").expect("no-op").is_empty(),
            "{d}"
        );
        assert_eq!(taken(&n), 1, "{d}: upgrade with nothing to do");

        // Below head the same query says so, and an upgrade then runs (the
        // full path, under the lock).
        m.downgrade(&mut conn, "-1").expect("downgrade");
        taken(&n);
        assert!(!m.is_at_head(&mut conn).expect("is_at_head"), "{d}");
        assert_eq!(taken(&n), 1, "{d}: is_at_head below head");
        assert_eq!(
            m.upgrade(&mut conn, "head").expect("upgrade").len(),
            1,
            "{d}"
        );
        assert!(m.is_at_head(&mut conn).expect("is_at_head"), "{d}");
    }
}

/// Records the text of every statement `conn` sends from here on.
fn record_statements(conn: &mut AnyConnection) -> Arc<std::sync::Mutex<Vec<String>>> {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let record = move |e: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = e {
            log.lock().expect("the log").push(query.to_string());
        }
    };
    instrument(conn, record);
    seen
}

#[test]
fn a_run_on_a_plain_database_reads_no_catalog() {
    // Under the run lock, one query reads where the database is and its
    // ledger; the catalog lookups (does the version table exist, does the
    // ledger) are for databases that are not plain.
    let chain = counting_chain();
    for db in all_backends("round_trips_runs") {
        let d = db.dialect;
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "r8").expect("upgrade");
        let log = record_statements(&mut conn);
        m.downgrade(&mut conn, "-1").expect("downgrade");
        m.upgrade(&mut conn, "head").expect("upgrade");
        let log = std::mem::take(&mut *log.lock().expect("the log"));
        let catalog: Vec<&String> = log
            .iter()
            .filter(|q| {
                let q = q.to_lowercase();
                q.contains("information_schema")
                    || q.contains("sqlite_master")
                    || q.contains("sqlite_schema")
            })
            .collect();
        assert!(catalog.is_empty(), "{d}: {catalog:#?}");
        assert_eq!(
            m.current(&mut conn).expect("current").as_deref(),
            Some("r10"),
            "{d}"
        );
    }
}

fn noop(_: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    Ok(())
}

/// Two migrations, the second with `checksum`.
fn two(checksum: &'static str) -> Chain {
    Chain::new(vec![
        Migration::new("c1", None, "one", noop, Some(noop)).with_checksum("one"),
        Migration::new("c2", Some("c1"), "two", noop, Some(noop)).with_checksum(checksum),
    ])
    .expect("a valid chain")
}

#[test]
fn the_one_query_path_refuses_what_the_full_one_refuses() {
    for db in all_backends("round_trips_refusals") {
        let d = db.dialect;
        let mut conn = db.connect();
        Migrator::new(&two("two"))
            .upgrade(&mut conn, "head")
            .expect("upgrade");

        // At head, but the applied migration changed since: refused, not "nothing to do".
        let edited = two("two, edited");
        let err = Migrator::new(&edited)
            .upgrade(&mut conn, "head")
            .expect_err("an edited migration");
        assert!(matches!(err, Error::Edited { .. }), "{d}: {err}");

        // A version row the chain does not know: refused, as before.
        conn.execute("UPDATE alembic_version SET version_num = 'zz'")
            .expect("update");
        let err = Migrator::new(&two("two"))
            .upgrade(&mut conn, "head")
            .expect_err("an unknown revision");
        assert!(matches!(err, Error::UnknownRevision(_)), "{d}: {err}");
        assert!(
            Migrator::new(&two("two")).is_at_head(&mut conn).is_err(),
            "{d}: is_at_head on an unknown revision"
        );
        conn.execute("UPDATE alembic_version SET version_num = 'c2'")
            .expect("update");

        // A half-applied migration at head: not at head, and upgrade says why.
        conn.execute("UPDATE alembic_version_log SET state = 'upgrading' WHERE revision = 'c2'")
            .expect("update");
        assert!(
            !Migrator::new(&two("two"))
                .is_at_head(&mut conn)
                .expect("is_at_head"),
            "{d}: half-applied"
        );
    }
}

#[test]
fn inside_an_open_transaction_nothing_is_risked() {
    // A failing probe would abort the caller's transaction on PostgreSQL: inside
    // one the full path runs, which fails no statement.
    let chain = counting_chain();
    for db in all_backends("round_trips_tx") {
        let d = db.dialect;
        let mut conn = db.connect();
        conn.begin().expect("begin");
        // No version table yet: the one query would fail.
        assert!(
            !Migrator::new(&chain)
                .is_at_head(&mut conn)
                .expect("is_at_head"),
            "{d}"
        );
        assert_eq!(
            conn.query_text("SELECT 'still usable' AS v")
                .expect("the transaction is alive"),
            vec![Some("still usable".to_owned())],
            "{d}"
        );
        conn.rollback().expect("rollback");
    }
}

#[test]
fn a_schema_first_on_the_search_path_never_reads_another_schemas_tables() {
    // PostgreSQL: `acme` first on the search_path, and `public` (behind it)
    // at head. The full path looks in current_schema() (acme) only, finds
    // nothing and migrates acme; the one query must not answer from public.
    let chain = counting_chain();
    let Some(db) = migrate_tests::postgres("round_trips_schemas") else {
        return;
    };
    let mut conn = db.connect();
    Migrator::new(&chain)
        .upgrade(&mut conn, "head")
        .expect("upgrade public");
    conn.execute("CREATE SCHEMA acme").expect("create schema");
    let url = format!("{}?options=-csearch_path%3Dacme%2Cpublic", db.url);
    let mut acme = AnyConnection::establish(&url).expect("connect with acme first");
    let mut m = Migrator::new(&chain);
    assert!(!m.is_at_head(&mut acme).expect("is_at_head"));
    assert_eq!(m.current(&mut acme).expect("current"), None);
    assert_eq!(
        m.upgrade(&mut acme, "head").expect("upgrade acme").len(),
        chain.len(),
        "acme is migrated, not taken for public"
    );
    let in_acme = conn
        .query_text(
            "SELECT CAST(count(*) AS TEXT) AS v FROM information_schema.tables \
             WHERE table_schema = 'acme' AND table_name LIKE 'alembic_version%'",
        )
        .expect("catalog");
    assert_eq!(in_acme, vec![Some("2".to_owned())]);
}

fn add_email(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    use migrate_runtime::prelude::*;
    op.add_column("users", col::<Text>("email").nullable());
    Ok(())
}

fn drop_email(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    op.drop_column("users", "email");
    Ok(())
}

fn make_users(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    use migrate_runtime::prelude::*;
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name"));
    Ok(())
}

fn drop_users(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    op.drop_table("users");
    Ok(())
}

/// SQLite: undoing an `add_column` reads the table's definition (to tell
/// whether SQLite's own `DROP COLUMN` can do it) in one query, where it took
/// four; the rest of the step is what the raw script runs, the ledger, and
/// the foreign key switch around a step that may rebuild.
#[test]
fn a_sqlite_drop_column_reads_the_table_once() {
    let chain = Chain::new(vec![
        Migration::new("u1", None, "users", make_users, Some(drop_users)),
        Migration::new("u2", Some("u1"), "email", add_email, Some(drop_email)),
    ])
    .expect("a valid chain");
    for whole in [false, true] {
        let db = migrate_tests::sqlite("drop_column_reads");
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain).one_transaction(whole);
        m.upgrade(&mut conn, "head").expect("upgrade");
        let log = record_statements(&mut conn);
        m.downgrade(&mut conn, "-1").expect("downgrade");
        let log = std::mem::take(&mut *log.lock().expect("the log"));
        let start = log
            .iter()
            .position(|q| q.starts_with("BEGIN"))
            .expect("a transaction");
        let end = log
            .iter()
            .position(|q| q.contains("DROP COLUMN"))
            .expect("SQLite's own DROP COLUMN");
        let reads: Vec<&String> = log[start + 1..end].iter().collect();
        assert_eq!(reads.len(), 1, "one transaction: {whole}: {reads:#?}");
        assert!(reads[0].contains("sqlite_master"), "{reads:#?}");
        let names = conn
            .query_text("SELECT name AS v FROM pragma_table_info('users') ORDER BY cid")
            .expect("columns");
        assert_eq!(names, vec![Some("id".into()), Some("name".into())]);
    }
}

fn add_phone(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    use migrate_runtime::prelude::*;
    op.add_column("users", col::<Text>("phone").nullable());
    Ok(())
}

fn drop_phone(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    op.drop_column("users", "phone");
    Ok(())
}

/// A data step that copies where the version table is into a table of its own.
fn note_version(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    op.execute("CREATE TABLE seen (v VARCHAR(32))");
    op.run("note the version", |conn| {
        conn.execute("INSERT INTO seen (v) SELECT version_num FROM alembic_version")
    });
    Ok(())
}

fn forget_version(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
    op.execute("DROP TABLE seen");
    Ok(())
}

/// In one transaction over the run, the ledger row and version update of each
/// migration go with the next migration's first statement (or alone before
/// the commit): a round trip a migration less, with the records as they were,
/// and every statement and data step still running after the records before
/// it.
#[test]
fn in_one_transaction_the_records_ride_with_the_next_statement() {
    let chain = Chain::new(vec![
        Migration::new("u1", None, "users", make_users, Some(drop_users)),
        Migration::new("u2", Some("u1"), "email", add_email, Some(drop_email)),
        Migration::new("u3", Some("u2"), "phone", add_phone, Some(drop_phone)),
        Migration::new("u4", Some("u3"), "seen", note_version, Some(forget_version)),
    ])
    .expect("a valid chain");
    for db in all_backends("records_batched") {
        let d = db.dialect;
        // MySQL runs no DDL in a transaction: a transaction per migration.
        if d == migrate_runtime::Dialect::Mysql {
            continue;
        }
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain).one_transaction(true);
        m.upgrade(&mut conn, "u1").expect("upgrade");
        let log = record_statements(&mut conn);
        m.upgrade(&mut conn, "head").expect("upgrade");
        let log = std::mem::take(&mut *log.lock().expect("the log"));
        let begin = log
            .iter()
            .position(|q| q.starts_with("BEGIN"))
            .expect("BEGIN");
        // On PostgreSQL the last records go with the COMMIT.
        let commit = log
            .iter()
            .position(|q| q == "COMMIT" || q.ends_with(";\nCOMMIT"))
            .expect("COMMIT");
        // Reads of the catalog, and the lock timeout lifted around the data
        // step, are left out: the writes are what this is about.
        let sent: Vec<&String> = log[begin + 1..=commit]
            .iter()
            .filter(|q| !q.starts_with("SELECT") && !q.starts_with("SET ") && *q != "COMMIT")
            .collect();
        let record = |q: &str, rev: &str| {
            q.contains(&format!("INSERT INTO \"alembic_version_log\" (revision, parent, checksum, state, ops_done, ops_total, seq, applied_at, duration_ms, note) VALUES ('{rev}'"))
        };
        assert_eq!(sent.len(), 5, "{d}: {sent:#?}");
        assert!(
            sent[0].contains("ADD COLUMN \"email\"") && !sent[0].contains("alembic_version"),
            "{d}: {sent:#?}"
        );
        assert!(
            record(sent[1], "u2") && sent[1].contains("ADD COLUMN \"phone\""),
            "{d}: {sent:#?}"
        );
        assert!(
            record(sent[2], "u3") && sent[2].contains("CREATE TABLE seen"),
            "{d}: {sent:#?}"
        );
        assert!(sent[3].starts_with("INSERT INTO seen"), "{d}: {sent:#?}");
        assert!(record(sent[4], "u4"), "{d}: {sent:#?}");
        // The data step saw u3 recorded.
        assert_eq!(
            conn.query_text("SELECT v FROM seen").expect("seen"),
            vec![Some("u3".to_owned())],
            "{d}"
        );
        assert_eq!(
            m.current(&mut conn).expect("current").as_deref(),
            Some("u4"),
            "{d}"
        );
        let revs: Vec<String> = m
            .ledger(&mut conn)
            .expect("ledger")
            .into_iter()
            .map(|e| e.revision)
            .collect();
        assert_eq!(revs, ["u1", "u2", "u3", "u4"], "{d}");

        // Down in one transaction: each record with the next statement, the
        // last alone, and nothing left.
        let log = record_statements(&mut conn);
        m.downgrade(&mut conn, "base").expect("downgrade");
        let log = std::mem::take(&mut *log.lock().expect("the log"));
        let deletes: Vec<&String> = log
            .iter()
            .filter(|q| q.contains("DELETE FROM \"alembic_version_log\""))
            .collect();
        assert_eq!(deletes.len(), 4, "{d}: {log:#?}");
        assert!(
            deletes[0].contains("DROP COLUMN \"phone\""),
            "{d}: {log:#?}"
        );
        assert!(deletes[2].contains("DROP TABLE \"users\""), "{d}: {log:#?}");
        assert_eq!(m.current(&mut conn).expect("current"), None, "{d}");
        assert!(m.ledger(&mut conn).expect("ledger").is_empty(), "{d}");
    }
}

/// A failing migration in one transaction leaves nothing, its kept records
/// included.
#[test]
fn in_one_transaction_a_failure_leaves_no_records() {
    fn broken(op: &mut migrate_runtime::prelude::Op) -> migrate_runtime::Result<()> {
        op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER");
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("u1", None, "users", make_users, Some(drop_users)),
        Migration::new("u2", Some("u1"), "email", add_email, Some(drop_email)),
        Migration::new("u3", Some("u2"), "broken", broken, None),
    ])
    .expect("a valid chain");
    for db in all_backends("records_rolled_back") {
        if db.dialect == migrate_runtime::Dialect::Mysql {
            continue;
        }
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain).one_transaction(true);
        m.upgrade(&mut conn, "head").expect_err("u3 fails");
        assert_eq!(
            m.current(&mut conn).expect("current"),
            None,
            "{}",
            db.dialect
        );
        assert!(m.ledger(&mut conn).expect("ledger").is_empty());
        // And the run after it starts from there.
        m.upgrade(&mut conn, "u2").expect("upgrade to u2");
        assert_eq!(
            m.current(&mut conn).expect("current").as_deref(),
            Some("u2")
        );
    }
}

/// On PostgreSQL a migration in a transaction of its own sends its `BEGIN`
/// with its first statement and its `COMMIT` with its records: two round
/// trips fewer per migration than a `BEGIN` and a `COMMIT` of their own,
/// with every statement still inside the transaction.
#[test]
fn on_postgres_begin_and_commit_ride_with_a_migrations_statements() {
    let chain = Chain::new(vec![
        Migration::new("u1", None, "users", make_users, Some(drop_users)),
        Migration::new("u2", Some("u1"), "email", add_email, Some(drop_email)),
        Migration::new("u3", Some("u2"), "phone", add_phone, Some(drop_phone)),
    ])
    .expect("a valid chain");
    let Some(db) = migrate_tests::postgres("txn_folded") else {
        return;
    };
    let mut conn = db.connect();
    let mut m = Migrator::new(&chain);
    // Each migration: one batch that begins it, one that commits it with
    // its records, and nothing of it outside the two.
    let check = |log: &[String], records: &str, firsts: [&str; 3]| {
        assert!(
            !log.iter().any(|q| q == "BEGIN" || q == "COMMIT"),
            "{log:#?}"
        );
        let mut open = false;
        let mut begun = Vec::new();
        for q in log {
            if let Some(rest) = q.strip_prefix("BEGIN;\n") {
                assert!(!open, "{log:#?}");
                open = true;
                begun.push(rest.to_owned());
            }
            if q.ends_with(";\nCOMMIT") {
                assert!(open && q.contains(records), "{log:#?}");
                open = false;
            } else if !open {
                // Outside the migrations' transactions: the run's own reads,
                // settings and tables only.
                assert!(
                    q.starts_with("SELECT")
                        || q.starts_with("SET ")
                        || q.starts_with("CREATE TABLE IF NOT EXISTS \"alembic_version"),
                    "{q} outside a transaction: {log:#?}"
                );
            }
        }
        assert!(!open, "{log:#?}");
        assert_eq!(begun.len(), 3, "{log:#?}");
        for (b, first) in begun.iter().zip(firsts) {
            assert!(b.contains(first), "{b} should hold {first}: {log:#?}");
        }
    };
    let log = record_statements(&mut conn);
    m.upgrade(&mut conn, "head").expect("upgrade");
    let sent = std::mem::take(&mut *log.lock().expect("the log"));
    check(
        &sent,
        "INSERT INTO \"alembic_version_log\"",
        [
            "CREATE TABLE \"users\"",
            "ADD COLUMN \"email\"",
            "ADD COLUMN \"phone\"",
        ],
    );
    assert_eq!(
        m.current(&mut conn).expect("current").as_deref(),
        Some("u3")
    );
    assert_eq!(m.ledger(&mut conn).expect("ledger").len(), 3);

    let log = record_statements(&mut conn);
    m.downgrade(&mut conn, "base").expect("downgrade");
    let sent = std::mem::take(&mut *log.lock().expect("the log"));
    check(
        &sent,
        "DELETE FROM \"alembic_version_log\"",
        [
            "DROP COLUMN \"phone\"",
            "DROP COLUMN \"email\"",
            "DROP TABLE \"users\"",
        ],
    );
    assert_eq!(m.current(&mut conn).expect("current"), None);
    assert!(m.ledger(&mut conn).expect("ledger").is_empty());
}

/// A migration in a transaction of its own fails whole wherever it fails: at
/// its first statement (which began the transaction), at a later one, at its
/// records, or at the `COMMIT` (PostgreSQL's deferred foreign key); the
/// error is the migration's own, with no cleanup error after it, and the
/// connection goes on.
#[test]
fn a_migration_in_its_own_transaction_fails_whole_at_any_statement() {
    use migrate_runtime::prelude::Op;
    fn first(op: &mut Op) -> migrate_runtime::Result<()> {
        op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER");
        Ok(())
    }
    fn later(op: &mut Op) -> migrate_runtime::Result<()> {
        op.execute("CREATE TABLE made (id INTEGER)");
        op.execute("ALTER TABLE no_such_table ADD COLUMN x INTEGER");
        Ok(())
    }
    fn records(op: &mut Op) -> migrate_runtime::Result<()> {
        op.execute("CREATE TABLE made (id INTEGER)");
        op.execute("DROP TABLE alembic_version_log");
        Ok(())
    }
    fn at_commit(op: &mut Op) -> migrate_runtime::Result<()> {
        op.execute("CREATE TABLE made (id INTEGER PRIMARY KEY)");
        op.execute(
            "CREATE TABLE child (p INTEGER REFERENCES made (id) DEFERRABLE INITIALLY DEFERRED)",
        );
        op.execute("INSERT INTO child VALUES (1)");
        Ok(())
    }
    type Step = fn(&mut Op) -> migrate_runtime::Result<()>;
    let cases: [(&str, Step, bool); 4] = [
        ("first", first, true),
        ("later", later, true),
        ("records", records, true),
        ("at_commit", at_commit, false),
    ];
    for db in all_backends("txn_fails_whole") {
        let d = db.dialect;
        // MySQL commits DDL as it goes: no transaction to fail whole.
        if d == migrate_runtime::Dialect::Mysql {
            continue;
        }
        for (name, f, everywhere) in cases {
            if !everywhere && d != migrate_runtime::Dialect::Postgres {
                continue;
            }
            let chain = Chain::new(vec![
                Migration::new("u1", None, "users", make_users, Some(drop_users)),
                Migration::new("u2", Some("u1"), name, f, None),
            ])
            .expect("a valid chain");
            let mut conn = db.connect();
            let mut m = Migrator::new(&chain);
            m.upgrade(&mut conn, "u1").expect("upgrade to u1");
            let e = m.upgrade(&mut conn, "head").expect_err(name);
            assert!(
                matches!(e, Error::MigrationFailed { .. }),
                "{d} {name}: {e}"
            );
            assert!(!e.to_string().contains("cleaning up"), "{d} {name}: {e}");
            assert!(
                !migrate_tests::table_exists(&mut conn, "made"),
                "{d} {name}: rolled back"
            );
            assert_eq!(
                m.current(&mut conn).expect("current").as_deref(),
                Some("u1"),
                "{d} {name}"
            );
            let revs: Vec<String> = m
                .ledger(&mut conn)
                .expect("ledger")
                .into_iter()
                .map(|e| e.revision)
                .collect();
            assert_eq!(revs, ["u1"], "{d} {name}");
            // The connection goes on: down and up again.
            m.downgrade(&mut conn, "base").expect("downgrade");
            m.upgrade(&mut conn, "u1").expect("upgrade");
            assert_eq!(
                m.current(&mut conn).expect("current").as_deref(),
                Some("u1"),
                "{d} {name}"
            );
            m.downgrade(&mut conn, "base").expect("downgrade");
        }
    }
}

/// Inside a transaction of the caller's, each migration is a savepoint of
/// it: nothing commits, and the caller's rollback undoes the whole run, the
/// version table and ledger it made included (on every database with
/// transactional DDL).
#[test]
fn inside_a_callers_transaction_the_run_is_the_callers() {
    let chain = Chain::new(vec![
        Migration::new("u1", None, "users", make_users, Some(drop_users)),
        Migration::new("u2", Some("u1"), "email", add_email, Some(drop_email)),
    ])
    .expect("a valid chain");
    for db in all_backends("callers_tx") {
        let d = db.dialect;
        if d == migrate_runtime::Dialect::Mysql {
            continue;
        }
        let mut conn = db.connect();
        conn.begin().expect("begin");
        let mut m = Migrator::new(&chain);
        assert_eq!(
            m.upgrade(&mut conn, "head").expect("upgrade").len(),
            2,
            "{d}"
        );
        assert!(conn.in_transaction().expect("state"), "{d}: still open");
        assert!(migrate_tests::table_exists(&mut conn, "users"), "{d}");
        conn.rollback().expect("the caller's rollback");
        assert!(!migrate_tests::table_exists(&mut conn, "users"), "{d}");
        assert!(
            !migrate_tests::table_exists(&mut conn, "alembic_version"),
            "{d}"
        );
    }
}

/// A database adopted at revision N (a version table and no ledger, as
/// Alembic leaves it) gets its N ledger rows in one batch, not a round trip
/// each.
#[test]
fn adopting_a_database_writes_its_ledger_in_one_batch() {
    let chain = counting_chain();
    for db in all_backends("adopt_batched") {
        let d = db.dialect;
        let mut conn = db.connect();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "r8").expect("upgrade");
        conn.execute("DROP TABLE alembic_version_log")
            .expect("as Alembic leaves it");
        let log = record_statements(&mut conn);
        m.upgrade(&mut conn, "head").expect("upgrade");
        let log = std::mem::take(&mut *log.lock().expect("the log"));
        let adopting: Vec<&String> = log.iter().filter(|q| q.contains("'adopted'")).collect();
        assert_eq!(adopting.len(), 1, "{d}: {adopting:#?}");
        assert_eq!(
            adopting[0].matches("INSERT INTO ").count(),
            8,
            "{d}: {}",
            adopting[0]
        );
        let states: Vec<String> = m
            .ledger(&mut conn)
            .expect("ledger")
            .into_iter()
            .map(|e| format!("{}:{:?}", e.revision, e.state))
            .collect();
        assert_eq!(states.len(), 10, "{d}: {states:?}");
        assert!(
            states[..8]
                .iter()
                .all(|s| s.to_lowercase().ends_with(":adopted")),
            "{d}: {states:?}"
        );
        assert_eq!(
            m.current(&mut conn).expect("current").as_deref(),
            Some("r10"),
            "{d}"
        );
    }
}
