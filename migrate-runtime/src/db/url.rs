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
    /// A SQLite database file opened read-only (`?mode=ro`).
    SqliteReadOnly(PathBuf),
    /// A PostgreSQL URL as libpq takes it.
    Postgres(String),
    /// A MySQL URL as libmysqlclient takes it.
    Mysql(String),
}

impl Target {
    /// The dialect of the target.
    pub fn dialect(&self) -> Dialect {
        match self {
            Target::SqliteMemory | Target::SqliteFile(_) | Target::SqliteReadOnly(_) => {
                Dialect::Sqlite
            }
            Target::Postgres(_) => Dialect::Postgres,
            Target::Mysql(_) => Dialect::Mysql,
        }
    }
}

/// The SQLite file `url` names, when it does not exist yet (connecting would
/// create it): what the `migrate` command and start-up upgrades announce. A
/// URL that does not parse is left to the connection, which reports it.
pub(crate) fn missing_sqlite_file(url: &str) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    match parse(url, &cwd) {
        Ok(Target::SqliteFile(p)) if !p.exists() => Some(p),
        _ => None,
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

/// The user information of a server URL (`user:password` before the host)
/// and what follows it. A password may hold an unencoded `@`, `:`, `/` or `?`,
/// so the user information ends at the last `@`, unless that `@` lies in a
/// query parameter's value (`?password=a@b`): then at the last `@` before the
/// query. The URL handed to the driver has its user information encoded, so
/// the driver reads this same split.
fn split_userinfo(rest: &str) -> Option<(&str, &str)> {
    let last = rest.rfind('@')?;
    let in_query = rest[..last]
        .rfind('?')
        .is_some_and(|q| rest[q..last].contains('='));
    let at = if in_query {
        let q = rest[..last].find('?').unwrap_or(last);
        rest[..q].rfind('@')?
    } else {
        last
    };
    Some((&rest[..at], &rest[at + 1..]))
}

/// Whether libpq would read user information where [`split_userinfo`] reads
/// none or less (`postgres://:pw?=@host/db`: libpq ends it at the first `@`
/// before a `/`). Such a URL is refused: nobody can tell where its password ends.
fn ambiguous_userinfo(rest: &str) -> bool {
    let first_slash = rest.find('/').unwrap_or(rest.len());
    let Some(libpq_at) = rest[..first_slash].find('@') else {
        return false;
    };
    split_userinfo(rest).is_none_or(|(u, _)| u.len() < libpq_at)
}

/// Whether what follows the user information starts with host names a
/// driver reads as such: `host`, `host:port`, `[v6]:port`, a comma-separated
/// list of them (libpq), percent-escapes (a socket directory), or nothing. Any
/// other text there is most likely part of a password that was not encoded,
/// which a driver would quote back in its error: such a URL is refused.
fn plain_hosts(after: &str) -> bool {
    let end = after.find(['/', '?']).unwrap_or(after.len());
    after[..end].split(',').all(|h| {
        let (host, port) = match h.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((addr, rest)) => {
                    if !addr
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || ":.%".contains(c))
                    {
                        return false;
                    }
                    ("", rest.strip_prefix(':').unwrap_or(rest))
                }
                None => return false,
            },
            None => h.split_once(':').unwrap_or((h, "")),
        };
        host.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-%".contains(c))
            && port.chars().all(|c| c.is_ascii_digit())
    })
}

/// Every keyword libpq knows: a connection string with any other (a stray
/// fragment of an unquoted password, say) is refused before it reaches libpq,
/// which would quote it back.
const LIBPQ_KEYS: [&str; 42] = [
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "require_auth",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslcertmode",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "sslnegotiation",
];

/// One `key = value` of a libpq connection string: the key, the value as libpq
/// reads it (quotes and backslash escapes undone), and the byte range of the
/// value as written.
struct Pair {
    key: String,
    value: String,
    raw: std::ops::Range<usize>,
}

