//! `import diesel PATH`: a diesel_migrations directory as migration files.
//!
//! diesel's directory holds one folder per migration, named
//! `<version>_<name>` (diesel's CLI writes `YYYY-MM-DD-HHMMSS_name`; the
//! version is what comes before the first `_`, without its `-`), with `up.sql`,
//! usually `down.sql`, and optionally `metadata.toml`
//! (`run_in_transaction = false`). Each becomes a migration whose revision id
//! is that version, so that the versions diesel recorded in
//! `__diesel_schema_migrations` name revisions of the chain and `upgrade`
//! adopts the database where diesel left it (see `run/diesel.rs`). The SQL is
//! kept as it is, in `op.execute`; `down.sql` becomes the downgrade (without
//! one the migration is `irreversible`). diesel's own
//! `00000000000000_diesel_initial_setup`, which its CLI writes for PostgreSQL
//! only (PL/pgSQL functions), runs on PostgreSQL only.

use std::path::{Path, PathBuf};

use super::revision::{disk_chain, write_file, MigrationFile};
use crate::chain::Chain;
use crate::error::{Error, Result};

/// One diesel migration, as read from its folder.
#[derive(Debug)]
struct DieselMigration {
    /// The folder's name.
    folder: String,
    /// diesel's version: the revision id.
    version: String,
    /// The name after the version.
    name: String,
    up: String,
    down: Option<String>,
    transactional: bool,
}

/// The folder diesel's CLI writes for PostgreSQL before any migration.
const INITIAL_SETUP: &str = "00000000000000_diesel_initial_setup";

/// What an import wrote.
#[derive(Debug)]
pub(super) struct Imported {
    /// Files written, base to head.
    pub written: Vec<PathBuf>,
    /// diesel migrations already in the directory and left as they were.
    pub kept: usize,
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::Io {
        context: format!("cannot read {}", path.display()),
        source: e,
    })
}

/// Reads diesel's migrations directory, in the order diesel applies it (by
/// version, as strings).
fn read_dir(path: &Path) -> Result<Vec<DieselMigration>> {
    let entries = std::fs::read_dir(path).map_err(|e| Error::Io {
        context: format!(
            "cannot read the diesel migrations directory {}",
            path.display()
        ),
        source: e,
    })?;
    let mut out: Vec<DieselMigration> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io {
            context: format!(
                "cannot read the diesel migrations directory {}",
                path.display()
            ),
            source: e,
        })?;
        let folder = entry.file_name().to_string_lossy().into_owned();
        let dir = entry.path();
        // As diesel: files (a README, .keep) and hidden folders are not migrations.
        if folder.starts_with('.') || !dir.is_dir() {
            continue;
        }
        let up_path = dir.join("up.sql");
        if !up_path.is_file() {
            return Err(Error::Import(format!(
                "{} is not a diesel migration: it has no up.sql",
                dir.display()
            )));
        }
        let (raw_version, name) = folder.split_once('_').unwrap_or((folder.as_str(), ""));
        let version = raw_version.replace('-', "");
        migrate_core::validate_revision_id(&version).map_err(|e| {
            Error::Import(format!(
                "diesel migration {folder} has version `{version}`, which cannot be a revision id: {e}"
            ))
        })?;
        if let Some(other) = out.iter().find(|m| m.version == version) {
            return Err(Error::Import(format!(
                "diesel migrations {} and {folder} have the same version {version}",
                other.folder
            )));
        }
        let down_path = dir.join("down.sql");
        let down = if down_path.is_file() {
            Some(read_text(&down_path)?)
        } else {
            None
        };
        out.push(DieselMigration {
            up: read_text(&up_path)?,
            down,
            transactional: run_in_transaction(&dir.join("metadata.toml"))?,
            version,
            name: name.to_owned(),
            folder,
        });
    }
    out.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(out)
}

/// diesel's `run_in_transaction` for a migration: true without a
/// `metadata.toml`; with one, its `run_in_transaction`, false when the key is
/// missing (diesel reads the file that way).
fn run_in_transaction(path: &Path) -> Result<bool> {
    if !path.is_file() {
        return Ok(true);
    }
    let text = read_text(path)?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        Error::Import(format!("cannot read {}: {}", path.display(), e.message()))
    })?;
    match table.get("run_in_transaction") {
        None => Ok(false),
        Some(toml::Value::Boolean(b)) => Ok(*b),
        Some(_) => Err(Error::Import(format!(
            "{}: run_in_transaction must be true or false",
            path.display()
        ))),
    }
}

/// Whether `sql` holds nothing but blank lines and `--` comments (what
/// diesel's CLI writes into a new migration): no statement to run, and MySQL
/// refuses an empty query.
fn only_comments(sql: &str) -> bool {
    sql.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with("--")
    })
}

/// `sql` as a Rust string literal: raw, with enough `#` that nothing in it
/// ends it early; escaped where it holds a carriage return, which raw strings
/// cannot.
fn literal(sql: &str) -> String {
    if sql.contains('\r') {
        return format!("{sql:?}");
    }
    let mut hashes = 1;
    while sql.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{sql}\"{h}")
}

/// The body of an upgrade or downgrade that runs `sql`.
fn body(sql: &str, file: &str, postgres_only: bool) -> String {
    if only_comments(sql) {
        return format!("    // {file} holds no statement.\n    let _ = op;\n");
    }
    let sql = literal(sql.trim_end());
    if postgres_only {
        format!("    op.execute_per_dialect().postgres({sql});\n")
    } else {
        format!("    op.execute({sql});\n")
    }
}

