//! Every column type through autogenerate on every database: a column made
//! by the typed operation matches diesel's `table!` for its type; a column made
//! by hand in each dialect's own spelling reads back as the diesel type a user
//! writes for it; and the downgrade autogenerate writes for a removed column
//! recreates it (exactly, or with a comment that says what differs).

use std::cell::RefCell;

use migrate_runtime::ops::CreateTable;
use migrate_runtime::prelude::*;
use migrate_runtime::testing::{autogenerate, models_match, schema};
use migrate_runtime::Migrator;
use migrate_tests::{all_backends, TestDb};

/// Every type an operation accepts, created by the typed operation, NOT NULL
/// and nullable, with the `table!` line a user writes for each.
const TYPED: &[(&str, &str)] = &[
    ("small", "SmallInt"),
    ("int", "Integer"),
    ("big", "BigInt"),
    ("text", "Text"),
    ("varchar", "#[max_length = 40] Varchar"),
    ("flag", "Bool"),
    ("float", "Float"),
    ("double", "Double"),
    ("numeric", "Numeric"),
    ("money", "Numeric"),
    ("day", "Date"),
    ("at", "Time"),
    ("ts", "Timestamp"),
    ("tstz", "Timestamptz"),
    ("bin", "Binary"),
    ("bin16", "#[max_length = 16] Binary"),
    ("json", "Json"),
    ("jsonb", "Jsonb"),
    ("uuid", "Uuid"),
];

fn typed(op: &mut Op) -> Result<()> {
    macro_rules! columns {
        ($t:expr, $($name:literal: $ty:ty $(, $m:ident($($a:expr),*))?;)*) => {{
            $t$(
                .column(col::<$ty>($name)$(.$m($($a),*))?)
                .column(col::<Nullable<$ty>>(concat!($name, "_n"))$(.$m($($a),*))?)
            )*
        }};
    }
    let t = op
        .create_table("typed")
        .column(col::<Integer>("id").primary_key().autoincrement());
    columns!(t,
        "small": SmallInt;
        "int": Integer;
        "big": BigInt;
        "text": Text;
        "varchar": Varchar, length(40);
        "flag": Bool;
        "float": Float;
        "double": Double;
        "numeric": Numeric;
        "money": Numeric, precision(10, 2);
        "day": Date;
        "at": Time;
        "ts": Timestamp;
        "tstz": Timestamptz;
        "bin": Binary;
        "bin16": Binary, length(16);
        "json": Json;
        "jsonb": Jsonb;
        "uuid": Uuid;
    );
    // Autoincrement keys of the other integer kinds (SQLite makes both INTEGER).
    op.create_table("small_keys")
        .column(col::<SmallInt>("id").primary_key().autoincrement());
    op.create_table("big_keys")
        .column(col::<BigInt>("id").primary_key().autoincrement());
    Ok(())
}

/// The `table!` for `typed`, with `tstz` declared as `tstz_model`.
fn typed_models(tstz_model: &str) -> String {
    let mut s = String::from("diesel::table! {\n    typed (id) {\n        id -> Integer,\n");
    for (name, ty) in TYPED {
        let ty = if *name == "tstz" { tstz_model } else { ty };
        let (attr, ty) = match ty.rsplit_once("] ") {
            Some((attr, ty)) => (format!("{attr}] "), ty),
            None => (String::new(), ty),
        };
        s.push_str(&format!("        {attr}{name} -> {ty},\n"));
        s.push_str(&format!("        {attr}{name}_n -> Nullable<{ty}>,\n"));
    }
    s.push_str("    }\n}\n");
    s.push_str("diesel::table! { small_keys (id) { id -> SmallInt, } }\n");
    s.push_str("diesel::table! { big_keys (id) { id -> BigInt, } }\n");
    s
}

#[test]
fn every_typed_column_matches_its_diesel_type() {
    let chain = Chain::new(vec![Migration::new("a1", None, "typed", typed, None)]).unwrap();
    for db in all_backends("column_types_typed") {
        let d = db.dialect;
        models_match(&chain, &typed_models("Timestamptz"), &db.url)
            .unwrap_or_else(|e| panic!("{d}: {e}"));
        if d == Dialect::Mysql {
            // `diesel print-schema` calls MySQL's TIMESTAMP `Timestamp`.
            models_match(&chain, &typed_models("Timestamp"), &db.url)
                .unwrap_or_else(|e| panic!("{d}: {e}"));
        }
        // A real difference is still one.
        let e =
            models_match(&chain, &typed_models("Date"), &db.url).expect_err("tstz is not a date");
        assert!(e.to_string().contains("tstz"), "{d}: {e}");
    }
}

