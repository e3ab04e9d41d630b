//! A small reader and editor for SQLite `CREATE TABLE` statements.
//!
//! SQLite cannot alter most of a table in place; the table is rebuilt from its
//! own `CREATE TABLE` text, edited. Editing the original text, rather than
//! regenerating it from reflected metadata, is what keeps everything SQLite does
//! not report through pragmas: unnamed CHECK constraints, collations, generated
//! columns, `WITHOUT ROWID`, `STRICT`. (Alembic's batch mode regenerates the
//! table from reflection and silently loses unnamed CHECK constraints.)

use crate::error::Error;
use crate::error::Result;
pub use crate::sqlite::column::ColumnDdl;
use crate::sqlite::tokens::{join, matching_close, tokenize, Kind, Token};

/// Kinds of table constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintType {
    /// `PRIMARY KEY (...)`.
    PrimaryKey,
    /// `UNIQUE (...)`.
    Unique,
    /// `CHECK (...)`.
    Check,
    /// `FOREIGN KEY (...) REFERENCES ...`.
    ForeignKey,
}

/// One table constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintDdl {
    /// Its name (`CONSTRAINT name ...`), if any.
    pub name: Option<String>,
    /// Its kind.
    pub kind: ConstraintType,
    /// The whole item, `CONSTRAINT name` included.
    pub tokens: Vec<Token>,
}

/// A parsed `CREATE TABLE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDdl {
    /// Column definitions, in order.
    pub columns: Vec<ColumnDdl>,
    /// Table constraints, in order.
    pub constraints: Vec<ConstraintDdl>,
    /// What follows the closing parenthesis (`WITHOUT ROWID`, `STRICT`).
    pub options: Vec<Token>,
}

fn split_top_level(tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut items = vec![Vec::new()];
    let mut i = 0;
    while i < tokens.len() {
        // A parenthesized group is one piece of its item, commas and all.
        let end = match tokens[i].kind {
            Kind::Open => matching_close(tokens, i).unwrap_or(tokens.len() - 1),
            _ => i,
        };
        if tokens[i].kind == Kind::Comma {
            items.push(Vec::new());
        } else if let Some(last) = items.last_mut() {
            last.extend_from_slice(&tokens[i..=end]);
        }
        i = end + 1;
    }
    items.retain(|i| !i.is_empty());
    items
}

/// Parses a `CREATE TABLE` statement as `sqlite_master.sql` holds it.
pub fn parse(sql: &str) -> Result<TableDdl> {
    let tokens = tokenize(sql)?;
    let bad = |msg: &str| Error::UnreadableDefinition(format!(" ({msg}): {sql}"));
    let open = tokens
        .iter()
        .position(|t| t.kind == Kind::Open)
        .ok_or_else(|| bad("no column list"))?;
    if tokens[..open].iter().any(|t| t.word("AS")) {
        return Err(bad("a table created with AS SELECT"));
    }
    let close = matching_close(&tokens, open).ok_or_else(|| bad("unbalanced parentheses"))?;
    let mut table = TableDdl {
        columns: Vec::new(),
        constraints: Vec::new(),
        options: tokens[close + 1..].to_vec(),
    };
    for item in split_top_level(&tokens[open + 1..close]) {
        let first = &item[0];
        let constraint_start = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|w| first.word(w));
        if constraint_start {
            let (name, body) = if first.word("CONSTRAINT") {
                (
                    item.get(1).and_then(Token::ident),
                    item.get(2..).unwrap_or(&[]),
                )
            } else {
                (None, &item[..])
            };
            let kind = match body.first() {
                Some(t) if t.word("PRIMARY") => ConstraintType::PrimaryKey,
                Some(t) if t.word("UNIQUE") => ConstraintType::Unique,
                Some(t) if t.word("CHECK") => ConstraintType::Check,
                Some(t) if t.word("FOREIGN") => ConstraintType::ForeignKey,
                _ => return Err(bad("unknown table constraint")),
            };
            table.constraints.push(ConstraintDdl {
                name,
                kind,
                tokens: item,
            });
        } else {
            let name = first
                .ident()
                .ok_or_else(|| bad("a column without a name"))?;
            table.columns.push(ColumnDdl {
                name,
                rest: item[1..].to_vec(),
            });
        }
    }
    Ok(table)
}

/// Whether `tokens` hold the identifier `name` (string literals excepted).
pub fn mentions_ident(tokens: &[Token], name: &str) -> bool {
    tokens
        .iter()
        .any(|t| t.kind != Kind::Str && t.ident().is_some_and(|i| i.eq_ignore_ascii_case(name)))
}

/// The tokens of the parenthesized group starting at `open` (without the parentheses).
fn group(tokens: &[Token], open: usize) -> &[Token] {
    match matching_close(tokens, open) {
        Some(close) => &tokens[open + 1..close],
        None => &tokens[(open + 1).min(tokens.len())..],
    }
}

impl ConstraintDdl {
    /// Whether the constraint is over the column `name`: its own column list
    /// (PRIMARY KEY, UNIQUE, the local side of a FOREIGN KEY) or its CHECK
    /// expression. The constraint's name and a foreign key's target do not count.
    pub fn mentions(&self, name: &str) -> bool {
        match self.tokens.iter().position(|t| t.kind == Kind::Open) {
            Some(open) => mentions_ident(group(&self.tokens, open), name),
            None => false,
        }
    }
}

