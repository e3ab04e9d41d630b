//! Hostile input that must never cost data: names too long for the database,
//! and SQLite rebuilds under views and triggers.

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;
use migrate_tests::{all_backends, table_exists};

/// 70 characters; `LONG_B` shares its first 63 bytes, which PostgreSQL would
/// have cut both names to.
const LONG_A: &str = "customer_subscription_invoice_line_item_adjustments_history_archive_aa";
const LONG_B: &str = "customer_subscription_invoice_line_item_adjustments_history_archive_bb";
/// 64 characters but 66 bytes (two of them take two bytes): fine on MySQL,
/// too long on PostgreSQL.
const WIDE: &str = "é_é123456789012345678901234567890123456789012345678901234567890a";

fn keep_up(op: &mut Op) -> Result<()> {
    op.create_table("keep")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("v"));
    op.bulk_insert("keep", ["id", "v"], vec![row![1, "precious"]]);
    Ok(())
}
fn keep_down(op: &mut Op) -> Result<()> {
    op.drop_table("keep");
    Ok(())
}
fn long_up(op: &mut Op) -> Result<()> {
    op.create_table(LONG_A)
        .column(col::<Integer>("id").primary_key());
    Ok(())
}
fn index_up(op: &mut Op) -> Result<()> {
    op.create_index(LONG_A, "keep", ["v"]);
    Ok(())
}
fn wide_up(op: &mut Op) -> Result<()> {
    op.add_column("keep", col::<Text>(WIDE).nullable());
    Ok(())
}
fn long_drop(op: &mut Op) -> Result<()> {
    op.drop_table(LONG_A);
    Ok(())
}
fn index_down(op: &mut Op) -> Result<()> {
    op.drop_index(LONG_A, "keep");
    Ok(())
}
fn wide_down(op: &mut Op) -> Result<()> {
    op.drop_column("keep", WIDE);
    Ok(())
}
fn nothing(_: &mut Op) -> Result<()> {
    Ok(())
}

type Mig = fn(&mut Op) -> Result<()>;

fn chain_with(second: Mig, undo: Mig) -> Chain {
    Chain::new(vec![
        Migration::new("a1", None, "keep", keep_up, Some(keep_down)),
        Migration::new("a2", Some("a1"), "long", second, Some(undo)),
    ])
    .unwrap()
}

fn chain(second: Mig) -> Chain {
    chain_with(second, nothing)
}

#[test]
fn a_name_too_long_stops_the_run_before_anything_changes() {
    for db in all_backends("long_names") {
        let d = db.dialect;
        let mut conn = db.connect();
        for (second, undo, name) in [
            (long_up as Mig, long_drop as Mig, LONG_A),
            (index_up, index_down, LONG_A),
            (wide_up, wide_down, WIDE),
        ] {
            let c = chain_with(second, undo);
            let r = Migrator::new(&c).upgrade(&mut conn, "head");
            let refused = match d {
                Dialect::Sqlite => false,
                Dialect::Postgres => true,
                Dialect::Mysql => name != WIDE,
            };
            if !refused {
                r.unwrap_or_else(|e| panic!("{d}: {e:?}"));
                Migrator::new(&c).downgrade(&mut conn, "base").unwrap();
                continue;
            }
            let e = r.expect_err(d.name());
            let text = format!("{e:?}");
            assert!(text.contains(name), "{d}: {text}");
            assert!(
                text.contains(if d == Dialect::Postgres {
                    "63 bytes"
                } else {
                    "64 characters"
                }),
                "{d}: {text}"
            );
            // The first migration did not run either: the check comes first.
            assert!(!table_exists(&mut conn, "keep"), "{d}: {text}");
            assert_eq!(Migrator::new(&c).current(&mut conn).unwrap(), None, "{d}");
        }
    }
}

#[test]
fn a_long_drop_never_drops_the_table_that_shares_its_prefix() {
    // The table PostgreSQL truncated in an earlier version of this tool, or that
    // another tool made: a drop of another long name must not reach it.
    fn drop_up(op: &mut Op) -> Result<()> {
        op.drop_table(LONG_B);
        Ok(())
    }
    for db in all_backends("long_drop") {
        if db.dialect != Dialect::Postgres {
            continue;
        }
        let mut conn = db.connect();
        let truncated = &LONG_A[..63];
        conn.execute(&format!("CREATE TABLE \"{truncated}\" (id INTEGER)"))
            .unwrap();
        conn.execute(&format!("INSERT INTO \"{truncated}\" VALUES (1)"))
            .unwrap();
        let c = chain(drop_up);
        let e = Migrator::new(&c).upgrade(&mut conn, "head").unwrap_err();
        assert!(
            matches!(e, Error::MigrationFailed { .. }) || format!("{e}").contains("63 bytes"),
            "{e:?}"
        );
        assert!(
            table_exists(&mut conn, truncated),
            "the table and its row are still there"
        );
        let rows = conn
            .query_text(&format!(
                "SELECT CAST(count(*) AS TEXT) AS v FROM \"{truncated}\""
            ))
            .unwrap();
        assert_eq!(rows, vec![Some("1".to_owned())]);
    }
}

