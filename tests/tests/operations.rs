//! Every operation executed on real SQLite, PostgreSQL and MariaDB, with the
//! result read back from the database's own catalog.

use migrate_runtime::ops::Operation;
use migrate_runtime::prelude::*;
use migrate_runtime::testing::{self as introspect, Schema};
use migrate_runtime::Migrator;
use migrate_tests::all_backends;

fn schema(conn: &mut AnyConnection) -> Schema {
    introspect::schema(conn, "alembic_version").expect("introspect")
}

fn one(up: fn(&mut Op) -> Result<()>, down: fn(&mut Op) -> Result<()>) -> Chain {
    Chain::new(vec![Migration::new("op1", None, "ops", up, Some(down))]).unwrap()
}

fn base(op: &mut Op) -> Result<()> {
    op.create_table("teams")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(50).unique());
    op.create_table("users")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(50).default("anon"))
        .column(col::<Nullable<Integer>>("team_id"))
        .column(col::<Integer>("age").default(0))
        .column(col::<Nullable<Varchar>>("nick").length(30))
        .column(col::<Bool>("active").default(true))
        .column(
            col::<Numeric>("balance")
                .precision(10, 2)
                .default(Literal("0.00")),
        )
        .column(col::<Timestamp>("created_at").server_default("CURRENT_TIMESTAMP"))
        .foreign_key(
            ForeignKey::new(["team_id"], "teams", ["id"])
                .name("fk_users_team")
                .on_delete(Action::SetNull),
        )
        .check("ck_users_age", "age >= 0");
    op.create_index("ix_users_name", "users", ["name"]);
    op.bulk_insert("teams", ["name"], vec![row!["red"], row!["blue"]]);
    op.bulk_insert(
        "users",
        ["name", "team_id", "age", "nick"],
        vec![
            row!["ada", 1, 36, "countess"],
            row!["alan", 2, 41, None::<&str>],
        ],
    );
    Ok(())
}

fn drop_all(op: &mut Op) -> Result<()> {
    op.drop_table_if_exists("audit");
    op.drop_table_if_exists("members");
    op.drop_table_if_exists("users");
    op.drop_table_if_exists("teams");
    Ok(())
}

#[test]
fn create_table_with_every_kind_of_column_and_constraint() {
    for db in all_backends("ops_create") {
        let d = db.dialect;
        let mut conn = db.connect();
        Migrator::new(&one(base, drop_all))
            .upgrade(&mut conn, "head")
            .unwrap();
        let s = schema(&mut conn);
        let users = s.table("users").unwrap_or_else(|| panic!("{d}: {s}"));
        let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "name",
                "team_id",
                "age",
                "nick",
                "active",
                "balance",
                "created_at"
            ],
            "{d}"
        );
        assert!(!users.column("name").unwrap().nullable, "{d}");
        assert!(users.column("nick").unwrap().nullable, "{d}");
        assert!(
            users
                .column("name")
                .unwrap()
                .default
                .as_deref()
                .unwrap()
                .contains("anon"),
            "{d}: {s}"
        );
        assert!(
            users
                .column("created_at")
                .unwrap()
                .default
                .as_deref()
                .unwrap()
                .to_ascii_lowercase()
                .contains("current_timestamp"),
            "{d}: {s}"
        );
        assert!(
            users.indexes.iter().any(|i| i.starts_with("ix_users_name")),
            "{d}: {s}"
        );
        assert!(
            users
                .constraints
                .iter()
                .any(|c| c.contains("REFERENCES teams") && c.contains("SET NULL")),
            "{d}: {s}"
        );
        assert!(
            users.constraints.iter().any(|c| c.contains("ck_users_age")),
            "{d}: {s}"
        );
        let teams = s.table("teams").unwrap();
        assert!(
            teams
                .indexes
                .iter()
                .chain(teams.constraints.iter())
                .any(|i| i.contains("UNIQUE")),
            "{d}: {s}"
        );
        // The check is enforced.
        assert!(
            conn.execute("INSERT INTO users (name, age) VALUES ('x', -1)")
                .is_err(),
            "{d}"
        );
        // The autoincrement key generates values.
        conn.execute("INSERT INTO users (name) VALUES ('grace')")
            .unwrap();
        let ids = conn
            .query_text("SELECT name AS v FROM users WHERE id IS NOT NULL AND id > 2")
            .unwrap();
        assert_eq!(ids, vec![Some("grace".to_owned())], "{d}");
        Migrator::new(&one(base, drop_all))
            .downgrade(&mut conn, "base")
            .unwrap();
        assert!(schema(&mut conn).tables.is_empty(), "{d}");
    }
}

