//! The linter, one rule at a time: it fires on the risky form, stays quiet on
//! the safe one, and passes a reviewed exception; and the tracker's own chain
//! lints clean.

use migrate_runtime::prelude::*;
use migrate_runtime::{lint, Finding};

type Mig = fn(&mut Op) -> Result<()>;

/// The table every case works on, created by an earlier migration: it exists.
fn base(op: &mut Op) -> Result<()> {
    op.create_table("t")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Nullable<Text>>("a"))
        .column(col::<Nullable<Integer>>("b"));
    op.create_table("p")
        .column(col::<Integer>("id").primary_key());
    Ok(())
}

fn findings(second: Mig, reviewed: bool, d: Dialect) -> Vec<Finding> {
    let mut m = Migration::new("m2", Some("m1"), "case", second, None);
    if reviewed {
        m = m.reviewed("checked: t is small and quiet");
    }
    let c = Chain::new(vec![Migration::new("m1", None, "base", base, None), m]).unwrap();
    lint(&c, 1..=1, &[d]).unwrap()
}

fn rules(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.rule).collect()
}

/// Each rule: the dialect, the risky migration and its safe form.
#[allow(clippy::type_complexity)]
const CASES: &[(&str, Dialect, Mig, Mig)] = &[
    (
        "drop-table",
        Dialect::Sqlite,
        |op| {
            op.drop_table("t");
            Ok(())
        },
        |op| {
            op.create_table("tmp")
                .column(col::<Integer>("id").primary_key());
            op.drop_table("tmp");
            Ok(())
        },
    ),
    (
        "drop-column",
        Dialect::Postgres,
        |op| {
            op.drop_column("t", "a");
            Ok(())
        },
        |op| {
            op.create_table("n")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Text>("x"));
            op.drop_column("n", "x");
            Ok(())
        },
    ),
    (
        "rename-table",
        Dialect::Mysql,
        |op| {
            op.rename_table("t", "t2");
            Ok(())
        },
        |op| {
            op.create_table("n")
                .column(col::<Integer>("id").primary_key());
            op.rename_table("n", "n2");
            Ok(())
        },
    ),
    (
        "rename-column",
        Dialect::Postgres,
        |op| {
            op.alter_column("t", "a").rename_to("a2");
            Ok(())
        },
        |op| {
            op.add_column("t", col::<Nullable<Text>>("a2"));
            Ok(())
        },
    ),
    (
        "change-column-type",
        Dialect::Postgres,
        |op| {
            op.alter_column("t", "b").set_type::<BigInt>();
            Ok(())
        },
        |op| {
            op.add_column("t", col::<Nullable<BigInt>>("b2"));
            Ok(())
        },
    ),
    (
        "set-not-null",
        Dialect::Postgres,
        |op| {
            op.alter_column("t", "a").nullable(false);
            Ok(())
        },
        |op| {
            op.alter_column("t", "a").nullable(true);
            Ok(())
        },
    ),
    (
        "add-not-null-column-without-default",
        Dialect::Mysql,
        |op| {
            op.add_column("t", col::<Integer>("c"));
            Ok(())
        },
        |op| {
            op.add_column("t", col::<Integer>("c").server_default("0"));
            Ok(())
        },
    ),
    (
        "volatile-default",
        Dialect::Postgres,
        |op| {
            op.add_column("t", col::<Nullable<Double>>("r").server_default("random()"));
            Ok(())
        },
        |op| {
            op.add_column(
                "t",
                col::<Nullable<Timestamp>>("at").server_default("now()"),
            );
            Ok(())
        },
    ),
    (
        "index-not-concurrent",
        Dialect::Postgres,
        |op| {
            op.create_index("ix_t_a", "t", ["a"]);
            Ok(())
        },
        |op| {
            op.create_index("ix_t_a", "t", ["a"]).concurrently();
            Ok(())
        },
    ),
    (
        "add-unique-constraint",
        Dialect::Sqlite,
        |op| {
            op.create_unique_constraint("uq_t_a", "t", ["a"]);
            Ok(())
        },
        |op| {
            op.create_table("n")
                .column(col::<Integer>("id").primary_key())
                .column(col::<Text>("x"));
            op.create_unique_constraint("uq_n_x", "n", ["x"]);
            Ok(())
        },
    ),
    (
        "constraint-not-valid",
        Dialect::Postgres,
        |op| {
            op.create_foreign_key("fk_t_p", "t", "p", ["b"], ["id"]);
            Ok(())
        },
        |op| {
            op.execute(
                "ALTER TABLE t ADD CONSTRAINT fk_t_p FOREIGN KEY (b) REFERENCES p (id) NOT VALID",
            );
            Ok(())
        },
    ),
    (
        "identifier-too-long",
        Dialect::Postgres,
        |op| {
            op.add_column(
                "t",
                col::<Nullable<Text>>(
                    "a_column_whose_name_goes_on_and_on_well_past_what_postgresql_keeps_xyz",
                ),
            );
            Ok(())
        },
        |op| {
            op.add_column("t", col::<Nullable<Text>>("a_short_name"));
            Ok(())
        },
    ),
    (
        "mysql-data-with-ddl",
        Dialect::Mysql,
        |op| {
            op.add_column("t", col::<Nullable<Text>>("c"));
            op.execute("UPDATE t SET c = a");
            Ok(())
        },
        |op| {
            op.execute("UPDATE t SET a = 'x' WHERE a IS NULL");
            Ok(())
        },
    ),
];

