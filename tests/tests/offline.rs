//! Offline scripts (`upgrade --sql`) leave the same schema as the online upgrade,
//! table rebuilds on SQLite included.

use std::io::Write;
use std::process::{Command, Stdio};

use migrate_runtime::prelude::*;
use migrate_runtime::testing::schema;
use migrate_runtime::Migrator;

fn create(op: &mut Op) -> Result<()> {
    op.create_table("teams")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(40));
    op.create_table("users")
        .column(col::<Integer>("id").primary_key().autoincrement())
        .column(col::<Varchar>("name").length(40))
        .column(col::<Nullable<Integer>>("team_id"))
        .column(col::<Nullable<Integer>>("age"))
        .column(col::<Nullable<Text>>("bio"))
        .check("ck_age", "age > 0");
    op.create_index("ix_users_bio", "users", ["bio"]);
    op.create_index("ix_users_name", "users", ["name"]);
    Ok(())
}
fn uncreate(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    op.drop_table("teams");
    Ok(())
}
fn alter(op: &mut Op) -> Result<()> {
    op.alter_column("users", "age")
        .set_type::<BigInt>()
        .nullable(false)
        .server_default("1");
    op.create_foreign_key("fk_users_team", "users", "teams", ["team_id"], ["id"])
        .on_delete(Action::Cascade);
    op.drop_constraint("ck_age", "users", ConstraintKind::Check);
    op.create_check_constraint("ck_age2", "users", "age < 200");
    op.drop_column("users", "bio");
    op.alter_column("users", "name")
        .rename_to("full_name")
        .nullable(true);
    Ok(())
}
fn unalter(op: &mut Op) -> Result<()> {
    op.alter_column("users", "full_name")
        .rename_to("name")
        .nullable(false);
    op.add_column("users", col::<Nullable<Text>>("bio"));
    op.create_index("ix_users_bio", "users", ["bio"]);
    op.drop_constraint("ck_age2", "users", ConstraintKind::Check);
    op.create_check_constraint("ck_age", "users", "age > 0");
    op.drop_constraint("fk_users_team", "users", ConstraintKind::ForeignKey);
    op.alter_column("users", "age")
        .set_type::<Integer>()
        .nullable(true)
        .drop_default();
    Ok(())
}

fn chain() -> Chain {
    Chain::new(vec![
        Migration::new("o1", None, "create", create, Some(uncreate)),
        Migration::new("o2", Some("o1"), "alter", alter, Some(unalter)),
    ])
    .unwrap()
}

fn sqlite3(db: &std::path::Path, script: &str) {
    let mut child = Command::new("sqlite3")
        .arg("-bail")
        .arg(db)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sqlite3 CLI");
    child
        .stdin
        .as_mut()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3 failed: {}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "foreign_key_check reported rows: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn offline_sqlite_script_with_rebuilds_matches_online() {
    let chain = chain();
    let online = migrate_tests::sqlite("offline_online");
    let mut on = online.connect();
    Migrator::new(&chain).upgrade(&mut on, "head").unwrap();
    let expected = schema(&mut on, "alembic_version").unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("offline.db");
    let script = Migrator::new(&chain)
        .script(Dialect::Sqlite, "base", "head")
        .unwrap();
    assert!(script.contains("PRAGMA foreign_keys = OFF;"), "{script}");
    assert!(
        script.contains("CREATE TABLE \"_migrate_new_users\""),
        "{script}"
    );
    sqlite3(&db, &script);
    let mut off = AnyConnection::establish(&format!("sqlite:///{}", db.display())).unwrap();
    let got = schema(&mut off, "alembic_version").unwrap();
    assert_eq!(
        got.diff(&expected),
        Vec::<String>::new(),
        "offline:\n{got}\nonline:\n{expected}"
    );
    assert_eq!(
        Migrator::new(&chain).current(&mut off).unwrap().as_deref(),
        Some("o2")
    );

    // Downgrade script from head back to o1, against the online downgrade.
    Migrator::new(&chain).downgrade(&mut on, "o1").unwrap();
    let expected = schema(&mut on, "alembic_version").unwrap();
    let down = Migrator::new(&chain)
        .script(Dialect::Sqlite, "head", "o1")
        .unwrap();
    sqlite3(&db, &down);
    let got = schema(&mut off, "alembic_version").unwrap();
    assert_eq!(
        got.diff(&expected),
        Vec::<String>::new(),
        "offline:\n{got}\nonline:\n{expected}"
    );
}

