//! Connection URLs, with the meanings Python users carry over from SQLAlchemy.

use std::path::{Path, PathBuf};

use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite database in memory.
    SqliteMemory,
    /// A SQLite database file (absolute path).
    SqliteFile(PathBuf),
    /// A PostgreSQL URL as libpq takes it.
    Postgres(String),
    /// A MySQL URL as libmysqlclient takes it.
    Mysql(String),
}

impl Target {
    /// The dialect of the target.
    pub fn dialect(&self) -> Dialect {
        match self {
            Target::SqliteMemory | Target::SqliteFile(_) => Dialect::Sqlite,
            Target::Postgres(_) => Dialect::Postgres,
            Target::Mysql(_) => Dialect::Mysql,
        }
    }
}

/// The dialect a URL names, for offline scripts: only the scheme is read, so
/// a URL that does not parse still names one (a bare path is SQLite).
#[cfg(feature = "cli")]
pub(crate) fn dialect_of(url: &str) -> Dialect {
    parse(url, Path::new("/")).map_or_else(
        |_| {
            if url.starts_with("postgres") {
                Dialect::Postgres
            } else if url.starts_with("mysql") || url.starts_with("mariadb") {
                Dialect::Mysql
            } else {
                Dialect::Sqlite
            }
        },
        |t| t.dialect(),
    )
}

/// Hides the password of a URL for messages: `postgres://u:***@h/db`, and a
/// `password=` query parameter.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    // The user information ends at the last `@` before the path: a password may
    // itself hold an unencoded `@`.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let mut out = url[..scheme_end + 3].to_owned();
    let mut tail = rest;
    if let Some(at) = rest[..authority_end].rfind('@') {
        let userinfo = &rest[..at];
        match userinfo.find(':') {
            Some(colon) => out.push_str(&format!("{}:***", &userinfo[..colon])),
            None => out.push_str(userinfo),
        }
        tail = &rest[at..];
    }
    match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => p.to_owned(),
                })
                .collect();
            out.push_str(&format!("{path}?{}", params.join("&")));
        }
        None => out.push_str(tail),
    }
    out
}

/// Parses a database URL; relative SQLite paths are resolved against `cwd`.
///
/// - a bare path (`app.db`, `./data/app.db`, `/abs/app.db`) is a SQLite file;
/// - `sqlite:///relative/app.db`, `sqlite:////absolute/app.db`: SQLAlchemy's forms;
/// - `sqlite://`, `sqlite:///:memory:`, `sqlite::memory:`, `:memory:`: in memory;
/// - `postgres://`, `postgresql://`, `mysql://`, `mariadb://`;
/// - a driver suffix (`sqlite+aiosqlite`, `postgresql+asyncpg`, `mysql+pymysql`) is ignored.
///
/// A SQLite file whose directory does not exist is an error showing the absolute path.
pub fn parse(url: &str, cwd: &Path) -> Result<Target> {
    let invalid = |reason: &str| Error::InvalidUrl {
        url: redact(url),
        reason: reason.to_owned(),
    };
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid("the URL is empty"));
    }
    if url == ":memory:" || url == "sqlite::memory:" {
        return Ok(Target::SqliteMemory);
    }
    let Some(scheme_end) = url.find("://") else {
        if let Some(path) = url.strip_prefix("sqlite:") {
            return sqlite_file(path, url, cwd);
        }
        if url.contains(':') && !url.starts_with('/') && !url.starts_with('.') {
            let scheme = &url[..url.find(':').unwrap_or(0)];
            if matches!(scheme, "postgres" | "postgresql" | "mysql" | "mariadb") {
                return Err(invalid("expected `://` after the scheme"));
            }
        }
        return sqlite_file(url, url, cwd);
    };
    let scheme = url[..scheme_end].to_ascii_lowercase();
    let rest = &url[scheme_end + 3..];
    let base_scheme = scheme.split('+').next().unwrap_or("");
    match base_scheme {
        "sqlite" => {
            // SQLAlchemy: sqlite:// is memory; sqlite:///x is relative x; sqlite:////x is /x.
            let rest = rest.split('?').next().unwrap_or("");
            if rest.is_empty() {
                return Ok(Target::SqliteMemory);
            }
            let Some(path) = rest.strip_prefix('/') else {
                return Err(invalid(&format!(
                    "a SQLite URL has three slashes before a relative path and four before an absolute one: did you mean sqlite:///{rest}?"
                )));
            };
            if path.is_empty() || path == ":memory:" {
                return Ok(Target::SqliteMemory);
            }
            sqlite_file(path, url, cwd)
        }
        "postgres" | "postgresql" => {
            if rest.is_empty() {
                return Err(invalid("no host or database"));
            }
            Ok(Target::Postgres(format!("postgres://{rest}")))
        }
        "mysql" | "mariadb" => {
            if rest.is_empty() {
                return Err(invalid("no host or database"));
            }
            Ok(Target::Mysql(format!("mysql://{rest}")))
        }
        _ => Err(invalid(&format!(
            "unknown scheme `{scheme}`, expected sqlite, postgresql or mysql"
        ))),
    }
}

