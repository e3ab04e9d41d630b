//! The guide: how to use this crate from an empty crate to production, without
//! reading its source. Every Rust block in it is compiled and run by
//! `cargo test`, and the [operations] page is generated from the SQL snapshot
//! tests, so neither can drift from the code.
//!
//! 1. [getting_started]: from `cargo new` to a first migration applied at start-up.
//! 2. [operations]: every operation of [`crate::ops::Op`], and the SQL it renders on
//!    SQLite, PostgreSQL and MySQL.
//! 3. [data_migrations]: rows as well as schema: `bulk_insert`, `execute`,
//!    `op.run` with diesel, batches.
//! 4. [testing]: `RoundTrip`, `TempDatabase`, `seed_before`/`check_at`,
//!    `models_match`.
//! 5. [deploying]: start-up upgrades, replicas, backups, plans, lint, fleets.
//! 6. [team_workflow]: two branches, one chain; what the ledger guarantees.
//! 7. [recovering]: "Can't locate revision", failed and killed runs.
//! 8. [from_alembic]: Alembic's words here, and moving a project over.

#[doc = include_str!("../guide/getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("../guide/operations.md")]
pub mod operations {}

#[doc = include_str!("../guide/data-migrations.md")]
pub mod data_migrations {}

#[doc = include_str!("../guide/testing.md")]
pub mod testing {}

#[doc = include_str!("../guide/deploying.md")]
pub mod deploying {}

#[doc = include_str!("../guide/team-workflow.md")]
pub mod team_workflow {}

#[doc = include_str!("../guide/recovering.md")]
pub mod recovering {}

#[doc = include_str!("../guide/from-alembic.md")]
pub mod from_alembic {}

/// The operations page from the SQL snapshots: each snapshot's operations
/// and the statements they render per dialect.
#[cfg(test)]
fn operations_page() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sql/snapshots");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("the snapshots directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "snap"))
        .collect();
    names.sort();
    let mut out = String::from(OPERATIONS_INTRO);
    for p in names {
        let text = std::fs::read_to_string(&p).expect("a snapshot");
        let Some(code) = snapshot_code(&text) else {
            continue;
        };
        let sql = text.splitn(3, "---\n").nth(2).unwrap_or("").trim();
        let title = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .rsplit("__")
            .next()
            .unwrap_or("")
            .replace('_', " ");
        out.push_str(&format!(
            "\n## {title}\n\n```rust,ignore\n{code}\n```\n\n```sql\n{sql}\n```\n"
        ));
    }
    out
}

/// The operations of a snapshot taken with `render_all(|op| { ... })`.
#[cfg(test)]
fn snapshot_code(text: &str) -> Option<String> {
    let line = text.lines().find_map(|l| l.strip_prefix("expression: "))?;
    let quoted = line.strip_prefix('"')?.strip_suffix('"')?;
    let mut s = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next()? {
                'n' => s.push('\n'),
                other => s.push(other),
            },
            (c, false) => s.push(c),
        }
    }
    let body = s
        .strip_prefix("render_all(| op : & mut Op |\n{\n")?
        .strip_suffix("})")?;
    Some(
        body.lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim_end()
            .to_owned(),
    )
}

#[cfg(test)]
const OPERATIONS_INTRO: &str = "# Every operation, and the SQL it renders

Each section below is one of the SQL snapshot tests (`src/sql/tests.rs`): the
operations as a migration writes them, then the statements they render on
SQLite, PostgreSQL and MySQL/MariaDB. This page is generated from those
snapshots and checked by `cargo test` (`GUIDE=overwrite cargo test -p
migrate-runtime --lib guide` writes it again after a snapshot changed), so it
is what the code does.

Where SQLite's `ALTER TABLE` cannot make a change, a single statement cannot
either: the page shows `ERROR: ... needs a table rebuild`, and the executor (and
`upgrade --sql`) rebuilds the table instead (create the new shape, copy the rows,
swap), keeping its indexes, triggers and foreign keys; see the README's SQLite
section. `.default(value)` is a typed literal rendered for each
database; `.server_default(sql)` is SQL written as is (on SQLite an expression is
put in parentheses, as SQLite requires). The full API: [`crate::ops::Op`].
";

#[cfg(test)]
mod tests {
    #[test]
    fn the_operations_page_is_what_the_snapshots_say() {
        let page = super::operations_page();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("guide/operations.md");
        if std::env::var_os("GUIDE").is_some_and(|v| v == "overwrite") {
            std::fs::write(&path, &page).expect("write guide/operations.md");
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == page,
            "guide/operations.md differs from the SQL snapshots: run `GUIDE=overwrite cargo test -p migrate-runtime --lib guide` and review the diff"
        );
        assert!(page.contains("## add and drop column"), "{page}");
    }
}
