//! The SQL every operation renders, for each dialect, as reviewed snapshots.
//! Update with `INSTA_UPDATE=always cargo test -p migrate-runtime --lib sql::tests`
//! and review the diff of `src/sql/snapshots/`.

use crate::ops::types::{ColumnKind, ColumnType};
use crate::ops::{AlterColumn, Operation};
use crate::prelude::*;
use crate::sql::{self as render, ExistingColumn, SchemaFacts};

/// What MySQL's information_schema would say about any column: `varchar(255)
/// NOT NULL DEFAULT 'x'`, so the MODIFY renderings show what is preserved.
struct Facts;

impl SchemaFacts for Facts {
    fn existing_column(&mut self, _: &str, _: &str) -> Result<Option<ExistingColumn>> {
        Ok(Some(ExistingColumn {
            column_type: "varchar(255)".into(),
            nullable: false,
            default_sql: Some("'x'".into()),
            auto_increment: false,
            charset: Some("CHARACTER SET utf8mb4 COLLATE utf8mb4_bin".into()),
            on_update: None,
            comment: Some("'who'".into()),
        }))
    }
}

fn render_all(build: impl Fn(&mut Op)) -> String {
    let mut out = String::new();
    for d in Dialect::ALL {
        let mut op = Op::new();
        build(&mut op);
        out.push_str(&format!("-- {d}\n"));
        for o in op.operations() {
            match render::operation(d, o, &mut Facts) {
                Ok(stmts) if stmts.is_empty() => out.push_str("(nothing)\n"),
                Ok(stmts) => {
                    for s in stmts {
                        out.push_str(&s);
                        out.push_str(";\n");
                    }
                }
                Err(e) => out.push_str(&format!("ERROR: {e}\n")),
            }
        }
        out.push('\n');
    }
    out
}

macro_rules! snap {
    ($name:ident, |$op:ident| $body:block) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(render_all(|$op: &mut Op| $body));
        }
    };
}

snap!(create_table_every_type, |op| {
    op.create_table("everything")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<SmallInt>("small").default(1i16))
        .column(col::<BigInt>("big").default(9_000_000_000i64))
        .column(col::<Text>("body"))
        .column(col::<Varchar>("name").length(80).default("anon"))
        .column(col::<Bool>("active").default(true))
        .column(col::<Float>("ratio").default(0.5f32))
        .column(col::<Double>("score").default(1.25))
        .column(
            col::<Numeric>("price")
                .precision(10, 2)
                .default(Literal("9.99")),
        )
        .column(col::<Date>("day").default(Literal("2026-01-01")))
        .column(col::<Time>("at"))
        .column(col::<Timestamp>("created_at").server_default("CURRENT_TIMESTAMP"))
        .column(col::<Timestamptz>("seen_at"))
        .column(col::<Binary>("blob"))
        .column(col::<Json>("doc"))
        .column(col::<Jsonb>("docb"))
        .column(col::<Uuid>("uid"))
        .column(col::<Nullable<Text>>("note").default(None::<&str>));
});

snap!(create_table_constraints, |op| {
    op.create_table("memberships")
        .column(col::<Integer>("user_id"))
        .column(col::<Integer>("team_id").references("teams", "id"))
        .column(col::<Varchar>("role").length(20).unique())
        .column(col::<Integer>("rank"))
        .primary_key(["user_id", "team_id"])
        .foreign_key(
            ForeignKey::new(["user_id"], "users", ["id"])
                .name("fk_memberships_user")
                .on_delete(Action::Cascade)
                .on_update(Action::Restrict),
        )
        .unique("uq_memberships_rank", ["team_id", "rank"])
        .check("ck_memberships_rank", "rank > 0");
    op.create_table("tags")
        .if_not_exists()
        .column(col::<Text>("name").primary_key());
});

snap!(drop_and_rename_table, |op| {
    op.drop_table("old");
    op.drop_table_if_exists("older");
    op.rename_table("a", "b");
});

snap!(add_and_drop_column, |op| {
    op.add_column("users", col::<Nullable<Varchar>>("email").length(255));
    op.add_column("users", col::<Bool>("is_admin").default(false));
    op.add_column(
        "users",
        col::<Nullable<Varchar>>("handle").length(40).unique(),
    );
    op.add_column(
        "users",
        col::<Nullable<Integer>>("team_id").references("teams", "id"),
    );
    op.drop_column("users", "legacy");
});

snap!(alter_column, |op| {
    op.alter_column("users", "name").rename_to("full_name");
    op.alter_column("users", "age").set_type::<BigInt>();
    op.alter_column("users", "email").nullable(true);
    op.alter_column("users", "nick").server_default("'none'");
    op.alter_column("users", "nick2").drop_default();
    op.alter_column("users", "code")
        .set_column_type(ColumnType {
            kind: ColumnKind::Text,
            length: Some(20),
            precision: None,
        })
        .nullable(false)
        .default_value("x")
        .rename_to("code2");
});

snap!(indexes, |op| {
    op.create_index("ix_users_name", "users", ["name"]);
    op.create_index("ix_users_email", "users", ["email", "name"])
        .unique()
        .if_not_exists();
    op.create_index("ix_users_active", "users", ["name"])
        .where_("active");
    op.create_index("ix_users_conc", "users", ["name"])
        .concurrently();
    op.drop_index("ix_users_name", "users");
    op.drop_index_if_exists("ix_users_email", "users");
});