/// Reads a libpq keyword/value string the way libpq does: spaces may surround
/// `=`, a value is single-quoted (with `\'` and `\\`) or runs to the next space.
/// `None` when it is not one.
fn conninfo_pairs(s: &str) -> Option<Vec<Pair>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        let k0 = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let key = s[k0..i].to_owned();
        if !LIBPQ_KEYS.contains(&key.as_str()) {
            return None;
        }
        skip_ws(&mut i);
        if b.get(i) != Some(&b'=') {
            return None;
        }
        i += 1;
        skip_ws(&mut i);
        let v0 = i;
        let mut value = Vec::new();
        if b.get(i) == Some(&b'\'') {
            i += 1;
            loop {
                match b.get(i) {
                    None => return None,
                    Some(b'\\') if i + 1 < b.len() => {
                        value.push(b[i + 1]);
                        i += 2;
                    }
                    Some(b'\'') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < b.len() && !b[i].is_ascii_whitespace() {
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                }
                value.push(b[i]);
                i += 1;
            }
        }
        out.push(Pair {
            key,
            value: String::from_utf8_lossy(&value).into_owned(),
            raw: v0..i,
        });
    }
    Some(out)
}

/// Whether a string is a libpq keyword/value connection string
/// (`host=db user=app password=...`) rather than a URL or a path: it reads as
/// one and its first keyword is libpq's.
fn is_conninfo(s: &str) -> bool {
    // Decided by its start alone: a connection string with a mistake further
    // on is still one (and refused), never a file name holding its password.
    let s = s.trim_start();
    let key_end = s
        .find(|c: char| c == '=' || c.is_whitespace())
        .unwrap_or(s.len());
    LIBPQ_KEYS.contains(&&s[..key_end]) && s[key_end..].trim_start().starts_with('=')
}

/// The password a URL or connection string holds, as written and decoded.
fn passwords(url: &str) -> Vec<String> {
    // As `parse` reads it: without the spaces around it.
    let url = url.trim();
    let mut out = Vec::new();
    if is_conninfo(url) {
        match conninfo_pairs(url) {
            Some(pairs) => {
                for p in pairs {
                    if p.key == "password" {
                        // As libpq reads it, and as written (quoted, escaped).
                        out.push(url[p.raw.clone()].to_owned());
                        out.push(p.value);
                    }
                }
            }
            // Unreadable: all after `password` is taken for it.
            None => {
                if let Some(i) = url.find("password") {
                    let rest = url[i + "password".len()..].trim_start();
                    let rest = rest.strip_prefix('=').unwrap_or(rest).trim_start();
                    out.push(rest.to_owned());
                    out.extend(rest.split_whitespace().map(str::to_owned));
                }
            }
        }
    } else if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let mut tail = rest;
        if let Some((userinfo, after)) = split_userinfo(rest) {
            if let Some((_, pass)) = userinfo.split_once(':') {
                out.push(pass.to_owned());
            }
            tail = after;
        }
        // Other readings' passwords: up to the last `@`, and, where libpq
        // would read it so, up to the first (refused before connecting, but
        // still hidden in the refusal).
        let first = rest.find('@').filter(|_| ambiguous_userinfo(rest));
        for end in [first, rest.rfind('@')].into_iter().flatten() {
            if let Some((_, pass)) = rest[..end].split_once(':') {
                out.push(pass.to_owned());
            }
        }

        if let Some((_, query)) = tail.split_once('?') {
            for p in query.split('&') {
                if let Some((k, v)) = p.split_once('=') {
                    if k.eq_ignore_ascii_case("password") {
                        out.push(v.to_owned());
                    }
                }
            }
        }
    }
    // As written, as decoded, and as encoded for the driver (which may quote it).
    let decoded: Vec<String> = out.iter().map(|p| percent_decode(p)).collect();
    let encoded: Vec<String> = out.iter().map(|p| encode_userinfo(p)).collect();
    out.extend(decoded);
    out.extend(encoded);
    out.retain(|p| !p.is_empty());
    out.sort_by_key(|p| std::cmp::Reverse(p.len()));
    out.dedup();
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes what a URL's user information must not hold unencoded, so
/// that libpq and libmysqlclient read the user and password that were meant.
/// An escape already there (`%40`) is kept.
fn encode_userinfo(part: &str) -> String {
    let b = part.as_bytes();
    let mut out = String::with_capacity(part.len());
    for (i, &c) in b.iter().enumerate() {
        let escape = c == b'%'
            && b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        match c {
            b'%' if escape => out.push('%'),
            // Reserved characters, and every byte outside printable ASCII (a
            // UTF-8 character's bytes, tabs): each as its escape.
            b'@' | b':' | b'/' | b'?' | b'#' | b'%' | b' ' | b'[' | b']' | b'&' | b'=' | b',' => {
                out.push_str(&format!("%{c:02X}"))
            }
            c if !c.is_ascii_graphic() => out.push_str(&format!("%{c:02X}")),
            _ => out.push(c as char),
        }
    }
    out
}

