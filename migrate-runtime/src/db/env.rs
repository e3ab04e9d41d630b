//! Where the database URL comes from, the same for the `migrate` command and
//! for a service at start-up: `DATABASE_URL`, else `DATABASE_URL=` in `.env`
//! in the current directory.
//!
//! The `.env` reader is this crate's own (a service that migrates at start-up
//! builds no `.env` crate), and reads what such files hold: `KEY=value`
//! lines, `export KEY=value`, `#` comments, and values in single quotes (as
//! written) or double quotes (with `\"`, `\\`, `\n` escapes).

use std::path::Path;

use crate::error::{Error, Result};

/// The database URL a service should migrate: `DATABASE_URL`, else
/// `DATABASE_URL=` in `.env` in the current directory, as `migrate` finds it.
/// An empty `DATABASE_URL` is refused rather than passed over (an unset
/// variable in a deploy script must not migrate the URL in `.env`); an empty
/// value in `.env` counts as none.
///
/// ```
/// # fn main() {
/// match migrate_runtime::database_url() {
///     Ok(url) => println!("migrating {url}"),
///     Err(e) => eprintln!("{e}"), // Error::NoUrl says where it looked
/// }
/// # }
/// ```
pub fn database_url() -> Result<String> {
    url_from(None, Path::new("."))
}

/// `--url` when given, else [`database_url`] with `.env` in `dir`.
pub(crate) fn url_from(given: Option<&str>, dir: &Path) -> Result<String> {
    url_from_sources(given, std::env::var("DATABASE_URL").ok(), dir)
}

/// [`url_from`] with the variable's value given.
fn url_from_sources(given: Option<&str>, variable: Option<String>, dir: &Path) -> Result<String> {
    let set = |u: &str| !u.trim().is_empty();
    if let Some(u) = given {
        if !set(u) {
            return Err(Error::Usage(
                "--url is empty (an unset variable?): give the database URL".into(),
            ));
        }
        return Ok(u.to_owned());
    }
    if let Some(u) = variable {
        if !set(&u) {
            return Err(Error::Usage(
                "DATABASE_URL is set but empty: give it the database URL, or pass --url".into(),
            ));
        }
        return Ok(u);
    }
    match std::fs::read_to_string(dir.join(".env")) {
        Ok(text) => dotenv_value(&text, "DATABASE_URL")
            .filter(|u| set(u))
            .ok_or(Error::NoUrl),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NoUrl),
        Err(e) => Err(Error::Io {
            context: format!("cannot read {}", dir.join(".env").display()),
            source: e,
        }),
    }
}

/// The value of `key` in the text of a `.env` file (the last one wins, as
/// when the file is sourced by a shell).
fn dotenv_value(text: &str, key: &str) -> Option<String> {
    let mut found = None;
    for line in text.lines() {
        let line = line.trim_start();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim_end() != key {
            continue;
        }
        let v = v.trim();
        found = Some(if let Some(rest) = v.strip_prefix('\'') {
            rest.split_once('\'')
                .map_or(rest, |(inside, _)| inside)
                .to_owned()
        } else if let Some(rest) = v.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some(other) => out.push(other),
                        None => break,
                    },
                    c => out.push(c),
                }
            }
            out
        } else {
            // A comment after an unquoted value starts with a space and #.
            let v = match v.find(" #") {
                Some(i) => &v[..i],
                None => v,
            };
            v.trim_end().to_owned()
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_as_shells_and_dotenv_files_write_them() {
        let text = "# comment\nOTHER=x\nexport DATABASE_URL = sqlite:///a.db # the dev db\n";
        assert_eq!(
            dotenv_value(text, "DATABASE_URL").as_deref(),
            Some("sqlite:///a.db")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL='postgres://u:p#1@h/db'", "DATABASE_URL").as_deref(),
            Some("postgres://u:p#1@h/db")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=\"mysql://u:a\\\"b@h/db\" # c", "DATABASE_URL").as_deref(),
            Some("mysql://u:a\"b@h/db")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=a\nDATABASE_URL=b\n", "DATABASE_URL").as_deref(),
            Some("b")
        );
        assert_eq!(
            dotenv_value("DATABASE_URLX=a\n#DATABASE_URL=b\n", "DATABASE_URL"),
            None
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=\n", "DATABASE_URL").as_deref(),
            Some("")
        );
    }

    #[test]
    fn a_dot_env_in_the_directory_is_read_and_an_empty_value_is_no_url() {
        let dir = tempfile::tempdir().unwrap();
        let from =
            |given, var: Option<&str>| url_from_sources(given, var.map(str::to_owned), dir.path());
        assert!(matches!(from(None, None), Err(Error::NoUrl)));
        std::fs::write(dir.path().join(".env"), "DATABASE_URL=\n").unwrap();
        assert!(matches!(from(None, None), Err(Error::NoUrl)));
        std::fs::write(dir.path().join(".env"), "DATABASE_URL=sqlite:///x.db\n").unwrap();
        assert_eq!(from(None, None).unwrap(), "sqlite:///x.db");
        // The variable wins over the file, --url over both; empty ones are refused.
        assert_eq!(
            from(None, Some("sqlite:///v.db")).unwrap(),
            "sqlite:///v.db"
        );
        assert_eq!(
            from(Some("sqlite://"), Some("sqlite:///v.db")).unwrap(),
            "sqlite://"
        );
        assert!(matches!(from(None, Some("")), Err(Error::Usage(_))));
        assert!(matches!(from(Some(" "), None), Err(Error::Usage(_))));
    }
}
