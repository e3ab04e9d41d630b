//! Copies of a SQLite database taken before a migration run changes it, and
//! bringing one back.
//!
//! A backup is complete or absent under its final name: it is written to a
//! temporary file beside the database, synced, and only then linked to a name
//! nobody else holds (`<db>.<UTC stamp>.bak`, `-2`, `-3`... on a clash), so a
//! run killed midway or a full disk never leaves a `.bak` that opens empty.

use std::fs;
use std::path::{Path, PathBuf};

use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// The file behind a SQLite connection's `main` database, `None` in memory.
pub(crate) fn sqlite_file(conn: &mut AnyConnection) -> Result<Option<PathBuf>> {
    if conn.dialect() != Dialect::Sqlite {
        return Err(Error::Usage(
            "a backup copies SQLite databases only; back up PostgreSQL and MySQL with pg_dump or mysqldump".into(),
        ));
    }
    let rows = conn.query_text("SELECT file AS v FROM pragma_database_list WHERE name = 'main'")?;
    Ok(rows
        .into_iter()
        .flatten()
        .find(|f| !f.is_empty())
        .map(PathBuf::from))
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// Takes a backup of the database behind `conn` (SQLite) and keeps the newest
/// `keep` backups of it (all when `None`). Returns the new backup's path.
pub(crate) fn take(conn: &mut AnyConnection, keep: Option<usize>) -> Result<PathBuf> {
    let Some(db) = sqlite_file(conn)? else {
        return Err(Error::Usage(
            "an in-memory SQLite database has no file to back up".into(),
        ));
    };
    let stamp = crate::clock::backup_stamp();
    let path = write_atomically(&db, &stamp, |tmp| {
        let quoted = Dialect::Sqlite.quote_str(&tmp.to_string_lossy());
        // VACUUM INTO is a consistent snapshot even while others write.
        conn.execute(&format!("VACUUM INTO {quoted}"))
    })?;
    if let Some(n) = keep {
        // Never the one just taken, whatever a caller passes.
        prune(&db, n.max(1))?;
    }
    Ok(path)
}

/// The backup a run takes before its first change: none when the database
/// holds nothing but the version table and its ledger (a new file, which the
/// run has just given them), since there is nothing to lose.
pub(crate) fn before_changes(
    conn: &mut AnyConnection,
    keep: Option<usize>,
    version_table: &str,
) -> Result<Option<PathBuf>> {
    sqlite_file(conn)?;
    let d = Dialect::Sqlite;
    let objects = conn.query_text(&format!(
        "SELECT CAST(count(*) AS TEXT) AS v FROM sqlite_master \
         WHERE tbl_name NOT IN ({}, {}) AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        d.quote_str(version_table),
        d.quote_str(&crate::sql::version::ledger_table(version_table))
    ))?;
    if objects.first().and_then(|v| v.as_deref()) == Some("0") {
        return Ok(None);
    }
    take(conn, keep).map(Some)
}

/// Writes a new backup of `db` through `write` (which fills the temporary
/// path it is given), syncs it, and links it under the first free name.
fn write_atomically(
    db: &Path,
    stamp: &str,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let base = db.to_string_lossy().into_owned();
    // Unique within the process too: two migrators may back up one file.
    static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = PathBuf::from(format!(
        "{base}.{stamp}.{}-{serial}.partial",
        std::process::id()
    ));
    // A leftover of an earlier process with the same id: it is no backup.
    match fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io(format!("cannot remove {}", tmp.display()))(e))
        }
        _ => {}
    }
    let written = write(&tmp).and_then(|()| {
        // The copy is as private as the database (VACUUM INTO makes it 0644).
        let same_mode = match fs::metadata(db) {
            Ok(m) => fs::set_permissions(&tmp, m.permissions()),
            Err(_) => Ok(()),
        };
        same_mode
            .and_then(|()| fs::File::open(&tmp))
            .and_then(|f| f.sync_all())
            .map_err(io(format!("cannot sync the backup {}", tmp.display())))
    });
    if let Err(e) = written {
        // The partial copy goes; a failure to remove it is reported beside the cause.
        return Err(match fs::remove_file(&tmp) {
            Err(r) if r.kind() != std::io::ErrorKind::NotFound => Error::Cleanup {
                source: Box::new(e),
                cleanup: Box::new(io(format!("cannot remove {}", tmp.display()))(r)),
            },
            _ => e,
        });
    }
    let mut n = 1;
    let path = loop {
        let name = if n == 1 {
            PathBuf::from(format!("{base}.{stamp}.bak"))
        } else {
            PathBuf::from(format!("{base}.{stamp}-{n}.bak"))
        };
        // A hard link fails when the name is taken, where a rename would replace it.
        match fs::hard_link(&tmp, &name) {
            Ok(()) => {
                fs::remove_file(&tmp).map_err(io(format!("cannot remove {}", tmp.display())))?;
                break name;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => n += 1,
            // A file system without hard links (vfat, some network mounts):
            // a rename, only onto a name nobody holds.
            Err(_) if !name.exists() => {
                fs::rename(&tmp, &name)
                    .map_err(io(format!("cannot name the backup {}", name.display())))?;
                break name;
            }
            Err(e) if n < 1000 && name.exists() => {
                drop(e);
                n += 1;
            }
            Err(e) => {
                let failed = io(format!("cannot name the backup {}", name.display()))(e);
                return Err(match fs::remove_file(&tmp) {
                    Ok(()) => failed,
                    Err(r) => {
                        Error::cleanup(failed, io(format!("cannot remove {}", tmp.display()))(r))
                    }
                });
            }
        }
    };
    sync_dir(db)?;
    Ok(path)
}