/// A column made by hand: its SQL type, the `table!` type a user writes for
/// it, the type of the `col::<..>` autogenerate writes to recreate it, and
/// whether that recreates the very same database type.
struct Hand {
    sql: &'static str,
    model: &'static str,
    restore: &'static str,
    exact: bool,
}

const fn h(sql: &'static str, model: &'static str, restore: &'static str, exact: bool) -> Hand {
    Hand {
        sql,
        model,
        restore,
        exact,
    }
}

fn by_hand(d: Dialect) -> Vec<Hand> {
    match d {
        Dialect::Mysql => vec![
            h("int(11)", "Integer", "Integer", true),
            h("int", "Integer", "Integer", true),
            h("int unsigned", "Unsigned<Integer>", "Integer", false),
            h("mediumint", "Integer", "Integer", false),
            h("smallint", "SmallInt", "SmallInt", true),
            h("tinyint(1)", "Bool", "Bool", true),
            h("boolean", "Bool", "Bool", true),
            h("tinyint", "TinyInt", "SmallInt", false),
            h("bigint", "BigInt", "BigInt", true),
            h("float", "Float", "Float", true),
            h("double", "Double", "Double", true),
            h(
                "decimal(10,2)",
                "Numeric",
                "Numeric>.precision(10, 2)",
                true,
            ),
            h("date", "Date", "Date", true),
            h("time", "Time", "Time", true),
            h("datetime", "Timestamp", "Timestamp", true),
            h("datetime", "Datetime", "Timestamp", true),
            h("datetime(6)", "Timestamp", "Timestamp", false),
            h("timestamp null", "Timestamp", "Timestamptz", true),
            h("json", "Json", "Json", true),
            h("char(36)", "#[max_length = 36] Char", "Uuid", true),
            h(
                "varchar(255)",
                "#[max_length = 255] Varchar",
                "Varchar>.length(255)",
                true,
            ),
            h(
                "char(10)",
                "#[max_length = 10] Char",
                "Varchar>.length(10)",
                false,
            ),
            h("text", "Text", "Text", true),
            h("longtext", "Longtext", "Text", false),
            h("blob", "Blob", "Binary", true),
            h(
                "varbinary(10)",
                "#[max_length = 10] Varbinary",
                "Binary>.length(10)",
                true,
            ),
        ],
        Dialect::Postgres => vec![
            h("integer", "Int4", "Integer", true),
            h("int", "Integer", "Integer", true),
            h("smallint", "Int2", "SmallInt", true),
            h("bigint", "Int8", "BigInt", true),
            h("boolean", "Bool", "Bool", true),
            h("real", "Float4", "Float", true),
            h("double precision", "Float8", "Double", true),
            h(
                "numeric(10,2)",
                "Numeric",
                "Numeric>.precision(10, 2)",
                true,
            ),
            h("numeric", "Numeric", "Numeric", true),
            h("date", "Date", "Date", true),
            h("time", "Time", "Time", true),
            h("timestamp", "Timestamp", "Timestamp", true),
            h("timestamptz", "Timestamptz", "Timestamptz", true),
            h(
                "timestamp(3) with time zone",
                "Timestamptz",
                "Timestamptz",
                false,
            ),
            h("bytea", "Bytea", "Binary", true),
            h("json", "Json", "Json", true),
            h("jsonb", "Jsonb", "Jsonb", true),
            h("uuid", "Uuid", "Uuid", true),
            h("text", "Text", "Text", true),
            h("varchar", "Varchar", "Text", false),
            h(
                "varchar(40)",
                "#[max_length = 40] Varchar",
                "Varchar>.length(40)",
                true,
            ),
            h(
                "char(3)",
                "#[max_length = 3] Bpchar",
                "Varchar>.length(3)",
                false,
            ),
        ],
        Dialect::Sqlite => vec![
            h("INTEGER", "Integer", "Integer", true),
            h("INT", "Integer", "Integer", false),
            h("SMALLINT", "SmallInt", "SmallInt", true),
            h("BIGINT", "BigInt", "BigInt", true),
            h("TEXT", "Text", "Text", true),
            h("VARCHAR(20)", "Text", "Varchar>.length(20)", true),
            h("BOOLEAN", "Bool", "Bool", true),
            h("REAL", "Float", "Float", true),
            h("REAL", "Double", "Float", true),
            h("DOUBLE", "Double", "Double", true),
            h("DOUBLE", "Float", "Double", true),
            h("FLOAT", "Float", "Float", false),
            h("NUMERIC", "Numeric", "Numeric", true),
            h("DATE", "Date", "Date", true),
            h("TIME", "Time", "Time", true),
            h("TIMESTAMP", "Timestamp", "Timestamp", true),
            h("DATETIME", "Timestamp", "Timestamp", false),
            h("TIMESTAMPTZ", "TimestamptzSqlite", "Timestamptz", false),
            h("BLOB", "Binary", "Binary", true),
        ],
    }
}

