//! The SQLite table rebuild keeps everything: rows and rowids, unnamed checks,
//! collations, indexes, triggers, the AUTOINCREMENT high-water mark, and the rows
//! of tables that reference the rebuilt one.

use migrate_runtime::prelude::*;
use migrate_runtime::testing as introspect;
use migrate_runtime::Migrator;

const SETUP: &str = r#"
CREATE TABLE parent (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL COLLATE NOCASE,
    code TEXT,
    score INTEGER DEFAULT 5 CHECK (score >= 0),
    CHECK (length(name) > 1),
    CONSTRAINT ck_code CHECK (code <> 'bad')
);
CREATE TABLE child (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE
);
CREATE INDEX ix_parent_code ON parent (code);
CREATE UNIQUE INDEX ix_parent_name ON parent (name) WHERE score > 0;
CREATE TABLE log (msg TEXT);
CREATE TRIGGER tr_parent AFTER INSERT ON parent BEGIN INSERT INTO log VALUES ('inserted ' || new.name); END;
CREATE VIEW v_parent AS SELECT name FROM parent;
INSERT INTO parent (name, code, score) VALUES ('ada', 'a1', 1), ('alan', 'a2', 2), ('grace', 'g1', 3);
DELETE FROM parent WHERE name = 'grace';
INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 2);
"#;

fn setup(op: &mut Op) -> Result<()> {
    op.execute(SETUP);
    Ok(())
}
fn nothing(_: &mut Op) -> Result<()> {
    Ok(())
}

fn alter(op: &mut Op) -> Result<()> {
    op.alter_column("parent", "score")
        .set_type::<BigInt>()
        .nullable(false);
    op.alter_column("parent", "code").server_default("'none'");
    op.create_check_constraint("ck_score_small", "parent", "score < 100");
    Ok(())
}
fn unalter(op: &mut Op) -> Result<()> {
    op.drop_constraint("ck_score_small", "parent", ConstraintKind::Check);
    op.alter_column("parent", "code").drop_default();
    op.alter_column("parent", "score")
        .set_type::<Integer>()
        .nullable(true);
    Ok(())
}

fn drop_indexed(op: &mut Op) -> Result<()> {
    op.drop_column("parent", "code");
    Ok(())
}
fn undrop_indexed(op: &mut Op) -> Result<()> {
    op.add_column("parent", col::<Nullable<Text>>("code"));
    op.create_index("ix_parent_code", "parent", ["code"]);
    Ok(())
}

fn chain() -> Chain {
    Chain::new(vec![
        Migration::new("s1", None, "setup", setup, Some(nothing)),
        Migration::new("s2", Some("s1"), "alter parent", alter, Some(unalter)),
        Migration::new(
            "s3",
            Some("s2"),
            "drop an indexed column",
            drop_indexed,
            Some(undrop_indexed),
        ),
    ])
    .unwrap()
}

fn texts(conn: &mut AnyConnection, sql: &str) -> Vec<String> {
    conn.query_text(sql)
        .unwrap()
        .into_iter()
        .map(|v| v.unwrap_or_default())
        .collect()
}