/// Makes the directory entry of a new file durable.
fn sync_dir(db: &Path) -> Result<()> {
    let dir = db.parent().unwrap_or(Path::new("."));
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("cannot sync the directory {}", dir.display())))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The backups of `db` in its directory, oldest first.
pub(crate) fn list(db: &Path) -> Result<Vec<PathBuf>> {
    let dir = db.parent().unwrap_or(Path::new("."));
    let Some(name) = db.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok(Vec::new());
    };
    let prefix = format!("{name}.");
    let mut found: Vec<((String, u32), PathBuf)> = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(format!("cannot list {}", dir.display())))? {
        let entry = entry.map_err(io(format!("cannot list {}", dir.display())))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(key) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".bak"))
            .and_then(parse_key)
        else {
            continue;
        };
        found.push((key, entry.path()));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
}

/// `20261202T041500.123Z` or `20261202T041500.123Z-2`: the stamp and the
/// clash number, so that backups sort by when they were taken.
fn parse_key(s: &str) -> Option<(String, u32)> {
    let (stamp, n) = match s.split_once('-') {
        Some((st, n)) => (st, n.parse().ok()?),
        None => (s, 1),
    };
    let ok = stamp.len() == 20
        && stamp.ends_with('Z')
        && stamp.as_bytes()[8] == b'T'
        && stamp.as_bytes()[15] == b'.';
    ok.then(|| (stamp.to_owned(), n))
}

/// Removes all but the newest `keep` backups of `db`.
fn prune(db: &Path, keep: usize) -> Result<()> {
    let all = list(db)?;
    let extra = all.len().saturating_sub(keep);
    for old in &all[..extra] {
        fs::remove_file(old).map_err(io(format!("cannot prune {}", old.display())))?;
    }
    Ok(())
}

#[cfg(feature = "cli")]
/// Replaces the SQLite database `db` with the backup `from`, which must be a
/// sound SQLite database (checked by the caller). The copy goes to a temporary
/// file beside `db` and is renamed over it once synced, so `db` is the old or
/// the new database, never a mix. Refuses while a journal or WAL file shows a
/// connection or an interrupted write on `db`.
pub(crate) fn replace_database(from: &Path, db: &Path) -> Result<()> {
    // A WAL database that anyone has open has a -wal and a -shm file, empty or
    // not: a restore under it would be overlaid with the old pages. An
    // interrupted write leaves a -journal. (An idle connection in rollback
    // mode leaves nothing to see: hence "stop the service" in the docs.)
    for suffix in ["-journal", "-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", db.display()));
        if side.exists() {
            return Err(Error::Usage(format!(
                "{} exists: a connection is open on the database or a write was interrupted; stop the service (and open the database once if it crashed) before restoring",
                side.display()
            )));
        }
    }
    let mode = fs::metadata(db).ok().map(|m| m.permissions());
    let tmp = PathBuf::from(format!(
        "{}.restore.{}.partial",
        db.display(),
        std::process::id()
    ));
    let copied = fs::copy(from, &tmp)
        .and_then(|_| match mode {
            // The database keeps its own permissions, not the backup's.
            Some(m) => fs::set_permissions(&tmp, m),
            None => Ok(()),
        })
        .and_then(|()| fs::File::open(&tmp).and_then(|f| f.sync_all()))
        .map_err(io(format!(
            "cannot copy {} to {}",
            from.display(),
            tmp.display()
        )));
    if let Err(e) = copied {
        return Err(match fs::remove_file(&tmp) {
            Err(r) if r.kind() != std::io::ErrorKind::NotFound => {
                Error::cleanup(e, io(format!("cannot remove {}", tmp.display()))(r))
            }
            _ => e,
        });
    }
    fs::rename(&tmp, db).map_err(io(format!(
        "cannot move {} to {}",
        tmp.display(),
        db.display()
    )))?;
    sync_dir(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_no_backup_and_no_partial_file() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("app.db");
        fs::write(&db, b"x").unwrap();
        let e = write_atomically(&db, "20261202T041500.123Z", |tmp| {
            fs::write(tmp, b"half a database").unwrap();
            Err(Error::Usage("disk full".into()))
        })
        .unwrap_err();
        assert!(e.to_string().contains("disk full"), "{e}");
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["app.db"]);
    }

    #[test]
    fn names_never_collide_and_pruning_keeps_the_newest() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("app.db");
        fs::write(&db, b"x").unwrap();
        let stamp = "20261202T041500.123Z";
        let mut made = Vec::new();
        for i in 0..3 {
            made.push(
                write_atomically(&db, stamp, |tmp| {
                    fs::write(tmp, format!("copy {i}")).map_err(io("w".into()))
                })
                .unwrap(),
            );
        }
        let names: Vec<String> = made
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "app.db.20261202T041500.123Z.bak",
                "app.db.20261202T041500.123Z-2.bak",
                "app.db.20261202T041500.123Z-3.bak"
            ]
        );
        // Each holds its own copy: nothing was overwritten.
        assert_eq!(fs::read_to_string(&made[0]).unwrap(), "copy 0");
        assert_eq!(fs::read_to_string(&made[2]).unwrap(), "copy 2");
        let older = write_atomically(&db, "20261201T000000.000Z", |tmp| {
            fs::write(tmp, "older").map_err(io("w".into()))
        })
        .unwrap();
        // Other files beside the database are never taken for backups.
        fs::write(d.path().join("app.db.notes.bak"), "mine").unwrap();
        fs::write(d.path().join("app.db.20261202T041500.123Z.1.partial"), "").unwrap();
        assert_eq!(list(&db).unwrap()[0], older);
        prune(&db, 2).unwrap();
        assert_eq!(list(&db).unwrap(), made[1..]);
        assert!(d.path().join("app.db.notes.bak").exists());
    }
}