#[test]
fn a_version_table_name_too_long_for_its_ledger_is_refused() {
    let c = chain(nothing);
    for db in all_backends("long_version_table") {
        let d = db.dialect;
        let mut conn = db.connect();
        // 57 characters: the table fits, `<name>_log_pkc` does not.
        let name = "v".repeat(57);
        let r = Migrator::new(&c)
            .version_table(&name)
            .upgrade(&mut conn, "head");
        if d == Dialect::Sqlite {
            r.unwrap();
            continue;
        }
        let e = r.unwrap_err();
        assert!(format!("{e}").contains("_log_pkc"), "{d}: {e}");
        assert!(!table_exists(&mut conn, "keep"), "{d}");
        assert!(!table_exists(&mut conn, &name), "{d}");
    }
}

const DEPENDENTS: &str = r#"
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, val TEXT, n INTEGER);
CREATE TABLE log (x TEXT);
CREATE TRIGGER tr_t AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('got ' || new.val); END;
CREATE VIEW v_t AS SELECT id, val FROM t;
INSERT INTO t (id, a, val, n) VALUES (1, 'a', 'kept', 1);
"#;

fn dependents(op: &mut Op) -> Result<()> {
    op.execute(DEPENDENTS);
    Ok(())
}
fn drop_val(op: &mut Op) -> Result<()> {
    op.drop_column("t", "val");
    Ok(())
}
fn batch_drop_val(op: &mut Op) -> Result<()> {
    op.batch_alter_table("t", |b| {
        b.alter_column("n").set_type::<BigInt>();
        b.drop_column("val");
    });
    Ok(())
}
fn retype_val(op: &mut Op) -> Result<()> {
    op.alter_column("t", "val")
        .set_type::<VarChar>()
        .nullable(false);
    Ok(())
}
fn rename_val(op: &mut Op) -> Result<()> {
    op.alter_column("t", "val")
        .rename_to("value")
        .set_type::<VarChar>();
    Ok(())
}
fn drop_a(op: &mut Op) -> Result<()> {
    op.batch_alter_table("t", |b| {
        b.alter_column("n").set_type::<BigInt>();
        b.drop_column("a");
    });
    Ok(())
}

fn texts(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    conn.query_text(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .into_iter()
        .flatten()
        .collect()
}

#[test]
fn a_sqlite_rebuild_keeps_views_and_triggers_working_or_refuses() {
    // Which second migration, whether it may run, the column the view and
    // trigger read afterwards.
    let cases: [(Mig, bool, &str); 5] = [
        (drop_val, false, "val"),
        (batch_drop_val, false, "val"),
        (retype_val, true, "val"),
        (rename_val, true, "value"),
        (drop_a, true, "val"),
    ];
    for (i, (second, ok, column)) in cases.into_iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("deps.db").display());
        let mut conn = AnyConnection::establish(&url).unwrap();
        let c = Chain::new(vec![
            Migration::new("d1", None, "dependents", dependents, None),
            Migration::new("d2", Some("d1"), "change", second, None),
        ])
        .unwrap();
        let r = Migrator::new(&c).upgrade(&mut conn, "head");
        if ok {
            r.unwrap_or_else(|e| panic!("case {i}: {e:?}"));
        } else {
            let e = format!("{:?}", r.unwrap_err());
            assert!(e.contains("v_t") || e.contains("tr_t"), "case {i}: {e}");
            assert_eq!(
                Migrator::new(&c).current(&mut conn).unwrap().as_deref(),
                Some("d1"),
                "case {i}"
            );
        }
        // Whatever happened, the view reads, the trigger fires, no row is lost.
        assert_eq!(
            texts(
                &mut conn,
                &format!("SELECT {column} AS v FROM v_t WHERE id = 1")
            ),
            ["kept"],
            "case {i}"
        );
        conn.execute(&format!("INSERT INTO t (id, {column}) VALUES (2, 'new')"))
            .unwrap_or_else(|e| panic!("case {i}: {e:?}"));
        assert_eq!(
            texts(&mut conn, "SELECT x AS v FROM log WHERE x <> 'got kept'"),
            ["got new"],
            "case {i}"
        );
    }
}

fn dependents_and_a_stale_view(op: &mut Op) -> Result<()> {
    op.execute(DEPENDENTS);
    // Broken long before this rebuild, and about another table: not its business.
    op.execute(
        "CREATE TABLE gone (g INTEGER); CREATE VIEW v_gone AS SELECT g FROM gone; DROP TABLE gone",
    );
    Ok(())
}

#[test]
fn a_view_broken_before_elsewhere_does_not_stop_a_rebuild_but_one_of_its_own_still_does() {
    // (A plain drop_column is SQLite's own DROP COLUMN, which refuses over any broken view.)
    for (second, ok) in [(drop_a as Mig, true), (batch_drop_val, false)] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:///{}", dir.path().join("stale.db").display());
        let mut conn = AnyConnection::establish(&url).unwrap();
        let c = Chain::new(vec![
            Migration::new("d1", None, "dependents", dependents_and_a_stale_view, None),
            Migration::new("d2", Some("d1"), "change", second, None),
        ])
        .unwrap();
        let r = Migrator::new(&c).upgrade(&mut conn, "head");
        assert_eq!(r.is_ok(), ok, "{r:?}");
        if let Err(e) = r {
            assert!(format!("{e}").contains("view v_t"), "{e}");
        }
        assert_eq!(texts(&mut conn, "SELECT val AS v FROM v_t"), ["kept"]);
    }
}
