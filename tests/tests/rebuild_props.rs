//! Property test of the SQLite table rebuild: random tables (types, NOT NULL,
//! defaults, collations, column and table checks named or not, a unique
//! constraint, indexes plain and partial, a foreign key out and one in), random
//! rows, then a random sequence of changes. After the migration every row of the
//! surviving columns is intact, every constraint and index not tied to a dropped
//! column is still there, referencing rows survive, and SQLite's
//! `integrity_check` and `foreign_key_check` pass.

use std::cell::RefCell;

use migrate_runtime::prelude::*;
use migrate_runtime::testing as introspect;
use migrate_runtime::Migrator;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Col {
    kind: u8, // 0 integer, 1 text, 2 real
    not_null: bool,
    nocase: bool,
    check: bool,
}

#[derive(Debug, Clone)]
enum Change {
    ToText(usize),
    ToBigInt(usize),
    Nullable(usize),
    Default(usize, i32),
    Drop(usize),
    AddCheck,
    DropNamedCheck,
}

#[derive(Debug, Clone)]
struct Case {
    cols: Vec<Col>,
    unique_col: Option<usize>,
    index_col: usize,
    partial: bool,
    rows: Vec<Vec<i32>>,
    changes: Vec<Change>,
}

fn col() -> impl Strategy<Value = Col> {
    (0u8..3, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(kind, not_null, nocase, check)| Col {
            kind,
            not_null,
            nocase,
            check,
        },
    )
}

fn case() -> impl Strategy<Value = Case> {
    proptest::collection::vec(col(), 2..6).prop_flat_map(|cols| {
        let n = cols.len();
        let change = prop_oneof![
            (0..n).prop_map(Change::ToText),
            (0..n).prop_map(Change::ToBigInt),
            (0..n).prop_map(Change::Nullable),
            ((0..n), -5i32..5).prop_map(|(c, v)| Change::Default(c, v)),
            (0..n).prop_map(Change::Drop),
            Just(Change::AddCheck),
            Just(Change::DropNamedCheck),
        ];
        (
            Just(cols),
            proptest::option::of(0..n),
            0..n,
            any::<bool>(),
            proptest::collection::vec(proptest::collection::vec(-1000i32..1000, n), 0..25),
            proptest::collection::vec(change, 1..5),
        )
            .prop_map(
                |(cols, unique_col, index_col, partial, rows, changes)| Case {
                    cols,
                    unique_col,
                    index_col,
                    partial,
                    rows,
                    changes,
                },
            )
    })
}

fn name(i: usize) -> String {
    format!("c{i}")
}

fn create_sql(c: &Case) -> String {
    let mut items = vec![
        "id INTEGER PRIMARY KEY AUTOINCREMENT".to_owned(),
        "parent_id INTEGER REFERENCES parent (id) ON DELETE CASCADE".to_owned(),
    ];
    for (i, col) in c.cols.iter().enumerate() {
        let ty = ["INTEGER", "TEXT", "REAL"][col.kind as usize];
        let mut s = format!("{} {ty}", name(i));
        if col.not_null {
            s.push_str(" NOT NULL DEFAULT 0");
        }
        if col.nocase && col.kind == 1 {
            s.push_str(" COLLATE NOCASE");
        }
        if col.check {
            s.push_str(&format!(
                " CHECK ({} IS NULL OR length({}) < 50)",
                name(i),
                name(i)
            ));
        }
        items.push(s);
    }
    items.push("CHECK (id > 0)".to_owned());
    items.push(format!(
        "CONSTRAINT ck_named CHECK ({} IS NULL OR {} <> 'forbidden')",
        name(0),
        name(0)
    ));
    if let Some(u) = c.unique_col {
        items.push(format!("UNIQUE (id, {})", name(u)));
    }
    format!("CREATE TABLE t (\n  {}\n)", items.join(",\n  "))
}

thread_local! {
    static CASE: RefCell<Option<Case>> = const { RefCell::new(None) };
}

fn setup(op: &mut Op) -> Result<()> {
    let c = CASE
        .with(|c| c.borrow().clone())
        .ok_or_else(|| Error::msg("no case"))?;
    op.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)");
    op.execute("INSERT INTO parent (id) VALUES (1), (2)");
    op.execute(create_sql(&c));
    op.execute(format!("CREATE INDEX ix_t ON t ({})", name(c.index_col)));
    if c.partial {
        op.execute(format!(
            "CREATE INDEX ix_t_partial ON t (id) WHERE {} IS NOT NULL",
            name(c.index_col)
        ));
    }
    op.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER NOT NULL REFERENCES t (id) ON DELETE CASCADE)");
    for (r, row) in c.rows.iter().enumerate() {
        let vals: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, v)| match c.cols[i].kind {
                0 => v.to_string(),
                1 => format!("'v{v}'"),
                _ => format!("{v}.5"),
            })
            .collect();
        let cols: Vec<String> = (0..row.len()).map(name).collect();
        op.execute(format!(
            "INSERT INTO t (id, parent_id, {}) VALUES ({}, {}, {})",
            cols.join(", "),
            r + 1,
            r % 2 + 1,
            vals.join(", ")
        ));
        op.execute(format!("INSERT INTO child (t_id) VALUES ({})", r + 1));
    }
    Ok(())
}

