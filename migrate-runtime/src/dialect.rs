//! SQL dialects and their quoting rules.

use std::fmt;
use std::str::FromStr;

/// A SQL dialect the operations render to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// SQLite 3.35 or later.
    Sqlite,
    /// PostgreSQL 10 or later.
    Postgres,
    /// MySQL 8 or MariaDB 10.5 or later.
    Mysql,
}

impl Dialect {
    /// All dialects, for tests and snapshots.
    pub const ALL: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql];

    /// The dialect's name as `--dialect` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgresql",
            Dialect::Mysql => "mysql",
        }
    }

    /// Whether DDL runs inside transactions (false for MySQL, which commits DDL implicitly).
    pub fn transactional_ddl(self) -> bool {
        !matches!(self, Dialect::Mysql)
    }

    /// Refuses a name longer than the database takes: PostgreSQL's limit is 63
    /// bytes (it truncates longer names silently, so two of them can name one
    /// object), MySQL's 64 characters; SQLite has none.
    pub(crate) fn check_identifier(self, kind: &'static str, name: &str) -> crate::Result<()> {
        let (length, limit, unit) = match self {
            Dialect::Sqlite => return Ok(()),
            Dialect::Postgres => (name.len(), 63, "bytes"),
            Dialect::Mysql => (name.chars().count(), 64, "characters"),
        };
        if length <= limit {
            return Ok(());
        }
        Err(crate::Error::IdentifierTooLong {
            kind,
            name: name.to_owned(),
            length,
            dialect: self,
            limit,
            unit,
        })
    }

    /// Quotes an identifier so that any name, keywords and quotes included, is
    /// taken literally: `"order"`, `` `user` ``, `"a""b"`.
    pub fn quote_ident(self, name: &str) -> String {
        let q = if self == Dialect::Mysql { '`' } else { '"' };
        let mut out = String::with_capacity(name.len() + 2);
        out.push(q);
        for c in name.chars() {
            if c == q {
                out.push(q);
            }
            out.push(c);
        }
        out.push(q);
        out
    }

    /// Quotes a string literal. On MySQL, whether `\` is an escape inside
    /// quotes depends on the session's `sql_mode` (`NO_BACKSLASH_ESCAPES`); a
    /// string with a backslash is written as a `utf8mb4` hex literal instead
    /// (Rust strings are UTF-8), which means the same in every mode.
    pub fn quote_str(self, s: &str) -> String {
        if self == Dialect::Mysql && s.contains('\\') {
            let hex: String = s.bytes().map(|b| format!("{b:02X}")).collect();
            return format!("_utf8mb4 X'{hex}'");
        }
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            if c == '\'' {
                out.push('\'');
            }
            out.push(c);
        }
        out.push('\'');
        out
    }

    /// A MySQL string where only a plain literal is allowed (a column
    /// `COMMENT`): backslashes escaped, which assumes the default `sql_mode`.
    pub(crate) fn quote_plain_mysql(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" | "sqlite3" => Ok(Dialect::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            other => Err(format!(
                "unknown dialect `{other}`, expected sqlite, postgresql or mysql"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(Dialect::Sqlite.quote_ident("order"), "\"order\"");
        assert_eq!(Dialect::Postgres.quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(Dialect::Mysql.quote_ident("a`b"), "`a``b`");
        assert_eq!(Dialect::Postgres.quote_str("it's \\"), "'it''s \\'");
        // A backslash means the same whatever MySQL's sql_mode: a hex literal.
        assert_eq!(
            Dialect::Mysql.quote_str("it's \\"),
            "_utf8mb4 X'69742773205C'"
        );
        assert_eq!(Dialect::Mysql.quote_str("it's"), "'it''s'");
        assert_eq!(Dialect::quote_plain_mysql("a'\\"), "'a''\\\\'");
    }
}