fn version_table_ddl(d: Dialect) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT {} PRIMARY KEY (version_num)\n);",
        d.quote_ident("alembic_version"),
        d.quote_ident("alembic_version_pkc")
    )
}

#[test]
fn offline_scripts_render_for_every_dialect() {
    let chain = chain();
    for d in Dialect::ALL {
        let s = Migrator::new(&chain).script(d, "base", "head").unwrap();
        let q = |n: &str| d.quote_ident(n);
        let id = match d {
            Dialect::Sqlite => "INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "INTEGER GENERATED BY DEFAULT AS IDENTITY NOT NULL PRIMARY KEY",
            Dialect::Mysql => "INT NOT NULL PRIMARY KEY AUTO_INCREMENT",
        };
        let teams = format!(
            "CREATE TABLE {} (\n    {} {id},\n    {} VARCHAR(40) NOT NULL\n);",
            q("teams"),
            q("id"),
            q("name")
        );
        let check = format!("    CONSTRAINT {} CHECK (age > 0)\n);", q("ck_age"));
        let index = format!(
            "CREATE INDEX {} ON {} ({});",
            q("ix_users_bio"),
            q("users"),
            q("bio")
        );
        let v = q("alembic_version");
        let o1 = format!("INSERT INTO {v} (version_num) VALUES ('o1');");
        // The first statement of o2 shows the dialect's way to change a column's type.
        let alter = match d {
            Dialect::Sqlite => "CREATE TABLE \"_migrate_new_users\" (".to_owned(),
            Dialect::Postgres => {
                "ALTER TABLE \"users\" ALTER COLUMN \"age\" TYPE BIGINT USING \"age\"::BIGINT;"
                    .to_owned()
            }
            Dialect::Mysql => {
                "ALTER TABLE `users` MODIFY COLUMN `age` BIGINT NOT NULL DEFAULT 1;".to_owned()
            }
        };
        let o2 = format!("UPDATE {v} SET version_num = 'o2' WHERE version_num = 'o1';");
        let at = |what: &str| {
            s.find(what)
                .unwrap_or_else(|| panic!("{d}: no {what:?} in\n{s}"))
        };
        let order = [
            at(&version_table_ddl(d)),
            at(&teams),
            at(&check),
            at(&index),
            at(&o1),
            at(&alter),
            at(&o2),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{d}: {order:?}\n{s}");
        // MySQL commits DDL at once, so its script has no transactions to open.
        let transactions = if d == Dialect::Mysql { 0 } else { 2 };
        assert_eq!(s.matches("BEGIN;").count(), transactions, "{d}\n{s}");
        assert_eq!(s.matches("COMMIT;").count(), transactions, "{d}\n{s}");
    }
    // MySQL's MODIFY restates what the chain built: the type, NOT NULL, the default.
    let s = Migrator::new(&chain)
        .script(Dialect::Mysql, "base", "head")
        .unwrap();
    assert!(s.contains("ALTER TABLE `users` RENAME COLUMN `name` TO `full_name`;\n\nALTER TABLE `users` MODIFY COLUMN `full_name` VARCHAR(40) NULL;"), "{s}");
}

#[test]
fn offline_rebuild_in_a_non_transactional_migration_gets_its_own_transaction() {
    fn up(op: &mut Op) -> Result<()> {
        op.create_table("t")
            .column(col::<Integer>("id"))
            .column(col::<Nullable<Integer>>("n"));
        Ok(())
    }
    fn down(op: &mut Op) -> Result<()> {
        op.drop_table("t");
        Ok(())
    }
    fn alter(op: &mut Op) -> Result<()> {
        op.alter_column("t", "n").nullable(false);
        Ok(())
    }
    let chain = Chain::new(vec![
        Migration::new("n1", None, "t", up, Some(down)),
        Migration::new("n2", Some("n1"), "n required", alter, Some(down)).with_transaction(false),
    ])
    .unwrap();
    let s = Migrator::new(&chain)
        .script(Dialect::Sqlite, "n1", "n2")
        .unwrap();
    let begin = s.find("BEGIN;").expect("a transaction for the rebuild");
    let create = s.find("CREATE TABLE \"_migrate_new_t\"").expect("rebuild");
    let commit = s.find("COMMIT;").expect("commit");
    assert!(begin < create && create < commit, "{s}");
    assert!(s.contains("PRAGMA foreign_keys = ON;"), "{s}");
}