// Over 120 lines on purpose: one table with every feature a rebuild must keep,
// checked feature by feature after one rebuild.
#[test]
fn rebuild_keeps_rows_constraints_indexes_triggers_and_children() {
    let db = migrate_tests::sqlite("rebuild");
    let mut conn = db.connect();
    let chain = chain();
    let mut m = Migrator::new(&chain);
    m.upgrade(&mut conn, "s1").unwrap();
    let rowids_before = texts(
        &mut conn,
        "SELECT CAST(rowid AS TEXT) || ':' || name AS v FROM parent ORDER BY rowid",
    );
    m.upgrade(&mut conn, "s2").unwrap();

    // Rows and rowids.
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(rowid AS TEXT) || ':' || name AS v FROM parent ORDER BY rowid"
        ),
        rowids_before
    );
    // Referencing rows were not cascaded away when the old table was dropped.
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(id AS TEXT) AS v FROM child ORDER BY id"
        ),
        ["10", "11"]
    );
    let s = introspect::schema(&mut conn, "alembic_version").unwrap();
    let p = s.table("parent").unwrap();
    assert_eq!(p.column("score").unwrap().sql_type, "bigint");
    assert!(!p.column("score").unwrap().nullable);
    assert_eq!(p.column("code").unwrap().default.as_deref(), Some("'none'"));
    // Checks, named and unnamed, column-level and table-level.
    for c in [
        "CHECK (length(name) > 1)",
        "ck_code: CHECK (code <> 'bad')",
        "column score: CHECK (score >= 0)",
        "ck_score_small: CHECK (score < 100)",
    ] {
        assert!(p.constraints.contains(c), "{c} missing: {s}");
    }
    assert!(
        conn.execute("INSERT INTO parent (name, score) VALUES ('x', 1)")
            .is_err(),
        "unnamed check enforced"
    );
    assert!(
        conn.execute("INSERT INTO parent (name, score) VALUES ('xy', 500)")
            .is_err(),
        "new check enforced"
    );
    // Collation kept: NOCASE makes the partial unique index reject 'ADA'.
    assert!(
        conn.execute("INSERT INTO parent (name, score) VALUES ('ADA', 1)")
            .is_err(),
        "collation + unique index kept"
    );
    // Indexes, the partial one with its predicate.
    assert!(
        p.indexes.iter().any(|i| i == "ix_parent_code: (code)"),
        "{s}"
    );
    assert!(
        p.indexes
            .iter()
            .any(|i| i == "ix_parent_name: UNIQUE (name) WHERE score > 0"),
        "{s}"
    );
    // Trigger kept.
    conn.execute("INSERT INTO parent (name, score) VALUES ('edsger', 4)")
        .unwrap();
    assert_eq!(
        texts(
            &mut conn,
            "SELECT msg AS v FROM log WHERE msg LIKE '%edsger'"
        ),
        ["inserted edsger"]
    );
    // AUTOINCREMENT does not reuse the id of the deleted 'grace' (3).
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(id AS TEXT) AS v FROM parent WHERE name = 'edsger'"
        ),
        ["4"]
    );
    // The view still works.
    assert_eq!(
        texts(&mut conn, "SELECT count(*) AS v FROM v_parent"),
        ["3"]
    );
    // Foreign keys are enforced again after the migration.
    assert!(conn
        .execute("INSERT INTO child (id, parent_id) VALUES (12, 999)")
        .is_err());
    let ok = texts(
        &mut conn,
        "SELECT integrity_check AS v FROM pragma_integrity_check",
    );
    assert_eq!(ok, ["ok"]);

    // Dropping an indexed column rebuilds (native DROP COLUMN would refuse) and
    // drops the index that used it; the other index stays.
    m.upgrade(&mut conn, "s3").unwrap();
    let s = introspect::schema(&mut conn, "alembic_version").unwrap();
    let p = s.table("parent").unwrap();
    assert!(p.column("code").is_none());
    assert!(
        !p.indexes.iter().any(|i| i.starts_with("ix_parent_code")),
        "{s}"
    );
    assert!(
        p.indexes.iter().any(|i| i.starts_with("ix_parent_name")),
        "{s}"
    );
    assert!(
        !p.constraints.iter().any(|c| c.contains("ck_code")),
        "a check on the dropped column goes with it: {s}"
    );

    // And all the way back.
    m.downgrade(&mut conn, "s1").unwrap();
    let s = introspect::schema(&mut conn, "alembic_version").unwrap();
    let p = s.table("parent").unwrap();
    assert_eq!(p.column("score").unwrap().sql_type, "integer");
    assert!(p.column("score").unwrap().nullable);
    assert_eq!(p.column("code").unwrap().default, None);
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(id AS TEXT) AS v FROM child ORDER BY id"
        ),
        ["10", "11"]
    );
}

fn break_fk(op: &mut Op) -> Result<()> {
    op.execute("INSERT INTO child (id, parent_id) VALUES (99, 12345)");
    op.alter_column("parent", "score").nullable(false);
    Ok(())
}

