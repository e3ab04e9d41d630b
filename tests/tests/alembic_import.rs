//! An Alembic project moves here: real Alembic (from PyPI, in a virtualenv)
//! upgrades a database halfway, `migrate import alembic` translates the
//! project, the one step it cannot translate (Python) is written by hand, and
//! our `upgrade head` finishes the database. The result equals what real
//! Alembic's `upgrade head` makes of a fresh database, schema and rows, on
//! SQLite and PostgreSQL.

use std::path::Path;
use std::process::Command;

use migrate_runtime::testing::schema;
use migrate_tests::alembic::{alembic, sqlalchemy_url, ENV_PY};
use migrate_tests::fixture::write_crate;
use migrate_tests::TestDb;

const USERS: &str = r#""""create users

Revision ID: 1a2b3c4d5e6f
Revises:
Create Date: 2024-05-01 10:00:00.000000

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = "1a2b3c4d5e6f"
down_revision: Union[str, None] = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("users")
"#;

const EMAIL: &str = r#""""email with a unique constraint and an index

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
Create Date: 2024-05-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "2b3c4d5e6f70"
down_revision = "1a2b3c4d5e6f"


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_users_email", ["email"])
    op.create_index(op.f("ix_users_email"), "users", ["email"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_users_email"), table_name="users")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_constraint("uq_users_email", type_="unique")
        batch_op.drop_column("email")
"#;

const ADMINS: &str = r#""""admin rows

Revision ID: 3c4d5e6f7081
Revises: 2b3c4d5e6f70
Create Date: 2024-05-03 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "3c4d5e6f7081"
down_revision = "2b3c4d5e6f70"


def upgrade():
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        users,
        [
            {"id": 100, "name": "Admin", "active": True},
            {"id": 101, "name": "Root", "active": False},
        ],
    )


def downgrade():
    op.execute("DELETE FROM users WHERE id IN (100, 101)")
"#;

const BACKFILL: &str = r#""""backfill emails

Revision ID: 4d5e6f708192
Revises: 3c4d5e6f7081
Create Date: 2024-05-04 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "4d5e6f708192"
down_revision = "3c4d5e6f7081"


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM users WHERE email IS NULL")).fetchall()
    for row in rows:
        conn.execute(
            sa.text("UPDATE users SET email = :email WHERE id = :id"),
            {"email": row.name.lower() + "@example.com", "id": row.id},
        )


def downgrade():
    pass
"#;

const REQUIRED: &str = r#""""email required

Revision ID: 5e6f708192a3
Revises: 4d5e6f708192
Create Date: 2024-05-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = "5e6f708192a3"
down_revision = "4d5e6f708192"


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=255), nullable=False)


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=255), nullable=True)
"#;

fn project(dir: &Path, url: &str) {
    std::fs::create_dir_all(dir.join("versions")).unwrap();
    std::fs::write(
        dir.join("alembic.ini"),
        format!("[alembic]\nscript_location = %(here)s\nsqlalchemy.url = {url}\n"),
    )
    .unwrap();
    std::fs::write(dir.join("env.py"), ENV_PY).unwrap();
    for (name, text) in [
        ("1a2b3c4d5e6f_create_users.py", USERS),
        ("2b3c4d5e6f70_email.py", EMAIL),
        ("3c4d5e6f7081_admins.py", ADMINS),
        ("4d5e6f708192_backfill.py", BACKFILL),
        ("5e6f708192a3_required.py", REQUIRED),
    ] {
        std::fs::write(dir.join("versions").join(name), text).unwrap();
    }
}