fn alter(op: &mut Op) -> Result<()> {
    base(op)?;
    op.add_column("users", col::<Nullable<Varchar>>("email").length(100));
    op.add_column("users", col::<Integer>("score").default(7));
    op.drop_column("users", "nick");
    op.execute("UPDATE users SET email = name");
    op.alter_column("users", "age").set_type::<BigInt>();
    op.alter_column("users", "email")
        .nullable(false)
        .server_default("'none'");
    op.alter_column("users", "score").rename_to("points");
    op.alter_column("users", "active").drop_default();
    op.rename_table("teams", "squads");
    op.create_index("ix_users_email", "users", ["email"])
        .unique();
    op.create_unique_constraint("uq_users_name_points", "users", ["name", "points"]);
    op.create_check_constraint("ck_users_points", "users", "points < 1000");
    op.drop_constraint("ck_users_age", "users", ConstraintKind::Check);
    op.create_table("members")
        .column(col::<Integer>("user_id"))
        .column(col::<Integer>("squad_id"));
    op.create_primary_key("pk_members", "members", ["user_id", "squad_id"]);
    op.create_foreign_key("fk_members_user", "members", "users", ["user_id"], ["id"])
        .on_delete(Action::Cascade);
    op.drop_index("ix_users_name", "users");
    op.execute("UPDATE users SET points = points + 1");
    Ok(())
}

#[test]
fn alter_operations_keep_rows_and_land_in_the_catalog() {
    for db in all_backends("ops_alter") {
        let d = db.dialect;
        let mut conn = db.connect();
        if let Err(e) = Migrator::new(&one(alter, drop_all)).upgrade(&mut conn, "head") {
            panic!("{d}: {e}");
        }
        let s = schema(&mut conn);
        let users = s.table("users").unwrap();
        let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "name",
                "team_id",
                "age",
                "active",
                "balance",
                "created_at",
                "email",
                "points"
            ],
            "{d}: {s}"
        );
        let mut emails = conn.query_text("SELECT email AS v FROM users").unwrap();
        emails.sort();
        assert_eq!(
            emails,
            vec![Some("ada".to_owned()), Some("alan".to_owned())],
            "{d}"
        );
        assert!(
            users.column("age").unwrap().sql_type.contains("big"),
            "{d}: {s}"
        );
        let email = users.column("email").unwrap();
        assert!(
            !email.nullable && email.default.as_deref().unwrap_or("").contains("none"),
            "{d}: {s}"
        );
        assert_eq!(users.column("active").unwrap().default, None, "{d}: {s}");
        assert!(
            s.table("squads").is_some() && s.table("teams").is_none(),
            "{d}"
        );
        assert!(
            users
                .indexes
                .iter()
                .any(|i| i.starts_with("ix_users_email") && i.contains("UNIQUE")),
            "{d}: {s}"
        );
        assert!(
            !users
                .indexes
                .iter()
                .any(|i| i.starts_with("ix_users_name:")),
            "{d}: {s}"
        );
        assert!(
            users
                .constraints
                .iter()
                .any(|c| c.contains("ck_users_points")),
            "{d}: {s}"
        );
        assert!(
            !users.constraints.iter().any(|c| c.contains("ck_users_age")),
            "{d}: {s}"
        );
        let members = s.table("members").unwrap();
        assert!(
            members
                .constraints
                .iter()
                .any(|c| c.contains("REFERENCES users") && c.contains("CASCADE")),
            "{d}: {s}"
        );
        assert!(
            members
                .constraints
                .iter()
                .any(|c| c.to_ascii_lowercase().contains("primary")),
            "{d}: {s}"
        );
        // Rows survived every change, data updates included.
        let sql = if d == Dialect::Mysql {
            "SELECT CONCAT(name, ':', age, ':', points) AS v FROM users"
        } else {
            "SELECT name || ':' || CAST(age AS VARCHAR(10)) || ':' || CAST(points AS VARCHAR(10)) AS v FROM users"
        };
        let mut rows = conn.query_text(sql).unwrap();
        rows.sort();
        assert_eq!(
            rows,
            vec![Some("ada:36:8".to_owned()), Some("alan:41:8".to_owned())],
            "{d}"
        );
        // New constraints are enforced.
        assert!(
            conn.execute("UPDATE users SET points = 5000").is_err(),
            "{d}: check"
        );
        assert!(
            conn.execute("INSERT INTO members (user_id, squad_id) VALUES (1, 1)")
                .is_ok(),
            "{d}"
        );
        assert!(
            conn.execute("INSERT INTO members (user_id, squad_id) VALUES (1, 1)")
                .is_err(),
            "{d}: primary key"
        );
    }
}