thread_local! {
    /// The dialect whose columns [`hand`] creates, and the columns [`restore`] adds.
    static DIALECT: RefCell<Dialect> = const { RefCell::new(Dialect::Sqlite) };
    static RESTORE: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn hand(op: &mut Op) -> Result<()> {
    let d = DIALECT.with(|d| *d.borrow());
    let columns: Vec<String> = by_hand(d)
        .iter()
        .enumerate()
        .map(|(i, c)| format!("c{i} {}", c.sql))
        .collect();
    let sql = format!(
        "CREATE TABLE hand (id INTEGER PRIMARY KEY, {})",
        columns.join(", ")
    );
    op.execute(sql);
    Ok(())
}

/// Adds to `restored` the columns autogenerate's downgrade wrote (their
/// `col::<..>(..)` code, read back into the typed call it names).
fn restore(op: &mut Op) -> Result<()> {
    let codes = RESTORE.with(|r| r.borrow().clone());
    let mut t = op
        .create_table("restored")
        .column(col::<Integer>("id").primary_key());
    for code in codes {
        t = add_typed(t, &code);
    }
    Ok(())
}

/// `col::<Nullable<Ty>>("name").length(n).precision(p, s)` as the typed call.
fn add_typed<'a>(t: &'a mut CreateTable, code: &str) -> &'a mut CreateTable {
    let rest = code.strip_prefix("col::<").expect(code);
    let (ty, rest) = rest.split_once(">(\"").expect(code);
    let (name, rest) = rest.split_once("\")").expect(code);
    let (ty, nullable) = match ty.strip_prefix("Nullable<") {
        Some(inner) => (inner.trim_end_matches('>'), true),
        None => (ty, false),
    };
    let num = |key: &str| {
        rest.split_once(key).map(|(_, a)| {
            let args = a.split_once(')').expect(code).0;
            args.split(", ")
                .map(|n| n.parse::<u32>().expect(code))
                .collect::<Vec<_>>()
        })
    };
    let length = num(".length(").map(|v| v[0]);
    let precision = num(".precision(").map(|v| (v[0], v[1]));
    macro_rules! typed {
        ($($n:literal => $ty:ty),*) => {
            match ty {
                $($n => {
                    let mut c = col::<$ty>(name);
                    if nullable { c = c.nullable(); }
                    if let Some(n) = length { c = c.length(n); }
                    if let Some((p, s)) = precision { c = c.precision(p, s); }
                    t.column(c)
                })*
                other => panic!("autogenerate wrote an unknown type {other} in {code}"),
            }
        };
    }
    typed!("SmallInt" => SmallInt, "Integer" => Integer, "BigInt" => BigInt, "Text" => Text,
        "Varchar" => Varchar, "Bool" => Bool, "Float" => Float, "Double" => Double,
        "Numeric" => Numeric, "Date" => Date, "Time" => Time, "Timestamp" => Timestamp,
        "Timestamptz" => Timestamptz, "Binary" => Binary, "Json" => Json, "Jsonb" => Jsonb,
        "Uuid" => Uuid)
}

/// The `table!` of the hand-made columns; `restored`: of the columns the
/// downgrade recreated, which are signed (typed columns are).
fn hand_models(d: Dialect, table: &str, restored: bool) -> String {
    let mut s = format!("diesel::table! {{\n    {table} (id) {{\n        id -> Integer,\n");
    for (i, c) in by_hand(d).iter().enumerate() {
        let model = match c.model.strip_prefix("Unsigned<") {
            Some(inner) if restored => inner.trim_end_matches('>'),
            _ => c.model,
        };
        let (attr, ty) = match model.rsplit_once("] ") {
            Some((attr, ty)) => (format!("{attr}] "), ty),
            None => (String::new(), model),
        };
        s.push_str(&format!("        {attr}c{i} -> Nullable<{ty}>,\n"));
    }
    s.push_str("    }\n}\n");
    s
}