/// Replaces the password of `url` wherever it appears in `message` (a driver's
/// error can quote the URL, or the part of it it misread).
pub fn scrub(message: &str, url: &str) -> String {
    let mut out = message.to_owned();
    for p in passwords(url) {
        out = out.replace(&p, "***");
    }
    out
}

/// Hides the password of a URL for messages: `postgres://u:***@h/db`, a
/// `password=` query parameter, and the `password=` of a libpq connection string.
pub fn redact(url: &str) -> String {
    if is_conninfo(url) {
        if conninfo_pairs(url).is_none() {
            return "(a libpq connection string that cannot be read; not shown)".into();
        }
        let mut out = url.to_owned();
        // From the end, so that the earlier ranges stay where they are.
        for p in conninfo_pairs(url).unwrap_or_default().iter().rev() {
            if p.key == "password" {
                out.replace_range(p.raw.clone(), "***");
            }
        }
        return scrub(&out, url);
    }
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let rest = &url[scheme_end + 3..];
    if ambiguous_userinfo(rest) {
        return format!("{}***", &url[..scheme_end + 3]);
    }
    let mut out = url[..scheme_end + 3].to_owned();
    let mut tail = rest;
    let mut shown_userinfo = 0;
    if let Some((userinfo, after)) = split_userinfo(rest) {
        let part = match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@"),
            None => format!("{userinfo}@"),
        };
        shown_userinfo = part.len();
        out.push_str(&part);
        tail = after;
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
    // An `@` still there (outside a masked password value) means another
    // reading could take more for the user information: hide all before it.
    let start = scheme_end + 3;
    if let Some(last) = out[start..].rfind('@') {
        if last + 1 > shown_userinfo {
            out = format!("{}***{}", &out[..start], &out[start + last..]);
        }
    }
    // Whatever the shape, no form of the password survives.
    scrub(&out, url)
}