fn hostile(op: &mut Op) -> Result<()> {
    op.create_table("order")
        .column(col::<Integer>("user").primary_key())
        .column(col::<Varchar>("a\"b").length(40))
        .column(col::<Varchar>("we`ird").length(20))
        .column(
            col::<Varchar>("with space")
                .length(40)
                .default("it's; DROP TABLE x; --"),
        );
    op.create_index("ix \"quoted\"", "order", ["a\"b"]);
    op.bulk_insert(
        "order",
        ["user", "a\"b", "we`ird"],
        vec![row![1, "'); DROP TABLE users; --", "back\\slash"]],
    );
    op.add_column("order", col::<Nullable<Integer>>("select"));
    op.rename_table("order", "group");
    Ok(())
}

fn hostile_down(op: &mut Op) -> Result<()> {
    op.drop_table("group");
    Ok(())
}

#[test]
fn hostile_identifiers_and_values_are_quoted_on_every_database() {
    for db in all_backends("ops_hostile") {
        let d = db.dialect;
        let mut conn = db.connect();
        conn.execute("CREATE TABLE users (id INTEGER)").unwrap();
        if let Err(e) = Migrator::new(&one(hostile, hostile_down)).upgrade(&mut conn, "head") {
            panic!("{d}: {e}");
        }
        let s = schema(&mut conn);
        let t = s.table("group").unwrap_or_else(|| panic!("{d}: {s}"));
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["user", "a\"b", "we`ird", "with space", "select"],
            "{d}"
        );
        assert!(s.table("users").is_some(), "{d}: nothing was injected");
        let q = |n: &str| d.quote_ident(n);
        let got = conn
            .query_text(&format!("SELECT {} AS v FROM {}", q("a\"b"), q("group")))
            .unwrap();
        assert_eq!(
            got,
            vec![Some("'); DROP TABLE users; --".to_owned())],
            "{d}"
        );
        let got = conn
            .query_text(&format!("SELECT {} AS v FROM {}", q("we`ird"), q("group")))
            .unwrap();
        assert_eq!(got, vec![Some("back\\slash".to_owned())], "{d}");
        let got = conn
            .query_text(&format!(
                "SELECT {} AS v FROM {}",
                q("with space"),
                q("group")
            ))
            .unwrap();
        assert_eq!(got, vec![Some("it's; DROP TABLE x; --".to_owned())], "{d}");
        Migrator::new(&one(hostile, hostile_down))
            .downgrade(&mut conn, "base")
            .unwrap();
    }
}

fn partial(op: &mut Op) -> Result<()> {
    op.create_table("jobs")
        .column(col::<Integer>("id"))
        .column(col::<Bool>("done"));
    op.create_index("ix_jobs_pending", "jobs", ["id"])
        .where_("done = FALSE");
    Ok(())
}

#[test]
fn partial_index_on_postgres_and_sqlite_and_a_clear_error_on_mysql() {
    for db in all_backends("ops_partial") {
        let d = db.dialect;
        let mut conn = db.connect();
        let r = Migrator::new(&one(partial, drop_all)).upgrade(&mut conn, "head");
        if d == Dialect::Mysql {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("create_index ix_jobs_pending on jobs is not supported on mysql: MySQL and MariaDB have no partial indexes"), "{e}");
        } else {
            r.unwrap();
            let s = schema(&mut conn);
            assert!(
                s.table("jobs")
                    .unwrap()
                    .indexes
                    .iter()
                    .any(|i| i.contains("WHERE")),
                "{d}: {s}"
            );
        }
    }
}