#[test]
fn each_rule_fires_on_the_risky_form_only_and_passes_when_reviewed() {
    for &(rule, d, bad, safe) in CASES {
        let found = findings(bad, false, d);
        assert!(rules(&found).contains(&rule), "{rule} on {d}: {found:?}");
        let f = found.iter().find(|f| f.rule == rule).unwrap();
        assert!(f.reviewed.is_none() && !f.why.is_empty() && !f.instead.is_empty());
        let text = f.to_string();
        assert!(
            text.contains("m2") && text.contains(rule) && text.contains(d.name()),
            "{text}"
        );
        let quiet = findings(safe, false, d);
        assert!(
            !rules(&quiet).contains(&rule),
            "{rule} on {d}, safe form: {quiet:?}"
        );
        let reviewed = findings(bad, true, d);
        assert!(
            reviewed
                .iter()
                .filter(|f| f.rule == rule)
                .all(|f| f.reviewed.is_some()),
            "{rule}: {reviewed:?}"
        );
    }
}

#[test]
fn a_concurrent_index_inside_a_transaction_is_reported() {
    let idx: Mig = |op| {
        op.create_index("ix_t_a", "t", ["a"]).concurrently();
        Ok(())
    };
    let c = |transactional| {
        Chain::new(vec![
            Migration::new("m1", None, "base", base, None),
            Migration::new("m2", Some("m1"), "idx", idx, None).with_transaction(transactional),
        ])
        .unwrap()
    };
    let inside = lint(&c(true), 1..=1, &[Dialect::Postgres]).unwrap();
    assert!(
        rules(&inside).contains(&"concurrent-index-in-transaction"),
        "{inside:?}"
    );
    let outside = lint(&c(false), 1..=1, &[Dialect::Postgres]).unwrap();
    assert!(outside.is_empty(), "{outside:?}");
}