/// A server URL's `user:password@` encoded (see [`encode_userinfo`]).
fn server_url(scheme: &str, rest: &str) -> String {
    match split_userinfo(rest) {
        Some((userinfo, after)) => {
            let (user, pass) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            let mut s = format!("{scheme}://{}", encode_userinfo(user));
            if let Some(p) = pass {
                s.push(':');
                s.push_str(&encode_userinfo(p));
            }
            s.push('@');
            s.push_str(after);
            s
        }
        None => format!("{scheme}://{rest}"),
    }
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
    // libpq also takes `host=... user=... password=...`: it is PostgreSQL, not a file name.
    if is_conninfo(url) {
        if conninfo_pairs(url).is_none() {
            return Err(invalid(
                "it starts as a libpq connection string but is not one: each setting is key=value, a value with spaces is 'quoted'",
            ));
        }
        return Ok(Target::Postgres(url.to_owned()));
    }
    let Some(scheme_end) = url.find("://") else {
        if let Some(path) = url.strip_prefix("sqlite:") {
            if path.starts_with('/') {
                return Err(invalid(&format!(
                    "write sqlite:///relative.db or sqlite:////absolute.db (three or four slashes); did you mean sqlite:///{}?",
                    path.trim_start_matches('/')
                )));
            }
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
    if !scheme.starts_with("sqlite") {
        let after = split_userinfo(rest).map_or(rest, |(_, a)| a);
        // An `@` left before the path means part of a password landed in the
        // host or query, where a driver would quote it back.
        let stray_at = after[..after.find('/').unwrap_or(after.len())].contains('@');
        if ambiguous_userinfo(rest) || stray_at || !plain_hosts(after) {
            return Err(invalid(
                "it is unclear where its user and password end and its host begins: percent-encode `@` as %40, `?` as %3F, `/` as %2F and `:` as %3A in the password",
            ));
        }
    }
    let base_scheme = scheme.split('+').next().unwrap_or("");
    match base_scheme {
        "sqlite" => {
            // SQLAlchemy: sqlite:// is memory; sqlite:///x is relative x; sqlite:////x is /x.
            let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
            let read_only = sqlite_options(query).map_err(|r| invalid(&r))?;
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
            match sqlite_file(path, url, cwd)? {
                Target::SqliteFile(p) if read_only => Ok(Target::SqliteReadOnly(p)),
                t => Ok(t),
            }
        }
        "postgres" | "postgresql" => {
            if rest.is_empty() {
                return Err(invalid("no host or database"));
            }
            Ok(Target::Postgres(server_url("postgres", rest)))
        }
        "mysql" | "mariadb" => {
            if rest.is_empty() {
                return Err(invalid("no host or database"));
            }
            // Without a database MySQL has nowhere to put the version table.
            let after = split_userinfo(rest).map_or(rest, |(_, a)| a);
            let path = after.split('?').next().unwrap_or("");
            if path.split_once('/').is_none_or(|(_, db)| db.is_empty()) {
                return Err(invalid(
                    "it names no database: add /<database> after the host",
                ));
            }
            Ok(Target::Mysql(server_url("mysql", rest)))
        }
        _ => Err(invalid(&format!(
            "unknown scheme `{scheme}`, expected sqlite, postgresql or mysql"
        ))),
    }
}

/// The options of a SQLite URL: `mode=ro` (read-only) or `mode=rw`/`rwc`.
/// Returns whether it is read-only; anything else is refused, never ignored.
fn sqlite_options(query: &str) -> std::result::Result<bool, String> {
    let mut read_only = false;
    for p in query.split('&').filter(|p| !p.is_empty()) {
        match p.split_once('=') {
            Some(("mode", "ro")) => read_only = true,
            Some(("mode", "rw" | "rwc")) => read_only = false,
            _ => {
                return Err(format!(
                    "unknown SQLite option `{p}`: this tool understands mode=ro (read-only) and mode=rw"
                ))
            }
        }
    }
    Ok(read_only)
}

fn sqlite_file(path: &str, url: &str, cwd: &Path) -> Result<Target> {
    if let Some((_, query)) = path.split_once('?') {
        // A bare path or `sqlite:x` with options: say that they need the URL form.
        if !query.is_empty() {
            return Err(Error::InvalidUrl {
                url: redact(url),
                reason: format!("options after a plain path are not read: write sqlite:///{path}"),
            });
        }
    }
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
    // `/dev/null`, a directory, a socket: SQLite would open or create beside them.
    if abs.exists() && !abs.is_file() {
        return Err(Error::InvalidUrl {
            url: redact(url),
            reason: format!("{} is not a regular file", abs.display()),
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

    #[test]
    fn passwords_never_show_whatever_they_hold() {
        for (url, secret) in [
            ("postgres://u:p@ss:w/rd@127.0.0.1/db", "p@ss:w/rd"),
            ("postgres://u:Secr3t%zz@127.0.0.1/db", "Secr3t"),
            ("mysql://root:s%40cret@h/db", "s@cret"),
            ("postgres://:Zq9?@127.0.0.1:1/db", "Zq9"),
            ("postgres://:Zq9?=@127.0.0.1:1/db", "Zq9"),
            ("postgres://@:Zq9?=@127.0.0.1:1/db", "Zq9"),
            ("postgres://h/db?user=u&password=hunter22", "hunter22"),
            (
                "host=127.0.0.1 user=u password=topsecret dbname=x",
                "topsecret",
            ),
            (
                "host=127.0.0.1 password = 'top secret \\' quoted' dbname=x",
                "secret",
            ),
            ("dbname=x password=back\\ slash", "slash"),
            ("host=127.0.0.1 password = Zq9 =aAAA dbname=x", "aAAA"),
            ("postgres://h/db?user=u&password=Zq9% ", "Zq9"),
        ] {
            let shown = redact(url);
            assert!(!shown.contains(secret), "{url} -> {shown}");
            // A driver that quotes the URL it was given.
            let msg = format!("could not connect: {url}");
            assert!(!scrub(&msg, url).contains(secret), "{msg}");
        }
        assert_eq!(
            redact("postgres://u:p@ss:w/rd@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn passwords_with_reserved_characters_reach_the_driver_intact() {
        let cwd = Path::new("/");
        assert_eq!(
            parse("postgres://u:p\u{e4}ss@h/db", cwd).unwrap(),
            Target::Postgres("postgres://u:p%C3%A4ss@h/db".into())
        );
        assert_eq!(
            parse("postgres://u:p@ss:w/rd@h:5432/db", cwd).unwrap(),
            Target::Postgres("postgres://u:p%40ss%3Aw%2Frd@h:5432/db".into())
        );
        assert_eq!(
            parse("mysql://root:50%25%zz@h/db", cwd).unwrap(),
            Target::Mysql("mysql://root:50%25%25zz@h/db".into())
        );
    }

    #[test]
    fn odd_urls_are_refused_or_honoured_not_guessed() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path();
        // A libpq connection string is PostgreSQL, never a file name.
        assert!(matches!(
            parse("host=127.0.0.1 user=u password=p dbname=x", cwd),
            Ok(Target::Postgres(_))
        ));
        // A connection string with a mistake is refused, never a file name.
        for bad in [
            "host=db user=app password=s3cret dbname",
            "host=db password='abc dbname=x",
        ] {
            let e = parse(bad, cwd).unwrap_err();
            assert!(
                !e.to_string().contains("s3cret") && !e.to_string().contains("abc"),
                "{e}"
            );
        }
        assert!(matches!(
            parse("host=h password=abc://def dbname=x", cwd),
            Ok(Target::Postgres(_))
        ));
        assert!(!redact("host=h password=abc://def dbname=x").contains("def"));
        assert!(matches!(
            parse("sqlite:/x", cwd),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            parse("/dev/null", cwd),
            Err(Error::InvalidUrl { .. })
        ));
        assert_eq!(
            parse("sqlite:///app.db?mode=ro", cwd).unwrap(),
            Target::SqliteReadOnly(cwd.join("app.db"))
        );
        assert!(matches!(
            parse("sqlite:///app.db?cache=shared", cwd),
            Err(Error::InvalidUrl { .. })
        ));
        assert!(matches!(
            parse("app.db?mode=ro", cwd),
            Err(Error::InvalidUrl { .. })
        ));
        for bad in [
            "postgres://app:hunter2@db?dbname=Secret@prod/app",
            "postgres://u:pw?x=@127.0.0.1/db",
            "postgres://:%:Zq9?/=@127.0.0.1:1/db",
            "mysql://u:pw?a=b@h/db",
            "postgres://u:a%zz/b@h:x/db",
        ] {
            let e = parse(bad, cwd).unwrap_err();
            assert!(e.to_string().contains("unclear where"), "{bad}: {e}");
            assert!(
                !e.to_string().contains("pw") && !e.to_string().contains("Zq9"),
                "{e}"
            );
        }
        for good in [
            "postgres:///test?host=/var/run/postgresql",
            "postgres://%2Fvar%2Frun%2Fpostgresql/test",
            "postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write",
            "postgres://u:pw@[::1]:5432/db",
            "postgres://u:p@ss:w/rd@h/db?password=a@b",
        ] {
            assert!(parse(good, cwd).is_ok(), "{good}");
        }
        let e = parse("mysql://root@127.0.0.1:3306", cwd).unwrap_err();
        assert!(e.to_string().contains("names no database"), "{e}");
        assert!(parse("mysql://root@127.0.0.1:3306/", cwd).is_err());
        assert!(parse("mysql://root@127.0.0.1:3306/test", cwd).is_ok());
    }
}