/// Whether a `CREATE INDEX` statement indexes the column `name` (in its column
/// list or its WHERE clause); the index and table names do not count.
pub fn index_mentions(sql: &str, name: &str) -> bool {
    let Ok(tokens) = tokenize(sql) else {
        return true;
    };
    let Some(on) = tokens.iter().position(|t| t.word("ON")) else {
        return true;
    };
    let Some(open) = tokens
        .iter()
        .skip(on)
        .position(|t| t.kind == Kind::Open)
        .map(|p| p + on)
    else {
        return true;
    };
    if mentions_ident(group(&tokens, open), name) {
        return true;
    }
    match tokens.iter().position(|t| t.word("WHERE")) {
        Some(w) => mentions_ident(&tokens[w + 1..], name),
        None => false,
    }
}

impl TableDdl {
    /// Renders `CREATE TABLE <quoted name> (...)`.
    pub fn to_sql(&self, quoted_name: &str) -> String {
        let mut items: Vec<String> = self
            .columns
            .iter()
            .map(|c| {
                let name = crate::dialect::Dialect::Sqlite.quote_ident(&c.name);
                if c.rest.is_empty() {
                    name
                } else {
                    format!("{name} {}", join(&c.rest))
                }
            })
            .collect();
        items.extend(self.constraints.iter().map(|c| join(&c.tokens)));
        let options = if self.options.is_empty() {
            String::new()
        } else {
            format!(" {}", join(&self.options))
        };
        format!(
            "CREATE TABLE {quoted_name} (\n    {}\n){options}",
            items.join(",\n    ")
        )
    }

    /// The column named `name` (case-insensitive, as SQLite compares names).
    pub fn column_mut(&mut self, name: &str) -> Option<&mut ColumnDdl> {
        self.columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Whether the table is `WITHOUT ROWID`.
    pub fn without_rowid(&self) -> bool {
        self.options
            .windows(2)
            .any(|w| w[0].word("WITHOUT") && w[1].word("ROWID"))
    }
}

/// The CHECK constraints of a `CREATE TABLE`, named or not, each in one line:
/// `name: CHECK (...)`, `CHECK (...)`, or `column c: CHECK (...)`.
#[cfg(feature = "introspect")]
pub fn checks(sql: &str) -> Result<Vec<String>> {
    let t = parse(sql)?;
    let mut out = Vec::new();
    for c in &t.constraints {
        if c.kind == ConstraintType::Check {
            let body = if c.name.is_some() {
                &c.tokens[2..]
            } else {
                &c.tokens[..]
            };
            out.push(match &c.name {
                Some(n) => format!("{n}: {}", join(body)),
                None => join(body),
            });
        }
    }
    for col in &t.columns {
        let mut i = 0;
        while i < col.rest.len() {
            if col.rest[i].word("CHECK") {
                let len = col.expr_len(i + 1);
                out.push(format!(
                    "column {}: {}",
                    col.name,
                    join(&col.rest[i..i + 1 + len])
                ));
                i += 1 + len;
            } else {
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const SQL: &str = r#"CREATE TABLE "order" (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        "na""me" VARCHAR(10) NOT NULL DEFAULT 'x, y' COLLATE NOCASE,
        price NUMERIC(10, 2) DEFAULT -1.5 CHECK (price > -100),
        [user] TEXT NULL REFERENCES users (id) ON DELETE CASCADE,
        created TIMESTAMP DEFAULT (datetime('now')), -- trailing comment
        CONSTRAINT ck_price CHECK (price < 1e6),
        CHECK (length("na""me") > 0),
        UNIQUE (id, price),
        CONSTRAINT fk_x FOREIGN KEY ([user]) REFERENCES users (id)
    ) STRICT"#;

    #[test]
    fn parses_columns_constraints_and_options() {
        let t = parse(SQL).unwrap();
        let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "na\"me", "price", "user", "created"]);
        assert_eq!(t.constraints.len(), 4);
        assert_eq!(t.constraints[0].name.as_deref(), Some("ck_price"));
        assert_eq!(t.constraints[1].kind, ConstraintType::Check);
        assert_eq!(t.constraints[1].name, None);
        assert_eq!(t.constraints[3].kind, ConstraintType::ForeignKey);
        assert_eq!(join(&t.options), "STRICT");
        assert!(t.constraints[3].mentions("user"));
    }

    #[test]
    fn mentions_look_at_columns_and_expressions_only() {
        let t = parse("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT, owner_email TEXT, total INTEGER AS (id * 2), CONSTRAINT email_fk FOREIGN KEY (owner_email) REFERENCES users (email), CHECK (email <> ''))").unwrap();
        assert!(
            !t.constraints[0].mentions("email"),
            "the target column of a foreign key is another table's"
        );
        assert!(t.constraints[0].mentions("owner_email"));
        assert!(t.constraints[1].mentions("email"));
        assert!(t.columns[3].is_generated() && t.columns[3].expression_mentions("id"));
        assert!(t.columns[0].is_rowid_alias());
        assert!(!index_mentions(
            "CREATE INDEX email ON accounts (owner_email)",
            "email"
        ));
        assert!(index_mentions(
            "CREATE INDEX ix ON accounts (total) WHERE email IS NOT NULL",
            "email"
        ));
    }

    #[test]
    fn checks_of_an_unreadable_definition_are_an_error_not_none() {
        // A round trip must not pass with CHECK constraints it could not read.
        assert!(checks("CREATE TABLE t (a INTEGER CHECK (a > 0), \"b").is_err());
    }

    #[test]
    fn checks_named_unnamed_and_column_level() {
        let c = checks(SQL).unwrap();
        assert_eq!(
            c,
            [
                "ck_price: CHECK (price < 1e6)",
                "CHECK (length(\"na\"\"me\") > 0)",
                "column price: CHECK (price > -100)"
            ]
        );
    }

    #[test]
    fn bad_sql_is_an_error() {
        assert!(parse("CREATE TABLE t AS SELECT 1").is_err());
        assert!(parse("CREATE TABLE t (a").is_err());
        assert!(tokenize("'open").is_err());
    }
}