fn run_alembic(dir: &Path, args: &[&str]) {
    let out = Command::new(alembic())
        .arg("-c")
        .arg(dir.join("alembic.ini"))
        .args(args)
        .output()
        .expect("run alembic");
    assert!(
        out.status.success(),
        "alembic {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn migrate(dir: &Path, args: &[&str]) -> (bool, String) {
    let (ok, _, err) = migrate_tests::fixture::migrate(dir, &["import-alembic"], args);
    (ok, err)
}

fn rows(db: &TestDb) -> Vec<Option<String>> {
    db.connect()
        .query_text(
            "SELECT CAST(id AS TEXT) || ' ' || name || ' ' || email || ' ' || \
             CASE WHEN active THEN 'active' ELSE 'inactive' END AS v FROM users ORDER BY id",
        )
        .unwrap()
}

#[test]
fn an_alembic_project_is_imported_and_our_upgrade_finishes_what_alembic_started() {
    let mut dbs: Vec<(TestDb, TestDb)> = vec![(
        migrate_tests::sqlite("import_half"),
        migrate_tests::sqlite("import_full"),
    )];
    if let (Some(a), Some(b)) = (
        migrate_tests::postgres("import_half"),
        migrate_tests::postgres("import_full"),
    ) {
        dbs.push((a, b));
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture");
    write_crate(&dir, true);
    for (half, full) in &dbs {
        let d = half.dialect;
        // Real Alembic: one database halfway, one to the end.
        let py = tmp.path().join(format!("alembic-{d}"));
        project(&py, &sqlalchemy_url(half));
        run_alembic(&py, &["upgrade", "2b3c4d5e6f70"]);
        let mut c = half.connect();
        c.execute("INSERT INTO users (id, name, active) VALUES (1, 'Ada', true)")
            .unwrap();
        let py_full = tmp.path().join(format!("alembic-full-{d}"));
        project(&py_full, &sqlalchemy_url(full));
        let mut f = full.connect();
        run_alembic(&py_full, &["upgrade", "2b3c4d5e6f70"]);
        f.execute("INSERT INTO users (id, name, active) VALUES (1, 'Ada', true)")
            .unwrap();
        run_alembic(&py_full, &["upgrade", "head"]);

        // The import, into the fixture's empty migrations directory.
        for e in std::fs::read_dir(dir.join("migrations")).unwrap() {
            std::fs::remove_file(e.unwrap().path()).unwrap();
        }
        let versions = py.join("versions");
        let (ok, err) = migrate(&dir, &["import", "alembic", versions.to_str().unwrap()]);
        assert!(ok, "{d}: {err}");
        assert!(
            err.contains("Imported 5 revisions; 1 step is left"),
            "{err}"
        );

        let migrations = dir.join("migrations");
        let backfill = migrations.join("4d5e6f708192_backfill_emails.rs");
        let text = std::fs::read_to_string(&backfill).unwrap();
        assert!(text.contains("compile_error!"), "{text}");
        assert!(text.contains("//     for row in rows:"), "{text}");
        // Until the step is written, the crate does not build, and says where.
        let (ok, err) = migrate(&dir, &["--url", &half.url, "current"]);
        assert!(!ok && err.contains("4d5e6f708192 (upgrade)"), "{err}");

        // The person's step: the TODO block replaced by Rust.
        let start = text.find("    // TODO(migrate import)").unwrap();
        let end = text[start..].find(");\n").map(|i| start + i + 3).unwrap();
        let mut written = text[..start].to_owned();
        written.push_str(
            "    op.execute(\"UPDATE users SET email = lower(name) || '@example.com' WHERE email IS NULL\");\n",
        );
        written.push_str(&text[end..]);
        std::fs::write(&backfill, written).unwrap();
        let users =
            std::fs::read_to_string(migrations.join("1a2b3c4d5e6f_create_users.rs")).unwrap();
        assert!(
            users.contains("create_date = \"2024-05-01 10:00:00.000000\""),
            "{users}"
        );
        assert!(
            users.contains(".column(col::<Varchar>(\"name\").length(100))"),
            "{users}"
        );

        // Our upgrade goes on from Alembic's revision: three migrations run.
        let (ok, err) = migrate(&dir, &["--url", &half.url, "upgrade", "head"]);
        assert!(ok, "{d}: {err}");
        for step in [
            "2b3c4d5e6f70 -> 3c4d5e6f7081",
            "3c4d5e6f7081 -> 4d5e6f708192",
            "4d5e6f708192 -> 5e6f708192a3",
        ] {
            assert!(err.contains(step), "{d}: {step}\n{err}");
        }
        assert!(
            !err.contains("-> 2b3c4d5e6f70"),
            "{d}: Alembic's part ran again\n{err}"
        );

        let got = schema(&mut c, "alembic_version").unwrap();
        let want = schema(&mut f, "alembic_version").unwrap();
        assert_eq!(
            got.diff(&want),
            Vec::<String>::new(),
            "{d}: ours\n{got}\nAlembic's\n{want}"
        );
        assert_eq!(rows(half), rows(full), "{d}");
        assert_eq!(rows(half).len(), 3, "{d}");
        // The database real Alembic finished is at head for us too.
        let (ok, err) = migrate(&dir, &["--url", &full.url, "upgrade", "head"]);
        assert!(ok && !err.contains("Running upgrade"), "{d}: {err}");
    }
}
