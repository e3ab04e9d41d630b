//! A database real Alembic migrated (installed from PyPI into a virtualenv under
//! cargo's target directory) is adopted: our chain, with the same revision ids,
//! upgrades it further and fills the ledger, on every configured database.

use std::path::Path;
use std::process::Command;

use migrate_runtime::prelude::*;
use migrate_runtime::{LedgerState, Migrator};
use migrate_tests::alembic::{alembic, sqlalchemy_url, ENV_PY};
use migrate_tests::{all_backends, table_exists};

const REV1: &str = r#"from alembic import op
import sqlalchemy as sa

revision = "1a2b3c4d5e6f"
down_revision = None


def upgrade():
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )


def downgrade():
    op.drop_table("users")
"#;

const REV2: &str = r#"from alembic import op
import sqlalchemy as sa

revision = "2b3c4d5e6f70"
down_revision = "1a2b3c4d5e6f"


def upgrade():
    op.add_column("users", sa.Column("email", sa.String(255), nullable=True))


def downgrade():
    op.drop_column("users", "email")
"#;

fn project(dir: &Path, url: &str) {
    std::fs::create_dir_all(dir.join("versions")).unwrap();
    std::fs::write(
        dir.join("alembic.ini"),
        format!("[alembic]\nscript_location = %(here)s\nsqlalchemy.url = {url}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("env.py"), ENV_PY).unwrap();
    std::fs::write(dir.join("versions/1a2b3c4d5e6f_users.py"), REV1).unwrap();
    std::fs::write(dir.join("versions/2b3c4d5e6f70_email.py"), REV2).unwrap();
}

fn users(op: &mut Op) -> Result<()> {
    op.create_table("users")
        .column(col::<Integer>("id").primary_key())
        .column(col::<Text>("name").length(100));
    Ok(())
}
fn drop_users(op: &mut Op) -> Result<()> {
    op.drop_table("users");
    Ok(())
}
fn email(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("email").length(255));
    Ok(())
}
fn drop_email(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    Ok(())
}
fn age(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Integer>>("age"));
    Ok(())
}
fn drop_age(op: &mut Op) -> Result<()> {
    op.drop_column("users", "age");
    Ok(())
}

#[test]
fn a_database_alembic_migrated_is_adopted_and_upgraded_with_the_ledger_filled() {
    let alembic = alembic();
    let chain = Chain::new(vec![
        Migration::new("1a2b3c4d5e6f", None, "users", users, Some(drop_users)),
        Migration::new(
            "2b3c4d5e6f70",
            Some("1a2b3c4d5e6f"),
            "email",
            email,
            Some(drop_email),
        ),
        Migration::new(
            "3c4d5e6f7081",
            Some("2b3c4d5e6f70"),
            "age",
            age,
            Some(drop_age),
        ),
    ])
    .unwrap();
    for db in all_backends("alembic_adoption") {
        let d = db.dialect;
        let tmp = tempfile::tempdir().unwrap();
        project(tmp.path(), &sqlalchemy_url(&db));
        let out = Command::new(&alembic)
            .args(["-c"])
            .arg(tmp.path().join("alembic.ini"))
            .args(["upgrade", "head"])
            .output()
            .expect("run alembic");
        assert!(
            out.status.success(),
            "{d}: alembic upgrade head failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut conn = db.connect();
        conn.execute("INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.com')")
            .unwrap();
        assert_eq!(
            Migrator::new(&chain).current(&mut conn).unwrap().as_deref(),
            Some("2b3c4d5e6f70"),
            "{d}: Alembic's version table, read as it is"
        );

        let ran = Migrator::new(&chain).upgrade(&mut conn, "head").unwrap();
        let revs: Vec<_> = ran.iter().map(|s| s.to.unwrap_or("")).collect();
        assert_eq!(revs, ["3c4d5e6f7081"], "{d}");
        let ledger = Migrator::new(&chain).ledger(&mut conn).unwrap();
        let states: Vec<(&str, LedgerState)> = ledger
            .iter()
            .map(|e| (e.revision.as_str(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("1a2b3c4d5e6f", LedgerState::Adopted),
                ("2b3c4d5e6f70", LedgerState::Adopted),
                ("3c4d5e6f7081", LedgerState::Applied),
            ],
            "{d}"
        );
        assert!(table_exists(&mut conn, "users"), "{d}");
        let age = conn
            .query_text("SELECT CAST(COUNT(age) AS CHAR(10)) AS v FROM users")
            .unwrap();
        assert_eq!(
            age[0].as_deref().map(str::trim),
            Some("0"),
            "{d}: our migration added the column"
        );
        let name = conn
            .query_text("SELECT name AS v FROM users WHERE id = 1")
            .unwrap();
        assert_eq!(name, [Some("ada".to_owned())], "{d}: the row survived");
        // Alembic's own table kept its shape: one column, one row.
        let v = conn
            .query_text("SELECT version_num AS v FROM alembic_version")
            .unwrap();
        assert_eq!(v, [Some("3c4d5e6f7081".to_owned())], "{d}");

        // And back down through Alembic's revisions with ours.
        Migrator::new(&chain).downgrade(&mut conn, "base").unwrap();
        assert!(!table_exists(&mut conn, "users"), "{d}");
    }
}