snap!(constraints, |op| {
    op.create_unique_constraint("uq_users_email", "users", ["email"]);
    op.create_foreign_key("fk_posts_user", "posts", "users", ["user_id"], ["id"])
        .on_delete(Action::SetNull)
        .on_update(Action::NoAction);
    op.create_check_constraint("ck_users_age", "users", "age >= 0");
    op.create_primary_key("pk_things", "things", ["a", "b"]);
    op.drop_constraint("uq_users_email", "users", ConstraintKind::Unique);
    op.drop_constraint("fk_posts_user", "posts", ConstraintKind::ForeignKey);
    op.drop_constraint("ck_users_age", "users", ConstraintKind::Check);
    op.drop_constraint("pk_things", "things", ConstraintKind::PrimaryKey);
});

snap!(execute_and_data, |op| {
    op.execute("UPDATE users SET active = TRUE");
    op.execute_per_dialect()
        .postgres("VACUUM ANALYZE users")
        .mysql("OPTIMIZE TABLE users");
    op.execute("SELECT 1").sqlite("SELECT 2");
    op.bulk_insert(
        "problems",
        ["id", "title", "ratio", "flag", "data", "missing"],
        vec![
            row![1, "Two Sum", 0.5, true, vec![0xde_u8, 0xad], None::<i32>],
            row![
                2i64,
                "it's \\ tricky",
                -1.0e10,
                false,
                Vec::<u8>::new(),
                Some(3)
            ],
        ],
    );
    op.run("backfill", |_| Ok(()));
});

snap!(hostile_identifiers, |op| {
    op.create_table("order")
        .column(col::<Integer>("user").primary_key())
        .column(col::<Text>("a\"b"))
        .column(col::<Text>("we`ird"))
        .column(col::<Text>("with space").default("it's; DROP TABLE x; --"));
    op.create_index("ix \"quoted\"", "order", ["a\"b"]);
    op.bulk_insert(
        "order",
        ["user", "a\"b"],
        vec![row![1, "'); DROP TABLE users; --"]],
    );
});

#[test]
fn invalid_operations_are_errors_naming_the_operation() {
    let out = render_all(|op| {
        op.create_table("empty");
        op.create_index("ix_none", "t", Vec::<String>::new());
        op.bulk_insert("t", ["a", "b"], vec![row![1]]);
        op.add_column("t", col::<Integer>("id").primary_key());
    });
    insta::assert_snapshot!(out);
}

#[test]
fn version_table() {
    let mut out = String::new();
    for d in Dialect::ALL {
        out.push_str(&format!(
            "-- {d}\n{};\n",
            render::version::create(d, "alembic_version")
        ));
        for (from, to) in [
            (None, Some("a1")),
            (Some("a1"), Some("b2")),
            (Some("b2"), None),
        ] {
            if let Some(s) = render::version::set(d, "alembic_version", from, to) {
                out.push_str(&format!("{s};\n"));
            }
        }
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

#[test]
fn mysql_modify_without_known_definition_is_a_clear_error() {
    let op = Operation::AlterColumn(AlterColumn {
        table: "t".into(),
        column: "c".into(),
        new_name: None,
        ty: Some(ColumnType::of(ColumnKind::BigInt)),
        nullable: None,
        default: None,
    });
    let e = render::operation(Dialect::Mysql, &op, &mut render::NoFacts).unwrap_err();
    assert!(e.to_string().contains("alter_column t.c is not supported on mysql: the column's current definition is unknown"), "{e}");
}

#[test]
fn sqlite_rebuild_statements() {
    use crate::sqlite::rebuild::{self, TableSource};
    let src = TableSource {
        create_sql: "CREATE TABLE \"users\" (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    name TEXT NOT NULL COLLATE NOCASE,\n    age INTEGER DEFAULT 0 CHECK (age >= 0),\n    team_id INTEGER,\n    CHECK (length(name) > 0),\n    CONSTRAINT fk_team FOREIGN KEY (team_id) REFERENCES teams (id)\n)".into(),
        indexes: vec![("ix_users_age".into(), "CREATE INDEX ix_users_age ON users (age)".into())],
        triggers: vec!["CREATE TRIGGER tr_users AFTER INSERT ON users BEGIN SELECT 1; END".into()],
        sequence: Some(42),
    };
    let mut out = String::new();
    type Build = fn(&mut Op);
    let cases: Vec<(&str, Build)> = vec![
        ("alter type, nullability and default", |op| {
            op.alter_column("users", "age")
                .set_type::<BigInt>()
                .nullable(false)
                .server_default("1");
        }),
        ("add a foreign key and a check", |op| {
            op.create_foreign_key("fk_users_boss", "users", "users", ["team_id"], ["id"])
                .on_delete(Action::SetNull);
            op.create_check_constraint("ck_age", "users", "age < 150");
        }),
        ("drop a named constraint", |op| {
            op.drop_constraint("fk_team", "users", ConstraintKind::ForeignKey)
        }),
        ("drop an indexed column", |op| {
            op.drop_column("users", "age")
        }),
        ("a batch: one rebuild for all its changes", |op| {
            op.batch_alter_table("users", |b| {
                b.add_column(col::<Nullable<Text>>("nick"));
                b.alter_column("name").nullable(true);
                b.drop_constraint("fk_team", ConstraintKind::ForeignKey);
            });
        }),
    ];
    for (name, build) in cases {
        let mut op = Op::new();
        build(&mut op);
        let ops: Vec<&Operation> = op.operations().iter().collect();
        out.push_str(&format!("-- {name}\n"));
        for s in rebuild::plan("users", &src, &ops).unwrap() {
            out.push_str(&s);
            out.push_str(";\n");
        }
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}