fn hand_round_trip(db: &TestDb) {
    let d = db.dialect;
    DIALECT.with(|x| *x.borrow_mut() = d);
    let cols = by_hand(d);
    let first = Chain::new(vec![Migration::new("a1", None, "hand", hand, None)]).unwrap();

    // Read back as the diesel type a user writes.
    models_match(&first, &hand_models(d, "hand", false), &db.url)
        .unwrap_or_else(|e| panic!("{d}: {e}"));

    // Every column removed from the models: the downgrade adds each back.
    let only_id = "diesel::table! { hand (id) { id -> Integer, } }";
    let changes = autogenerate(&first, only_id, &db.url).unwrap();
    let mut restore_codes = Vec::new();
    for (i, c) in cols.iter().enumerate() {
        let name = format!("c{i}");
        let code = changes
            .downgrade
            .iter()
            .find(|s| s.contains(&format!("(\"{name}\")")))
            .unwrap_or_else(|| panic!("{d}: no downgrade for {name}: {:?}", changes.downgrade));
        let restore = c.restore.replace(">.", &format!(">>(\"{name}\")."));
        let expected = if restore.contains("(\"") {
            format!("col::<Nullable<{restore}")
        } else {
            format!("col::<Nullable<{restore}>>(\"{name}\")")
        };
        assert!(
            code.contains(&format!("op.add_column(\"hand\", {expected});")),
            "{d}: {} is written {code}, expected {expected}",
            c.sql
        );
        assert_eq!(
            code.starts_with("// "),
            !c.exact,
            "{d}: {}: a comment says when the type is not recreated exactly: {code}",
            c.sql
        );
        restore_codes.push(expected);
    }

    // Run that code: the columns come back as they were.
    RESTORE.with(|r| *r.borrow_mut() = restore_codes);
    let second = Chain::new(vec![
        Migration::new("a1", None, "hand", hand, None),
        Migration::new("a2", Some("a1"), "restore", restore, None),
    ])
    .unwrap();
    let models = format!(
        "{}{}",
        hand_models(d, "hand", false),
        hand_models(d, "restored", true)
    );
    models_match(&second, &models, &db.url).unwrap_or_else(|e| panic!("{d}: restored: {e}"));
    let mut conn = db.connect();
    let s = schema(&mut conn, "alembic_version").unwrap();
    for (i, c) in cols.iter().enumerate() {
        let name = format!("c{i}");
        let was = &s.tables["hand"].column(&name).unwrap().sql_type;
        let now = &s.tables["restored"].column(&name).unwrap().sql_type;
        if c.exact {
            assert_eq!(was, now, "{d}: {} recreated", c.sql);
        }
    }
}

#[test]
fn columns_made_by_hand_read_back_and_downgrade_to_the_same_type() {
    for db in all_backends("column_types_hand") {
        hand_round_trip(&db);
    }
}

fn nullable_timestamp(op: &mut Op) -> Result<()> {
    op.create_table("events")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Timestamptz>>("seen"))
        .column(col::<Nullable<Timestamptz>>("gone"));
    Ok(())
}

/// Where `explicit_defaults_for_timestamp` is off (MySQL 5.7, MariaDB before
/// 10.10), a TIMESTAMP column not declared NULL is NOT NULL.
#[test]
fn a_nullable_mysql_timestamp_stays_nullable_without_explicit_defaults() {
    let Some(db) = migrate_tests::mysql("column_types_ts_null") else {
        return;
    };
    let chain = Chain::new(vec![Migration::new(
        "a1",
        None,
        "events",
        nullable_timestamp,
        None,
    )])
    .unwrap();
    let mut conn = db.connect();
    conn.execute("SET SESSION explicit_defaults_for_timestamp = 0")
        .unwrap();
    Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
    let s = schema(&mut conn, "alembic_version").unwrap();
    for c in ["seen", "gone"] {
        let info = s.tables["events"].column(c).unwrap();
        assert!(info.nullable, "{c}: {info:?}");
    }
}

fn counters(op: &mut Op) -> Result<()> {
    op.create_table("counters")
        .column(col::<Integer>("id").primary_key().autoincrement());
    Ok(())
}

/// What autogenerate writes for the models below, with its MySQL `MODIFY`s
/// left out (the test runs those as autogenerate wrote them).
fn counters_typed(op: &mut Op) -> Result<()> {
    op.add_column("counters", col::<BigInt>("hits"));
    op.create_table("tallies")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Nullable<SmallInt>>("n"));
    Ok(())
}