#[test]
fn a_rebuild_that_would_leave_broken_foreign_keys_is_rolled_back() {
    let db = migrate_tests::sqlite("rebuild_fk");
    let mut conn = db.connect();
    let chain = Chain::new(vec![
        Migration::new("s1", None, "setup", setup, Some(nothing)),
        Migration::new("s2", Some("s1"), "break", break_fk, Some(nothing)),
    ])
    .unwrap();
    let mut m = Migrator::new(&chain);
    m.upgrade(&mut conn, "s1").unwrap();
    let e = m.upgrade(&mut conn, "head").unwrap_err().to_string();
    assert!(e.contains("foreign key violations"), "{e}");
    assert_eq!(m.current(&mut conn).unwrap().as_deref(), Some("s1"));
    assert_eq!(
        texts(&mut conn, "SELECT count(*) AS v FROM child"),
        ["2"],
        "rolled back"
    );
}

#[test]
fn dropping_an_unnamed_constraint_by_name_is_a_clear_error() {
    fn drop_missing(op: &mut Op) -> Result<()> {
        op.drop_constraint("no_such", "parent", ConstraintKind::Check);
        Ok(())
    }
    let db = migrate_tests::sqlite("rebuild_missing");
    let mut conn = db.connect();
    let chain = Chain::new(vec![
        Migration::new("s1", None, "setup", setup, Some(nothing)),
        Migration::new("s2", Some("s1"), "drop", drop_missing, Some(nothing)),
    ])
    .unwrap();
    let e = Migrator::new(&chain)
        .upgrade(&mut conn, "head")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("table parent has no constraint named no_such"),
        "{e}"
    );
}

#[test]
fn a_rebuild_inside_an_open_transaction_is_refused_before_any_cascade() {
    let db = migrate_tests::sqlite("rebuild_in_tx");
    let mut conn = db.connect();
    let chain = chain();
    Migrator::new(&chain).upgrade(&mut conn, "s1").unwrap();
    conn.begin().unwrap();
    let e = Migrator::new(&chain)
        .upgrade(&mut conn, "s2")
        .unwrap_err()
        .to_string();
    assert!(e.contains("refuses inside an open transaction"), "{e}");
    conn.rollback().unwrap();
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(id AS TEXT) AS v FROM child ORDER BY id"
        ),
        ["10", "11"]
    );
    assert_eq!(
        Migrator::new(&chain).current(&mut conn).unwrap().as_deref(),
        Some("s1")
    );
}

fn generated_setup(op: &mut Op) -> Result<()> {
    op.execute(
        "CREATE TABLE g (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER, doubled INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL, note TEXT DEFAULT NULL REFERENCES parent (id) ON DELETE SET NULL)",
    );
    op.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    op.execute("INSERT INTO g (a) VALUES (1), (2)");
    op.execute("DELETE FROM g");
    Ok(())
}

fn generated_change(op: &mut Op) -> Result<()> {
    op.alter_column("g", "a")
        .nullable(false)
        .server_default("0");
    op.alter_column("g", "note").nullable(true);
    // SQLite integers are 64-bit: the rowid alias keeps its INTEGER type.
    op.alter_column("g", "id").set_type::<BigInt>();
    Ok(())
}

#[test]
fn generated_columns_default_null_rowid_alias_and_an_empty_autoincrement_table() {
    let db = migrate_tests::sqlite("rebuild_generated");
    let mut conn = db.connect();
    let chain = Chain::new(vec![
        Migration::new("g1", None, "setup", generated_setup, Some(nothing)),
        Migration::new("g2", Some("g1"), "change", generated_change, Some(nothing)),
    ])
    .unwrap();
    Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
    conn.execute("INSERT INTO g (a) VALUES (5)").unwrap();
    // The generated column is computed, the id is still assigned automatically, and
    // AUTOINCREMENT does not reuse the ids of the two deleted rows.
    assert_eq!(
        texts(
            &mut conn,
            "SELECT CAST(id AS TEXT) || ':' || CAST(doubled AS TEXT) AS v FROM g"
        ),
        ["3:10"]
    );
    let sql = texts(
        &mut conn,
        "SELECT sql AS v FROM sqlite_master WHERE name = 'g'",
    );
    assert!(
        sql[0].contains("\"id\" INTEGER PRIMARY KEY AUTOINCREMENT"),
        "{sql:?}"
    );
    assert!(sql[0].contains("ON DELETE SET NULL"), "{sql:?}");
}

