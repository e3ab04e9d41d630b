//! Throwaway databases for tests.

use crate::db::conn::AnyConnection;
use crate::db::url;
use crate::dialect::Dialect;
use crate::error::{Error, Result};

/// A database created for one test on a PostgreSQL or MySQL server, dropped when
/// this value is dropped. For SQLite, a temporary file is used.
pub struct TempDatabase {
    url: String,
    admin: Option<(String, String, Dialect)>,
    _dir: Option<std::path::PathBuf>,
}

impl TempDatabase {
    /// Creates a database with a unique name on the server of `server_url`
    /// (e.g. `postgres://postgres@127.0.0.1/test`), or a fresh SQLite file when
    /// `server_url` is a SQLite URL.
    pub fn create(server_url: &str) -> Result<Self> {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!("migrate_test_{}_{n}_{nanos}", std::process::id());
        let target = url::parse(server_url, std::path::Path::new("/"))?;
        let dialect = target.dialect();
        if dialect == Dialect::Sqlite {
            let dir = std::env::temp_dir().join(&name);
            std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
                context: format!("cannot create {}", dir.display()),
                source: e,
            })?;
            return Ok(TempDatabase {
                url: format!("sqlite:///{}/test.db", dir.display()),
                admin: None,
                _dir: Some(dir),
            });
        }
        let mut admin = AnyConnection::establish(server_url)?;
        admin.execute(&format!("CREATE DATABASE {}", dialect.quote_ident(&name)))?;
        let (base, query) = match server_url.split_once('?') {
            Some((b, q)) => (b, format!("?{q}")),
            None => (server_url, String::new()),
        };
        let scheme_end = base.find("://").map_or(0, |i| i + 3);
        let host_end = base[scheme_end..]
            .find('/')
            .map_or(base.len(), |i| scheme_end + i);
        let url = format!("{}/{name}{query}", &base[..host_end]);
        Ok(TempDatabase {
            url,
            admin: Some((server_url.to_owned(), name, dialect)),
            _dir: None,
        })
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        if let Some((admin, name, dialect)) = &self.admin {
            if let Ok(mut c) = AnyConnection::establish(admin) {
                let force = if *dialect == Dialect::Postgres {
                    " WITH (FORCE)"
                } else {
                    ""
                };
                let _ = c.execute(&format!(
                    "DROP DATABASE IF EXISTS {}{force}",
                    dialect.quote_ident(name)
                ));
            }
        }
        if let Some(dir) = &self._dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