fn sqlite_file(path: &str, url: &str, cwd: &Path) -> Result<Target> {
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() {
        return Err(Error::InvalidUrl {
            url: redact(url),
            reason: "no file path".into(),
        });
    }
    let p = Path::new(path);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let abs = normalize(&abs);
    let dir = abs
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("/"));
    if !dir.is_dir() {
        return Err(Error::MissingDirectory {
            path: abs.display().to_string(),
            dir: dir.display().to_string(),
        });
    }
    Ok(Target::SqliteFile(abs))
}

fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlalchemy_sqlite_forms() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path();
        std::fs::create_dir(cwd.join("data")).unwrap();
        assert_eq!(parse("sqlite://", cwd).unwrap(), Target::SqliteMemory);
        assert_eq!(
            parse("sqlite:///:memory:", cwd).unwrap(),
            Target::SqliteMemory
        );
        assert_eq!(parse("sqlite::memory:", cwd).unwrap(), Target::SqliteMemory);
        assert_eq!(
            parse("sqlite:///app.db", cwd).unwrap(),
            Target::SqliteFile(cwd.join("app.db"))
        );
        assert_eq!(
            parse("sqlite:///./data/app.db", cwd).unwrap(),
            Target::SqliteFile(cwd.join("data/app.db"))
        );
        assert_eq!(
            parse("sqlite+aiosqlite:///./app.db", cwd).unwrap(),
            Target::SqliteFile(cwd.join("app.db"))
        );
        let abs = format!("sqlite:///{}", cwd.join("x.db").display());
        assert_eq!(
            parse(&abs, cwd).unwrap(),
            Target::SqliteFile(cwd.join("x.db"))
        );
        assert_eq!(
            parse("app.db", cwd).unwrap(),
            Target::SqliteFile(cwd.join("app.db"))
        );
        assert_eq!(
            parse("sqlite:app.db", cwd).unwrap(),
            Target::SqliteFile(cwd.join("app.db"))
        );
    }

    #[test]
    fn server_urls() {
        let cwd = Path::new("/");
        assert_eq!(
            parse("postgresql+asyncpg://u:p@h/db", cwd).unwrap(),
            Target::Postgres("postgres://u:p@h/db".into())
        );
        assert_eq!(
            parse("postgres://h/db", cwd).unwrap(),
            Target::Postgres("postgres://h/db".into())
        );
        assert_eq!(
            parse("mysql+pymysql://root@h/db", cwd).unwrap(),
            Target::Mysql("mysql://root@h/db".into())
        );
    }

    #[test]
    fn errors() {
        let d = tempfile::tempdir().unwrap();
        match parse("sqlite:///missing/dir/app.db", d.path()) {
            Err(Error::MissingDirectory { path, .. }) => {
                assert!(path.ends_with("missing/dir/app.db") && path.starts_with('/'))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse("oracle://x", d.path()),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            parse("sqlite://app.db", d.path()),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(parse("", d.path()), Err(Error::InvalidUrl { .. })));
        assert!(matches!(
            parse("postgres:/x", d.path()),
            Err(Error::InvalidUrl { .. })
        ));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://h/db?user=u&password=secret"),
            "postgres://h/db?user=u&password=***"
        );
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
    }
}