#[test]
fn mysql_alter_column_keeps_collation_comment_and_on_update() {
    let Some(db) = migrate_tests::mysql("ops_mysql_attrs") else {
        return;
    };
    fn up(op: &mut Op) -> Result<()> {
        op.execute(
            "CREATE TABLE tokens (id INT PRIMARY KEY, token VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'case matters', \
             updated_at DATETIME DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
        );
        op.alter_column("tokens", "token").nullable(true);
        op.alter_column("tokens", "updated_at").nullable(false);
        Ok(())
    }
    fn down(op: &mut Op) -> Result<()> {
        op.drop_table("tokens");
        Ok(())
    }
    let mut conn = db.connect();
    Migrator::new(&one(up, down))
        .upgrade(&mut conn, "head")
        .unwrap();
    let got = conn
        .query_text(
            "SELECT CONCAT_WS('|', COLUMN_NAME, IS_NULLABLE, IFNULL(COLLATION_NAME, '-'), COLUMN_COMMENT, EXTRA) AS v FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'tokens' AND column_name <> 'id' ORDER BY ORDINAL_POSITION",
        )
        .unwrap();
    let got: Vec<String> = got
        .into_iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect();
    assert_eq!(got[0], "token|yes|utf8mb4_bin|case matters|");
    assert!(
        got[1].starts_with("updated_at|no|-||on update current_timestamp"),
        "{got:?}"
    );
}

#[test]
fn batch_alter_table_on_every_database() {
    for db in all_backends("ops_batch") {
        let d = db.dialect;
        let mut conn = db.connect();
        // Every nick is set before it becomes NOT NULL.
        fn fill(op: &mut Op) -> Result<()> {
            base(op)?;
            op.execute("UPDATE users SET nick = 'n' WHERE nick IS NULL");
            op.batch_alter_table("users", |b| {
                b.add_column(col::<Nullable<Varchar>>("handle").length(30));
                b.alter_column("nick")
                    .nullable(false)
                    .server_default("'none'");
                b.drop_column("active");
                b.create_check_constraint("ck_users_handle", "handle IS NULL OR handle <> ''");
                b.alter_column("age").rename_to("years");
            });
            Ok(())
        }
        if let Err(e) = Migrator::new(&one(fill, drop_all)).upgrade(&mut conn, "head") {
            panic!("{d}: {e}");
        }
        let s = schema(&mut conn);
        let users = s.table("users").unwrap();
        let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "id",
                "name",
                "team_id",
                "years",
                "nick",
                "balance",
                "created_at",
                "handle"
            ],
            "{d}: {s}"
        );
        assert!(!users.column("nick").unwrap().nullable, "{d}");
        assert!(
            users
                .constraints
                .iter()
                .any(|c| c.contains("ck_users_handle")),
            "{d}: {s}"
        );
        let mut rows = conn.query_text("SELECT nick AS v FROM users").unwrap();
        rows.sort();
        assert_eq!(
            rows,
            vec![Some("countess".to_owned()), Some("n".to_owned())],
            "{d}"
        );
        Migrator::new(&one(fill, drop_all))
            .downgrade(&mut conn, "base")
            .unwrap();
    }
}

#[test]
fn column_if_exists_where_the_dialect_has_it() {
    fn up(op: &mut Op) -> Result<()> {
        op.create_table("t").column(col::<Integer>("id"));
        op.add_column_if_not_exists("t", col::<Nullable<Integer>>("n"));
        op.add_column_if_not_exists("t", col::<Nullable<Integer>>("n"));
        op.drop_column_if_exists("t", "missing");
        Ok(())
    }
    fn down(op: &mut Op) -> Result<()> {
        op.drop_table("t");
        Ok(())
    }
    for db in all_backends("ops_if_exists") {
        let mut conn = db.connect();
        let r = Migrator::new(&one(up, down)).upgrade(&mut conn, "head");
        if db.dialect == Dialect::Sqlite {
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains("SQLite has no IF [NOT] EXISTS for columns"),
                "{e}"
            );
        } else {
            r.unwrap_or_else(|e| panic!("{}: {e}", db.dialect));
            assert!(schema(&mut conn).table("t").unwrap().column("n").is_some());
        }
    }
}