#[test]
fn op_reviewed_accepts_only_the_operation_before_it() {
    let two: Mig = |op| {
        op.drop_column("t", "a");
        op.reviewed("a was never read");
        op.drop_column("t", "b");
        Ok(())
    };
    let found = findings(two, false, Dialect::Sqlite);
    let drops: Vec<_> = found.iter().filter(|f| f.rule == "drop-column").collect();
    assert_eq!(drops.len(), 2, "{found:?}");
    assert_eq!(drops[0].reviewed.as_deref(), Some("a was never read"));
    assert!(drops[1].reviewed.is_none());
    let c = Chain::new(vec![
        Migration::new("m1", None, "base", base, None),
        Migration::new("m2", Some("m1"), "two", two, None),
    ])
    .unwrap();
    let e = migrate_runtime::testing::lint(&c).unwrap_err();
    assert!(e.to_string().contains("drop_column t.b"), "{e}");
    assert!(!e.to_string().contains("drop_column t.a"), "{e}");
}

fn coded(op: &mut Op) -> Result<()> {
    op.create_table("codes")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Varchar>("code").length(10));
    Ok(())
}

/// The type a column had comes from the schema the earlier migrations build:
/// on PostgreSQL a longer text limit (or none) changes the catalog only, and
/// is not reported; a shorter one, another kind, or another database is.
#[test]
fn a_text_column_made_longer_is_no_rewrite_on_postgres() {
    use migrate_runtime::ops::types::{ColumnKind, ColumnType};
    let case = |second: Mig, d: Dialect| {
        let c = Chain::new(vec![
            Migration::new("m1", None, "codes", coded, None),
            Migration::new("m2", Some("m1"), "change", second, None),
        ])
        .unwrap();
        rules(&lint(&c, 1..=1, &[d]).unwrap())
            .into_iter()
            .filter(|r| *r == "change-column-type")
            .count()
    };
    let longer: Mig = |op| {
        op.alter_column("codes", "code")
            .set_column_type(ColumnType {
                kind: ColumnKind::Text,
                length: Some(40),
                precision: None,
            });
        Ok(())
    };
    let unlimited: Mig = |op| {
        op.alter_column("codes", "code").set_type::<Text>();
        Ok(())
    };
    let shorter: Mig = |op| {
        op.alter_column("codes", "code")
            .set_column_type(ColumnType {
                kind: ColumnKind::Text,
                length: Some(5),
                precision: None,
            });
        Ok(())
    };
    let wider_int: Mig = |op| {
        op.alter_column("codes", "id").set_type::<BigInt>();
        Ok(())
    };
    assert_eq!(case(longer, Dialect::Postgres), 0);
    assert_eq!(case(unlimited, Dialect::Postgres), 0);
    assert_eq!(case(shorter, Dialect::Postgres), 1);
    assert_eq!(case(wider_int, Dialect::Postgres), 1);
    // MySQL copies the table past a length byte, SQLite rebuilds it.
    assert_eq!(case(longer, Dialect::Mysql), 1);
    assert_eq!(case(longer, Dialect::Sqlite), 1);
    // A column raw SQL made: its type is not known, the change is reported.
    let raw: Mig = |op| {
        op.execute("CREATE TABLE codes (id INTEGER PRIMARY KEY, code VARCHAR(10))");
        Ok(())
    };
    let c = Chain::new(vec![
        Migration::new("m1", None, "codes", raw, None),
        Migration::new("m2", Some("m1"), "change", longer, None),
    ])
    .unwrap();
    assert_eq!(
        rules(&lint(&c, 1..=1, &[Dialect::Postgres]).unwrap()),
        ["change-column-type"]
    );
    // Raw SQL after the column was made may have changed its type: from
    // there on the type it had is not known, and the change is reported.
    let retyped: Mig = |op| {
        op.execute("ALTER TABLE codes ALTER COLUMN code TYPE INTEGER USING length(code)");
        Ok(())
    };
    let c = Chain::new(vec![
        Migration::new("m1", None, "codes", coded, None),
        Migration::new("m2", Some("m1"), "retyped", retyped, None),
        Migration::new("m3", Some("m2"), "change", longer, None),
    ])
    .unwrap();
    assert_eq!(
        rules(&lint(&c, 2..=2, &[Dialect::Postgres]).unwrap()),
        ["change-column-type"]
    );
}