fn change(op: &mut Op) -> Result<()> {
    let c = CASE
        .with(|c| c.borrow().clone())
        .ok_or_else(|| Error::msg("no case"))?;
    for ch in &c.changes {
        match ch {
            Change::ToText(i) => {
                op.alter_column("t", name(*i)).set_type::<Text>();
            }
            Change::ToBigInt(i) if c.cols[*i].kind == 0 => {
                op.alter_column("t", name(*i)).set_type::<BigInt>();
            }
            Change::ToBigInt(_) => {}
            Change::Nullable(i) => {
                op.alter_column("t", name(*i)).nullable(true);
            }
            Change::Default(i, v) => {
                op.alter_column("t", name(*i)).default_value(*v);
            }
            Change::Drop(i) => {
                op.drop_column("t", name(*i));
            }
            Change::AddCheck => {
                op.create_check_constraint("ck_added", "t", "id < 100000");
            }
            Change::DropNamedCheck => {
                op.drop_constraint("ck_named", "t", ConstraintKind::Check);
            }
        }
    }
    Ok(())
}

fn nothing(_: &mut Op) -> Result<()> {
    Ok(())
}

/// The changes that can apply in sequence: each column dropped at most once and
/// not touched after; the named check dropped once; the added check added once.
fn effective(c: &Case) -> Case {
    let mut dropped = vec![false; c.cols.len()];
    let mut check_dropped = false;
    let mut check_added = false;
    let mut out = Vec::new();
    for ch in &c.changes {
        let col = match ch {
            Change::ToText(i)
            | Change::ToBigInt(i)
            | Change::Nullable(i)
            | Change::Default(i, _)
            | Change::Drop(i) => Some(*i),
            _ => None,
        };
        if col.is_some_and(|i| dropped[i]) {
            continue;
        }
        match ch {
            Change::Drop(i) => {
                // Keep at least one data column.
                if dropped.iter().filter(|d| !**d).count() <= 1 {
                    continue;
                }
                dropped[*i] = true;
            }
            Change::DropNamedCheck if check_dropped || dropped[0] => continue,
            Change::DropNamedCheck => check_dropped = true,
            Change::AddCheck if check_added => continue,
            Change::AddCheck => check_added = true,
            _ => {}
        }
        out.push(ch.clone());
    }
    Case {
        changes: out,
        ..c.clone()
    }
}

fn text_rows(conn: &mut AnyConnection, cols: &[String]) -> Vec<Option<String>> {
    if cols.is_empty() {
        return Vec::new();
    }
    let expr: Vec<String> = cols
        .iter()
        .map(|c| format!("ifnull(CAST({c} AS TEXT), 'NULL')"))
        .collect();
    conn.query_text(&format!(
        "SELECT CAST(rowid AS TEXT) || ':' || {} AS v FROM t ORDER BY rowid",
        expr.join(" || '|' || ")
    ))
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rebuild_keeps_what_survives(raw in case()) {
        let c = effective(&raw);
        CASE.with(|cell| *cell.borrow_mut() = Some(c.clone()));
        let chain = Chain::new(vec![
            Migration::new("p1", None, "setup", setup, Some(nothing)),
            Migration::new("p2", Some("p1"), "changes", change, Some(nothing)),
        ]).unwrap();
        let mut conn = AnyConnection::establish("sqlite://").unwrap();
        let mut m = Migrator::new(&chain);
        m.upgrade(&mut conn, "p1").unwrap();
        let dropped: Vec<usize> = c.changes.iter().filter_map(|ch| if let Change::Drop(i) = ch { Some(*i) } else { None }).collect();
        let surviving: Vec<String> = (0..c.cols.len()).filter(|i| !dropped.contains(i)).map(name).collect();
        let before_rows = text_rows(&mut conn, &surviving);
        let before = introspect::schema(&mut conn, "alembic_version").unwrap();
        let children_before = conn.query_text("SELECT count(*) AS v FROM child").unwrap();

        if let Err(e) = m.upgrade(&mut conn, "head") {
            panic!("{e}\ncase: {c:?}\nsql: {}", create_sql(&c));
        }

        prop_assert_eq!(text_rows(&mut conn, &surviving), before_rows);
        prop_assert_eq!(conn.query_text("SELECT count(*) AS v FROM child").unwrap(), children_before);
        prop_assert_eq!(conn.query_text("SELECT integrity_check AS v FROM pragma_integrity_check").unwrap(), vec![Some("ok".to_owned())]);
        prop_assert!(conn.query_text("SELECT \"table\" AS v FROM pragma_foreign_key_check").unwrap().is_empty());

        let after = introspect::schema(&mut conn, "alembic_version").unwrap();
        let (tb, ta) = (before.table("t").unwrap(), after.table("t").unwrap());
        let names_after: Vec<&str> = ta.columns.iter().map(|c| c.name.as_str()).collect();
        let expected: Vec<String> = ["id", "parent_id"].iter().map(|s| s.to_string()).chain(surviving.iter().cloned()).collect();
        prop_assert_eq!(names_after, expected.iter().map(String::as_str).collect::<Vec<_>>());
        let tied = |s: &str| dropped.iter().any(|i| s.contains(&name(*i)));
        let dropped_named = c.changes.iter().any(|ch| matches!(ch, Change::DropNamedCheck));
        for k in &tb.constraints {
            if tied(k) || (dropped_named && k.starts_with("ck_named")) {
                continue;
            }
            prop_assert!(ta.constraints.contains(k), "constraint {} lost\ncase: {:?}", k, c);
        }
        for i in &tb.indexes {
            if tied(i) {
                continue;
            }
            prop_assert!(ta.indexes.contains(i), "index {} lost\ncase: {:?}", i, c);
        }
        if c.changes.iter().any(|ch| matches!(ch, Change::AddCheck)) {
            prop_assert!(ta.constraints.contains("ck_added: CHECK (id < 100000)"));
        }
        // Foreign key enforcement is back on and the key into parent still holds.
        prop_assert!(conn.execute("INSERT INTO t (id, parent_id) VALUES (999999, 77)").is_err());
    }
}