#[test]
fn batch_keeps_the_written_order_of_renames_and_other_changes() {
    fn up(op: &mut Op) -> Result<()> {
        op.create_table("people")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Nullable<Varchar>>("email").length(40))
            .column(col::<Varchar>("name").length(40))
            .column(col::<Varchar>("full_name").length(40))
            .column(col::<Nullable<Integer>>("score"));
        op.create_unique_constraint("uq_people_score", "people", ["score"]);
        op.bulk_insert(
            "people",
            ["id", "email", "name", "full_name"],
            vec![row![1, "a@x", "a", "Ada L"]],
        );
        op.batch_alter_table("people", |b| {
            b.alter_column("email").nullable(false);
            b.alter_column("email").rename_to("mail");
            b.drop_column("name");
            b.alter_column("full_name").rename_to("name");
            b.create_index("ix_people_name", ["name"]);
            b.drop_constraint("uq_people_score", ConstraintKind::Unique);
            b.alter_column("score").set_type::<BigInt>();
        });
        Ok(())
    }
    fn down(op: &mut Op) -> Result<()> {
        op.drop_table("people");
        Ok(())
    }
    for db in all_backends("ops_batch_order") {
        let d = db.dialect;
        let mut conn = db.connect();
        if let Err(e) = Migrator::new(&one(up, down)).upgrade(&mut conn, "head") {
            panic!("{d}: {e}");
        }
        let s = schema(&mut conn);
        let t = s.table("people").unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "mail", "name", "score"], "{d}: {s}");
        assert!(!t.column("mail").unwrap().nullable, "{d}");
        assert!(
            t.indexes.iter().any(|i| i.starts_with("ix_people_name")),
            "{d}: {s}"
        );
        assert!(
            !t.indexes
                .iter()
                .chain(t.constraints.iter())
                .any(|i| i.contains("uq_people_score")),
            "{d}: {s}"
        );
        assert_eq!(
            conn.query_text("SELECT name AS v FROM people").unwrap(),
            vec![Some("Ada L".to_owned())],
            "{d}"
        );
    }
}

#[test]
fn the_bound_batch_api_records_the_batch_table_for_every_operation() {
    let mut op = Op::new();
    op.batch_alter_table("a", |b| {
        assert_eq!(b.table(), "a");
        b.add_column(col::<Nullable<Text>>("nick"));
        b.add_column_if_not_exists(col::<Nullable<Text>>("nick2"));
        b.alter_column("email").nullable(false);
        b.drop_column("legacy");
        b.drop_column_if_exists("legacy2");
        b.create_index("ix", ["x"]).unique();
        b.drop_index("ix");
        b.drop_index_if_exists("ix2");
        b.create_unique_constraint("uq", ["x"]);
        b.create_foreign_key("fk", "other", ["x"], ["id"])
            .on_delete(Action::Cascade);
        b.create_check_constraint("ck", "x > 0");
        b.create_primary_key("pk", ["x"]);
        b.drop_constraint("name", ConstraintKind::Check);
        b.bulk_insert(["x"], vec![row![1]]);
        b.execute("SELECT 1");
        assert_eq!(b.operations().len(), 15);
    });
    let [Operation::Batch { table, ops }] = op.operations() else {
        panic!("one batch: {:?}", op.operations());
    };
    assert_eq!(table, "a");
    let tables: Vec<Option<&str>> = ops
        .iter()
        .map(|o| match o {
            Operation::AddColumn { table, .. }
            | Operation::DropColumn { table, .. }
            | Operation::DropIndex { table, .. }
            | Operation::CreateUnique { table, .. }
            | Operation::CreateForeignKey { table, .. }
            | Operation::CreateCheck { table, .. }
            | Operation::CreatePrimaryKey { table, .. }
            | Operation::DropConstraint { table, .. }
            | Operation::BulkInsert { table, .. } => Some(table.as_str()),
            Operation::AlterColumn(a) => Some(a.table.as_str()),
            Operation::CreateIndex(i) => Some(i.table.as_str()),
            Operation::Execute(_) => None,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    let mut want = vec![Some("a"); 14];
    want.push(None);
    assert_eq!(tables, want, "{ops:?}");
    let described: Vec<String> = ops.iter().map(Operation::describe).collect();
    assert_eq!(
        described,
        [
            "add_column a.nick",
            "add_column a.nick2",
            "alter_column a.email",
            "drop_column a.legacy",
            "drop_column a.legacy2",
            "create_index ix on a",
            "drop_index ix",
            "drop_index ix2",
            "create_unique_constraint uq on a",
            "create_foreign_key fk on a",
            "create_check_constraint ck on a",
            "create_primary_key pk on a",
            "drop_constraint name on a",
            "bulk_insert a (1 rows)",
            "execute \"SELECT 1\"",
        ]
    );
    // The builders returned inside the batch still shape the recorded operation.
    assert!(matches!(&ops[5], Operation::CreateIndex(i) if i.unique && i.columns == ["x"]));
    assert!(matches!(
        &ops[9],
        Operation::CreateForeignKey { fk, .. }
            if fk.ref_table == "other" && fk.columns == ["x"] && fk.ref_columns == ["id"]
                && fk.on_delete == Some(Action::Cascade)
    ));
}