#[test]
fn one_transaction_run_that_rebuilds_then_drops_a_table() {
    // Found by the benchmark: the run-wide foreign key check must skip tables
    // rebuilt earlier in the run and dropped since.
    fn create(op: &mut Op) -> Result<()> {
        op.create_table("t")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Nullable<Integer>>("n"));
        Ok(())
    }
    fn drop_t(op: &mut Op) -> Result<()> {
        op.drop_table("t");
        Ok(())
    }
    fn require(op: &mut Op) -> Result<()> {
        op.alter_column("t", "n").nullable(false);
        Ok(())
    }
    fn unrequire(op: &mut Op) -> Result<()> {
        op.alter_column("t", "n").nullable(true);
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("t1", None, "create", create, Some(drop_t)),
        Migration::new("t2", Some("t1"), "require", require, Some(unrequire)),
    ])
    .unwrap();
    let db = migrate_tests::sqlite("rebuild_then_drop");
    let mut conn = db.connect();
    let mut m = Migrator::new(&chain).one_transaction(true);
    m.upgrade(&mut conn, "head").unwrap();
    m.downgrade(&mut conn, "base").unwrap();
    assert_eq!(m.current(&mut conn).unwrap(), None);
}

#[test]
fn foreign_keys_are_checked_under_the_name_a_rebuilt_table_gets_later() {
    fn up(op: &mut Op) -> Result<()> {
        op.create_table("users")
            .column(col::<Integer>("id").primary_key());
        op.create_table("posts")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Integer>("user_id"));
        op.execute("INSERT INTO posts (id, user_id) VALUES (1, 42)");
        op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"]);
        op.rename_table("posts", "articles");
        Ok(())
    }
    let chain = Chain::new(vec![Migration::new(
        "f1",
        None,
        "orphans",
        up,
        Some(nothing),
    )])
    .unwrap();
    for one_tx in [false, true] {
        let db = migrate_tests::sqlite("rebuild_rename_check");
        let mut conn = db.connect();
        let e = Migrator::new(&chain)
            .one_transaction(one_tx)
            .upgrade(&mut conn, "head")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("foreign key violations"),
            "one_transaction={one_tx}: {e}"
        );
        assert_eq!(Migrator::new(&chain).current(&mut conn).unwrap(), None);
    }
}

fn odd_setup(op: &mut Op) -> Result<()> {
    // SQLite keeps the table name as each statement spelled it, and takes a
    // name with any character in it.
    op.execute(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, qty INTEGER, note TEXT);
         CREATE TABLE audit (msg TEXT);
         CREATE INDEX \"ix\x1fitems qty\" ON ITEMS (qty);
         CREATE TRIGGER tr_items AFTER INSERT ON Items BEGIN INSERT INTO audit VALUES ('added'); END;",
    );
    Ok(())
}

fn odd_alter(op: &mut Op) -> Result<()> {
    op.alter_column("items", "qty").nullable(false);
    Ok(())
}

fn odd_unalter(op: &mut Op) -> Result<()> {
    op.alter_column("items", "qty").nullable(true);
    Ok(())
}

#[test]
fn rebuild_keeps_an_index_and_a_trigger_whose_statements_spell_the_table_otherwise() {
    let db = migrate_tests::sqlite("rebuild_spelling");
    let mut conn = db.connect();
    let chain = Chain::new(vec![
        Migration::new("o1", None, "setup", odd_setup, Some(nothing)),
        Migration::new(
            "o2",
            Some("o1"),
            "qty not null",
            odd_alter,
            Some(odd_unalter),
        ),
    ])
    .unwrap();
    let mut m = Migrator::new(&chain);
    m.upgrade(&mut conn, "head").unwrap();
    let notnull = texts(
        &mut conn,
        "SELECT CAST(\"notnull\" AS TEXT) AS v FROM pragma_table_info('items') WHERE name = 'qty'",
    );
    assert_eq!(notnull, ["1"], "the table was rebuilt");
    assert_eq!(
        texts(
            &mut conn,
            "SELECT name AS v FROM sqlite_master \
             WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name"
        ),
        ["ix\u{1f}items qty", "tr_items"]
    );
    conn.execute("INSERT INTO items (qty) VALUES (1)").unwrap();
    assert_eq!(texts(&mut conn, "SELECT msg AS v FROM audit"), ["added"]);
    m.downgrade(&mut conn, "base").unwrap();
}
