//! Where the database URL comes from, the same for the `migrate` command and
//! for a service at start-up: `DATABASE_URL`, else `DATABASE_URL=` in `.env`
//! in the current directory.
//!
//! The `.env` reader is this crate's own (a service that migrates at start-up
//! builds no `.env` crate), and reads what such files hold: `KEY=value`
//! lines, `export KEY=value`, `#` comments, values in single quotes (as
//! written) or double quotes (with `\"`, `\\`, `\n` escapes), and `$NAME` or
//! `${NAME}` in the others, from the environment or the lines above. A key
//! given twice keeps its first non-empty value: the first, as the `.env`
//! crates load it, except that an empty line does not hide a later value.

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

/// The value of `key` in the text of a `.env` file: the first non-empty one
/// (the `.env` crates services use keep the first, and a later line does not
/// override it; an empty one they would keep is passed over here).
fn dotenv_value(text: &str, key: &str) -> Option<String> {
    dotenv_value_with(text, key, &|name| std::env::var(name).ok())
}

/// [`dotenv_value`], with `$NAME` and `${NAME}` in values expanded from
/// `environment`, else from the lines above.
fn dotenv_value_with(
    text: &str,
    key: &str,
    environment: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let mut earlier: Vec<(String, String)> = Vec::new();
    let mut found = None;
    for line in text.lines() {
        let lookup = |name: &str| {
            environment(name).or_else(|| {
                earlier
                    .iter()
                    .find(|(k, v)| k == name && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        let Some((k, v)) = dotenv_line(line, &lookup) else {
            continue;
        };
        if k == key && found.is_none() && !v.trim().is_empty() {
            found = Some(v.clone());
        }
        earlier.push((k, v));
    }
    found.or_else(|| earlier.iter().any(|(k, _)| k == key).then(String::new))
}

/// One `KEY=value` line of a `.env` file; `None` for a comment, a blank
/// line or anything else.
fn dotenv_line(line: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Option<(String, String)> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let (k, v) = line.split_once('=')?;
    let k = k.trim_end();
    if k.is_empty() || k.starts_with('#') {
        return None;
    }
    let v = v.trim_start();
    let value = if let Some(rest) = v.strip_prefix('\'') {
        // Single quotes: as written, nothing expanded.
        rest.split_once('\'')
            .map_or(rest, |(inside, _)| inside)
            .to_owned()
    } else if let Some(rest) = v.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => break,
                },
                '$' => expand(&mut chars, lookup, &mut out),
                c => out.push(c),
            }
        }
        out
    } else {
        // A comment after an unquoted value starts at a # after blank space
        // (a space or a tab), or at a # that begins the value. A backslash
        // stays as written (a Windows path), except before a `$`.
        let mut out = String::new();
        let mut chars = v.chars().peekable();
        let mut after_blank = true;
        while let Some(c) = chars.next() {
            match c {
                '#' if after_blank => break,
                '\\' if chars.peek() == Some(&'$') => {
                    chars.next();
                    out.push('$');
                }
                '$' => expand(&mut chars, lookup, &mut out),
                c => out.push(c),
            }
            after_blank = c.is_whitespace();
        }
        out.trim_end().to_owned()
    };
    Some((k.to_owned(), value))
}

/// After a `$`: `NAME` or `{NAME}` replaced by its value (nothing when it has
/// none, as a shell does); a `$` before anything else stays.
fn expand(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
) {
    let is_name = |c: &char| c.is_ascii_alphanumeric() || *c == '_';
    let mut name = String::new();
    if chars.peek() == Some(&'{') {
        // Only a `${NAME}` that closes is one: an unclosed `${` stays as
        // written rather than swallow the rest of the value.
        let ahead: String = chars.clone().skip(1).take_while(|c| *c != '}').collect();
        let closes = chars.clone().nth(1 + ahead.chars().count()) == Some('}');
        if !closes || !ahead.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push('$');
            return;
        }
        chars.next();
        for c in chars.by_ref() {
            if c == '}' {
                break;
            }
            name.push(c);
        }
    } else {
        while let Some(c) = chars.next_if(is_name) {
            name.push(c);
        }
        if name.is_empty() {
            out.push('$');
            return;
        }
    }
    if let Some(v) = lookup(&name) {
        out.push_str(&v);
    }
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
        // The first non-empty one, as the .env crates load it.
        assert_eq!(
            dotenv_value("DATABASE_URL=a\nDATABASE_URL=b\n", "DATABASE_URL").as_deref(),
            Some("a")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=\nDATABASE_URL=b\n", "DATABASE_URL").as_deref(),
            Some("b")
        );
        // A comment after a tab, or at the start of the value.
        assert_eq!(
            dotenv_value("DATABASE_URL=sqlite:///a.db\t# dev\n", "DATABASE_URL").as_deref(),
            Some("sqlite:///a.db")
        );
        assert_eq!(
            dotenv_value("DATABASE_URL=# none yet\n", "DATABASE_URL").as_deref(),
            Some("")
        );
        // A # inside the value is the value's.
        assert_eq!(
            dotenv_value("DATABASE_URL=postgres://u:p#1@h/db\n", "DATABASE_URL").as_deref(),
            Some("postgres://u:p#1@h/db")
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
    fn variables_in_values_are_expanded_except_in_single_quotes() {
        let env = |name: &str| (name == "PGHOST").then(|| "db.internal".to_owned());
        let v = |text: &str| dotenv_value_with(text, "DATABASE_URL", &env);
        assert_eq!(
            v("DATABASE_URL=postgres://app@$PGHOST/app").as_deref(),
            Some("postgres://app@db.internal/app")
        );
        assert_eq!(
            v("USER=svc\nDATABASE_URL=\"postgres://${USER}@${PGHOST}:5432/app\"").as_deref(),
            Some("postgres://svc@db.internal:5432/app")
        );
        // The environment wins over the file, as for DATABASE_URL itself.
        assert_eq!(
            v("PGHOST=other\nDATABASE_URL=postgres://$PGHOST/app").as_deref(),
            Some("postgres://db.internal/app")
        );
        assert_eq!(
            v("DATABASE_URL='postgres://u:$PGHOST@h/db'").as_deref(),
            Some("postgres://u:$PGHOST@h/db")
        );
        assert_eq!(
            v("DATABASE_URL=postgres://u:p\\$x@h/db $ end").as_deref(),
            Some("postgres://u:p$x@h/db $ end")
        );
        // A Windows path keeps its backslashes; an unclosed ${ stays.
        assert_eq!(
            v(r"DATABASE_URL=sqlite:///C:\data\app.db").as_deref(),
            Some(r"sqlite:///C:\data\app.db")
        );
        assert_eq!(
            v("DATABASE_URL=\"postgres://u:p${x@h/db\"").as_deref(),
            Some("postgres://u:p${x@h/db")
        );
        // An unset variable expands to nothing, as in a shell.
        assert_eq!(
            v("DATABASE_URL=sqlite:///$NOPE/a.db").as_deref(),
            Some("sqlite:////a.db")
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