/// diesel's `print-schema` writes `Unsigned<_>` for MySQL's unsigned columns:
/// autogenerate makes them unsigned, and a column whose signedness differs
/// is reported (and the code written for it does not compile until edited).
#[test]
fn mysql_unsigned_columns_are_made_unsigned_and_their_signedness_compared() {
    let Some(db) = migrate_tests::mysql("column_types_unsigned") else {
        return;
    };
    let models =
        "diesel::table! { counters (id) { id -> Unsigned<Integer>, hits -> Unsigned<BigInt>, } }
diesel::table! { tallies (id) { id -> Unsigned<Integer>, n -> Nullable<Unsigned<SmallInt>>, } }";
    let first = Chain::new(vec![Migration::new("a1", None, "counters", counters, None)]).unwrap();
    let ch = autogenerate(&first, models, &db.url).unwrap();
    assert!(
        ch.summary
            .iter()
            .any(|s| s.starts_with("change counters.id from signed (")
                && s.ends_with(") to Unsigned<_>")),
        "{:?}",
        ch.summary
    );
    let code = ch.upgrade.join("\n");
    assert!(
        code.contains("compile_error!(\"counters.id: make it unsigned"),
        "{code}"
    );
    let modifies: Vec<String> = code
        .lines()
        .filter_map(|l| l.trim().strip_prefix("op.execute_per_dialect().mysql(\""))
        .map(|l| l.trim_end_matches("\");").to_owned())
        .collect();
    assert_eq!(
        modifies,
        [
            "ALTER TABLE `tallies` MODIFY `id` INT UNSIGNED NOT NULL AUTO_INCREMENT",
            "ALTER TABLE `tallies` MODIFY `n` SMALLINT UNSIGNED NULL",
            "ALTER TABLE `counters` MODIFY `hits` BIGINT UNSIGNED NOT NULL",
        ],
        "{code}"
    );

    // Applied, they leave only the column whose signedness was changed by hand.
    let second = Chain::new(vec![
        Migration::new("a1", None, "counters", counters, None),
        Migration::new("b2", Some("a1"), "unsigned", counters_typed, None),
    ])
    .unwrap();
    let mut conn = db.connect();
    Migrator::new(&second).upgrade(&mut conn, "head").unwrap();
    for m in &modifies {
        conn.execute(m).unwrap();
    }
    let ch = autogenerate(&second, models, &db.url).unwrap();
    assert_eq!(ch.summary.len(), 1, "{:?}", ch.summary);
    assert!(
        ch.summary[0].starts_with("change counters.id"),
        "{:?}",
        ch.summary
    );
    // The database's unsigned column against a signed model is reported too.
    let signed = models.replace("hits -> Unsigned<BigInt>", "hits -> BigInt");
    let ch = autogenerate(&second, &signed, &db.url).unwrap();
    assert!(
        ch.summary
            .iter()
            .any(|s| s.starts_with("change counters.hits from unsigned (")
                && s.ends_with(") to signed")),
        "{:?}",
        ch.summary
    );
}

fn arrays_and_enums(op: &mut Op) -> Result<()> {
    op.execute("CREATE TYPE mood AS ENUM ('happy', 'sad')");
    op.execute(
        "CREATE TABLE people (id INTEGER PRIMARY KEY, tags TEXT[] NOT NULL, mood mood, during INTERVAL)",
    );
    Ok(())
}

/// PostgreSQL columns of types migrate has no typed column for (an array, an
/// enum from print-schema's `sql_types`, an interval) are read from
/// schema.rs: compared by presence and nullability, never by type.
#[test]
fn columns_of_types_without_a_kind_are_compared_by_presence_and_nullability() {
    let Some(db) = migrate_tests::postgres("column_types_untyped") else {
        return;
    };
    let chain = Chain::new(vec![Migration::new(
        "a1",
        None,
        "people",
        arrays_and_enums,
        None,
    )])
    .unwrap();
    let schema = |tags: &str, mood: &str| {
        format!(
            r#"pub mod sql_types {{
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}}

diesel::table! {{
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    people (id) {{
        id -> Int4,
        tags -> {tags},
        mood -> {mood},
        during -> Nullable<Interval>,
    }}
}}
"#
        )
    };
    models_match(&chain, &schema("Array<Text>", "Nullable<Mood>"), &db.url)
        .unwrap_or_else(|e| panic!("{e}"));
    let e = models_match(&chain, &schema("Array<Text>", "Mood"), &db.url)
        .expect_err("mood is nullable in the database");
    assert!(e.to_string().contains("mood"), "{e}");
    let e = models_match(
        &chain,
        &schema("Nullable<Array<Text>>", "Nullable<Mood>"),
        &db.url,
    )
    .expect_err("tags is NOT NULL in the database");
    assert!(e.to_string().contains("tags"), "{e}");
}
