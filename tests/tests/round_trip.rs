//! The round-trip helper users call from `cargo test`.

use migrate_runtime::prelude::*;
use migrate_runtime::testing::{RoundTrip, TempDatabase};
use migrate_tests::{all_backends, server_url};

fn up1(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(40));
    Ok(())
}
fn down1(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
fn up2(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Varchar>>("email").length(80));
    op.create_index("ix_users_email", "users", ["email"]);
    Ok(())
}
fn down2(op: &mut Op) -> Result<()> {
    op.drop_index("ix_users_email", "users");
    op.drop_column("users", "email");
    Ok(())
}
/// Forgets the column it added.
fn down2_wrong(op: &mut Op) -> Result<()> {
    op.drop_index("ix_users_email", "users");
    Ok(())
}
fn up3(op: &mut Op) -> Result<()> {
    op.alter_column("users", "name").nullable(true);
    op.execute("UPDATE users SET email = lower(name) || '@example.com' WHERE email IS NULL")
        .mysql("UPDATE users SET email = CONCAT(lower(name), '@example.com') WHERE email IS NULL");
    Ok(())
}
fn down3(op: &mut Op) -> Result<()> {
    op.alter_column("users", "name").nullable(false);
    Ok(())
}

fn chain(wrong: bool) -> Chain {
    Chain::new(vec![
        Migration::new("r1", None, "users", up1, Some(down1)),
        Migration::new(
            "r2",
            Some("r1"),
            "email",
            up2,
            Some(if wrong { down2_wrong } else { down2 }),
        ),
        Migration::new("r3", Some("r2"), "backfill", up3, Some(down3)),
    ])
    .unwrap()
}

#[test]
fn a_sound_chain_round_trips_on_every_database_with_seed_data() {
    let c = chain(false);
    RoundTrip::new(&c).run().unwrap();
    for db in all_backends("rt_ok") {
        RoundTrip::new(&c)
            .on(&db.url)
            .seed_before("r3", |conn| {
                conn.execute("INSERT INTO users (name) VALUES ('Ada')")
            })
            .check_at("r3", |conn| {
                let got = conn.query_text("SELECT email AS v FROM users")?;
                if got == vec![Some("ada@example.com".to_owned())] {
                    Ok(())
                } else {
                    Err(Error::msg(format!("backfill wrote {got:?}")))
                }
            })
            .run()
            .unwrap_or_else(|e| panic!("{}: {e}", db.dialect));
    }
}

#[test]
fn a_downgrade_that_leaves_a_column_behind_is_named() {
    let c = chain(true);
    for db in all_backends("rt_wrong") {
        let e = RoundTrip::new(&c).on(&db.url).run().unwrap_err();
        assert_eq!(e.revision, "r2", "{e}");
        let text = e.to_string();
        assert!(text.starts_with("revision r2 (email): the downgrade left the schema different from before the upgrade"), "{text}");
        assert!(
            text.contains("table users: column email is left over"),
            "{}: {text}",
            db.dialect
        );
    }
}

#[test]
fn a_failing_check_names_the_revision() {
    let c = chain(false);
    let e = RoundTrip::new(&c)
        .check_at("r2", |_| Err(Error::msg("expected something else")))
        .run()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "revision r2 (email): checking data after the upgrade: expected something else"
    );
}

#[test]
fn temp_databases_are_created_and_dropped() {
    let d = TempDatabase::create("sqlite://").unwrap();
    let path = d.url().trim_start_matches("sqlite:///").to_owned();
    RoundTrip::new(&chain(false)).on(d.url()).run().unwrap();
    assert!(std::path::Path::new(&path).exists());
    drop(d);
    assert!(!std::path::Path::new(&path).exists());
    for dialect in [Dialect::Postgres, Dialect::Mysql] {
        let Some(server) = server_url(dialect) else {
            continue;
        };
        let d = TempDatabase::create(&server).unwrap();
        // The database's name is the last path segment of its URL.
        let name = d
            .url()
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let sql = match dialect {
            Dialect::Postgres => format!("SELECT datname AS v FROM pg_database WHERE datname = '{name}'"),
            _ => format!("SELECT CAST(schema_name AS CHAR) AS v FROM information_schema.schemata WHERE schema_name = '{name}'"),
        };
        let exists = || {
            let mut admin = AnyConnection::establish(&server).unwrap();
            !admin.query_text(&sql).unwrap().is_empty()
        };
        RoundTrip::new(&chain(false)).on(d.url()).run().unwrap();
        assert!(exists(), "{dialect}: {name} was created");
        drop(d);
        assert!(!exists(), "{dialect}: {name} was dropped");
    }
}

fn with_middle(op: &mut Op) -> Result<()> {
    op.create_table("people")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Text>>("old_field"))
        .column(col::<Nullable<Text>>("email"));
    Ok(())
}
fn drop_people(op: &mut Op) -> Result<()> {
    op.drop_table("people");
    Ok(())
}
fn drop_middle(op: &mut Op) -> Result<()> {
    op.drop_column("people", "old_field");
    Ok(())
}
/// Adds it back, last: where the database puts a new column.
fn add_middle_back(op: &mut Op) -> Result<()> {
    op.add_column("people", col::<Nullable<Text>>("old_field"));
    Ok(())
}

#[test]
fn dropping_a_column_from_the_middle_round_trips_unless_column_order_is_asked_for() {
    let chain = Chain::new(vec![
        Migration::new("m1", None, "people", with_middle, Some(drop_people)),
        Migration::new(
            "m2",
            Some("m1"),
            "drop old_field",
            drop_middle,
            Some(add_middle_back),
        ),
    ])
    .unwrap();
    for db in all_backends("round_trip_middle") {
        let d = db.dialect;
        RoundTrip::new(&chain)
            .on(&db.url)
            .run()
            .unwrap_or_else(|e| panic!("{d}: {e}"));
    }
    let e = RoundTrip::new(&chain).column_order(true).run().unwrap_err();
    // Debug, as `.unwrap()` prints it, is the readable message.
    let shown = format!("{e:?}");
    assert!(
        shown.starts_with("revision m2 (drop old_field): the downgrade left the schema different")
            && shown.contains("columns are in order [\"id\", \"email\", \"old_field\"], expected [\"id\", \"old_field\", \"email\"]"),
        "{shown}"
    );
}

#[test]
fn query_text_reads_the_first_column_whatever_its_name() {
    for db in migrate_tests::all_backends("query_text") {
        let mut c = db.connect();
        c.execute("CREATE TABLE people (id INTEGER, name VARCHAR(20))")
            .unwrap();
        c.execute("INSERT INTO people (id, name) VALUES (1, 'ada'), (2, NULL)")
            .unwrap();
        let d = db.dialect;
        assert_eq!(
            c.query_text("SELECT name FROM people ORDER BY id").unwrap(),
            [Some("ada".to_owned()), None],
            "{d}"
        );
        let count = if d == Dialect::Mysql {
            "SELECT CAST(COUNT(*) AS CHAR), 'second' FROM people"
        } else {
            "SELECT CAST(COUNT(*) AS TEXT), 'second' FROM people"
        };
        assert_eq!(c.query_text(count).unwrap(), [Some("2".to_owned())], "{d}");
    }
}
