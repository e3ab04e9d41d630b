//! `upgrade --backup`: a consistent copy of a SQLite database before it changes.

use std::path::PathBuf;

use crate::db::conn::AnyConnection;
use crate::db::url;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// Copies a SQLite database with `VACUUM INTO`, a consistent snapshot even while
/// other connections write, to `<db>.<UTC timestamp>.bak`. Returns its path.
pub(super) fn backup_sqlite(u: &str) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        context: "cannot read the current directory".into(),
        source: e,
    })?;
    let target = url::parse(u, &cwd)?;
    let (url::Target::SqliteFile(path) | url::Target::SqliteReadOnly(path)) = &target else {
        return Err(Error::Usage(
            "--backup copies SQLite databases only; back up PostgreSQL and MySQL with pg_dump or mysqldump".into(),
        ));
    };
    if !path.exists() {
        return Err(Error::Usage(format!(
            "--backup: {} does not exist yet, there is nothing to back up",
            path.display()
        )));
    }
    let backup = PathBuf::from(format!(
        "{}.{}.bak",
        path.display(),
        crate::clock::compact_stamp()
    ));
    let mut conn = AnyConnection::establish_target(&target, u)?;
    let quoted = Dialect::Sqlite.quote_str(&backup.to_string_lossy());
    conn.execute(&format!("VACUUM INTO {quoted}"))?;
    Ok(backup)
}
