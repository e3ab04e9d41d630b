//! `--backup` and `migrate restore`: SQLite copies before a run, and bringing one back.

use std::path::{Path, PathBuf};

use crate::chain::Chain;
use crate::db::conn::AnyConnection;
use crate::db::url;
use crate::error::{Error, Result};
use crate::run::backup;
use crate::run::executor::Migrator;

/// The SQLite file a URL names, for `--backup` and `restore`: anything else is
/// refused before a connection is made.
pub(super) fn sqlite_path(u: &str, what: &str) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        context: "cannot read the current directory".into(),
        source: e,
    })?;
    match url::parse(u, &cwd)? {
        url::Target::SqliteFile(p) | url::Target::SqliteReadOnly(p) => Ok(p),
        url::Target::SqliteMemory => Err(Error::Usage(format!(
            "{what} needs a SQLite database file; this URL is an in-memory database"
        ))),
        _ => Err(Error::Usage(format!(
            "{what} copies SQLite databases only; back up PostgreSQL and MySQL with pg_dump or mysqldump"
        ))),
    }
}

/// `migrate restore BACKUP`: checks that the backup is a sound SQLite database
/// and shows its revision; unless `check_only`, backs up the current database
/// (so the restore can be undone) and puts the backup in its place, under the
/// run lock so that no migration runs meanwhile.
pub(super) fn restore(
    chain: &Chain,
    table: &str,
    u: &str,
    from: &Path,
    check_only: bool,
    locks: super::Locks,
) -> Result<i32> {
    let db = sqlite_path(u, "restore")?;
    let from = std::path::absolute(from).map_err(|e| Error::Io {
        context: format!("cannot resolve {}", from.display()),
        source: e,
    })?;
    if !from.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a file: give the path of a backup (ls {}.*.bak)",
            from.display(),
            db.display()
        )));
    }
    if from == db {
        return Err(Error::Usage(format!(
            "{} is the database itself, not a backup of it",
            from.display()
        )));
    }
    let revision = check_backup(chain, table, &from)?;
    eprintln!(
        "{} is a sound SQLite database at revision {revision}",
        from.display()
    );
    if check_only {
        eprintln!("Nothing was changed (--check)");
        return Ok(0);
    }
    if db.exists() {
        let mut conn = AnyConnection::establish_target(&url::Target::SqliteFile(db.clone()), u)?;
        let mut m = super::migrator(chain, table, locks);
        let (saved, wal) = m.locked(&mut conn, |conn| {
            let mode = conn.query_text("SELECT journal_mode AS v FROM pragma_journal_mode")?;
            let wal = mode.first().and_then(|v| v.as_deref()) == Some("wal");
            if wal {
                // Leaving WAL needs the only connection: with another one open
                // it fails, which is the check that nobody else has it open;
                // and it removes this connection's own -wal and -shm.
                conn.execute("PRAGMA journal_mode = DELETE").map_err(|e| {
                    Error::Usage(format!(
                        "another connection has {} open ({e}): stop the service before restoring",
                        db.display()
                    ))
                })?;
            }
            let saved = backup::take(conn, None)?;
            backup::replace_database(&from, &db)?;
            Ok((saved, wal))
        })?;
        drop(conn);
        eprintln!("Saved the database as it was to {}", saved.display());
        if wal {
            // A copy made by VACUUM INTO is in rollback mode: WAL as before.
            let mut restored =
                AnyConnection::establish_target(&url::Target::SqliteFile(db.clone()), u)?;
            restored.execute("PRAGMA journal_mode = WAL")?;
        }
    } else {
        backup::replace_database(&from, &db)?;
    }
    eprintln!("Restored {} from {}", db.display(), from.display());
    Ok(0)
}

/// Opens a backup read-only, checks it, and returns its revision as shown to users.
fn check_backup(chain: &Chain, table: &str, from: &Path) -> Result<String> {
    let shown = from.display().to_string();
    let target = url::Target::SqliteReadOnly(from.to_path_buf());
    let mut conn = AnyConnection::establish_target(&target, &shown)?;
    let bad = |why: String| {
        Error::Usage(format!(
            "{shown} is not a sound SQLite database ({why}); nothing was changed"
        ))
    };
    let check = conn
        .query_text("SELECT quick_check AS v FROM pragma_quick_check")
        .map_err(|e| bad(e.to_string()))?;
    if check.first().and_then(|v| v.as_deref()) != Some("ok") {
        let found: Vec<String> = check.into_iter().flatten().take(3).collect();
        return Err(bad(found.join("; ")));
    }
    let stored = Migrator::new(chain)
        .version_table(table)
        .stored_revision(&mut conn)
        .map_err(|e| bad(e.to_string()))?;
    Ok(match stored {
        None => "<base> (no migration applied)".into(),
        Some(r) if chain.position_of(&r).is_some() => r,
        Some(r) => format!("{r}, which this chain does not know"),
    })
}