/// `YYYYMMDDHHMMSS` as `YYYY-MM-DD HH:MM:SS`, diesel's CLI's versions being
/// the time the migration was made; `None` for any other version.
fn version_date(version: &str) -> Option<String> {
    if version.len() != 14
        || !version.bytes().all(|b| b.is_ascii_digit())
        || version.starts_with("0000")
    {
        return None;
    }
    let v = version;
    Some(format!(
        "{}-{}-{} {}:{}:{}",
        &v[..4],
        &v[4..6],
        &v[6..8],
        &v[8..10],
        &v[10..12],
        &v[12..14]
    ))
}

/// Imports the diesel migrations in `from` into the chain's migrations
/// directory. A directory that already holds migrations is written into only
/// when they are this import's first ones (an earlier import of the same
/// diesel directory, which has grown since): the new ones follow them. Those
/// already there are kept, or written again with `force`.
pub(super) fn import_diesel(chain: &Chain, from: &Path, force: bool) -> Result<Imported> {
    if chain.directory().is_empty() {
        return Err(Error::Usage(
            "this chain was not compiled from a migrations directory".into(),
        ));
    }
    let dir = Path::new(chain.directory());
    let diesel = read_dir(from)?;
    if diesel.is_empty() {
        return Err(Error::Import(format!(
            "{} holds no diesel migration (folders with an up.sql)",
            from.display()
        )));
    }
    let existing = disk_chain(dir)?.ordered;
    // What is there must be the start of this import, in the same order.
    for (i, (rev, file)) in existing.iter().enumerate() {
        match diesel.get(i) {
            Some(m) if &m.version == rev => {}
            Some(m) => {
                return Err(Error::Import(format!(
                    "the migrations directory {} already holds migrations, and they are not this diesel directory's: its number {} is {rev} ({file}) where the import has {} ({}); import into an empty directory",
                    dir.display(),
                    i + 1,
                    m.version,
                    m.folder
                )))
            }
            None => {
                return Err(Error::Import(format!(
                    "the migrations directory {} holds {} migrations, more than the {} of {}: {rev} ({file}) and what follows it are not this diesel directory's",
                    dir.display(),
                    existing.len(),
                    diesel.len(),
                    from.display()
                )))
            }
        }
    }
    let mut written = Vec::new();
    let mut kept = 0;
    let date_now = crate::clock::date_time();
    for (i, m) in diesel.iter().enumerate() {
        let there = existing.get(i).map(|(_, file)| dir.join(file));
        if there.is_some() && !force {
            kept += 1;
            continue;
        }
        let slug = migrate_core::slugify(&m.name);
        let path = there.unwrap_or_else(|| {
            dir.join(if slug.is_empty() {
                format!("{}.rs", m.version)
            } else {
                format!("{}_{slug}.rs", m.version)
            })
        });
        let postgres_only = m.folder == INITIAL_SETUP;
        let message = if m.name.is_empty() {
            m.version.replace('_', " ")
        } else {
            m.name.replace('_', " ")
        };
        let date = version_date(&m.version).unwrap_or_else(|| date_now.clone());
        let mut notes = vec![
            String::new(),
            format!(
                "Imported from the diesel migration {} ({}).",
                m.folder,
                if m.down.is_some() {
                    "up.sql, down.sql"
                } else {
                    "up.sql; no down.sql"
                }
            ),
        ];
        if postgres_only {
            notes.push(
                "diesel's CLI writes this one for PostgreSQL only: it runs there alone.".into(),
            );
        }
        let file = MigrationFile {
            revision: &m.version,
            down_revision: i.checked_sub(1).map(|p| diesel[p].version.as_str()),
            message: &message,
            create_date: &date,
            notes: &notes,
            transactional: m.transactional,
            upgrade: body(&m.up, "up.sql", postgres_only),
            downgrade: m
                .down
                .as_deref()
                .map(|d| body(d, "down.sql", postgres_only)),
        };
        write_file(&path, &file, force)?;
        written.push(path);
    }
    Ok(Imported { written, kept })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_hold_any_sql() {
        assert_eq!(literal("SELECT 1"), "r#\"SELECT 1\"#");
        assert_eq!(literal("SELECT '\"#'"), "r##\"SELECT '\"#'\"##");
        assert_eq!(literal("a\r\nb"), "\"a\\r\\nb\"");
    }

    #[test]
    fn versions_dates_and_comments() {
        assert_eq!(
            version_date("20240131120501").as_deref(),
            Some("2024-01-31 12:05:01")
        );
        assert_eq!(version_date("00000000000000"), None);
        assert_eq!(version_date("2024"), None);
        assert!(only_comments("-- Your SQL goes here\n\n"));
        assert!(!only_comments("-- users\nCREATE TABLE users (id INT);"));
    }

    #[test]
    fn a_folder_without_up_sql_or_with_a_bad_version_is_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("2024-01-01-000000_x")).unwrap();
        let e = read_dir(d.path()).unwrap_err().to_string();
        assert!(e.contains("has no up.sql"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let bad = d.path().join("2024.01_x");
        std::fs::create_dir(&bad).unwrap();
        std::fs::write(bad.join("up.sql"), "SELECT 1;").unwrap();
        let e = read_dir(d.path()).unwrap_err().to_string();
        assert!(e.contains("cannot be a revision id"), "{e}");
    }
}
