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

/// One token of SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token as written.
    pub text: String,
    /// What kind of token.
    pub kind: Kind,
    /// Whether white space (or a comment) preceded it, so that joining keeps the
    /// original spacing (`users (id)` stays apart, `VARCHAR(10)` together).
    pub space: bool,
}

/// Token kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A keyword or bare identifier.
    Word,
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`).
    Quoted,
    /// A string literal.
    Str,
    /// A number or blob literal.
    Literal,
    /// `(`.
    Open,
    /// `)`.
    Close,
    /// `,`.
    Comma,
    /// Anything else (operators).
    Other,
}

impl Token {
    fn word(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text.eq_ignore_ascii_case(w)
    }

    /// The identifier this token names, unquoted, if it is one.
    pub fn ident(&self) -> Option<String> {
        match self.kind {
            Kind::Word => Some(self.text.clone()),
            Kind::Quoted => Some(unquote(&self.text)),
            // SQLite accepts 'name' where an identifier is expected.
            Kind::Str => Some(unquote(&self.text)),
            _ => None,
        }
    }
}

fn unquote(s: &str) -> String {
    let Some(first) = s.chars().next() else {
        return String::new();
    };
    let (close, inner) = match first {
        '"' | '`' | '\'' => (first, &s[1..s.len().saturating_sub(1)]),
        '[' => (']', &s[1..s.len().saturating_sub(1)]),
        _ => return s.to_owned(),
    };
    if close == ']' {
        inner.to_owned()
    } else {
        inner.replace(&format!("{close}{close}"), &close.to_string())
    }
}

/// Splits SQL text into tokens, dropping white space and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token>> {
    let b: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut out: Vec<Token> = Vec::new();
    let bad = |msg: &str| Error::UnreadableDefinition(format!(": {msg}"));
    let mut space = false;
    while i < b.len() {
        let c = b[i];
        let before = out.len();
        if c.is_whitespace() {
            i += 1;
            space = true;
            continue;
        } else if c == '-' && b.get(i + 1) == Some(&'-') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
            space = true;
            continue;
        } else if c == '/' && b.get(i + 1) == Some(&'*') {
            i += 2;
            while i < b.len() && !(b[i] == '*' && b.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
            space = true;
            continue;
        } else if c == '"' || c == '`' || c == '\'' {
            let start = i;
            i += 1;
            loop {
                if i >= b.len() {
                    return Err(bad("unterminated quote"));
                }
                if b[i] == c {
                    if b.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            let kind = if c == '\'' { Kind::Str } else { Kind::Quoted };
            out.push(Token {
                text: b[start..i].iter().collect(),
                kind,
                space: false,
            });
        } else if c == '[' {
            let start = i;
            while i < b.len() && b[i] != ']' {
                i += 1;
            }
            if i >= b.len() {
                return Err(bad("unterminated [identifier]"));
            }
            i += 1;
            out.push(Token {
                text: b[start..i].iter().collect(),
                kind: Kind::Quoted,
                space: false,
            });
        } else if (c == 'x' || c == 'X') && b.get(i + 1) == Some(&'\'') {
            let start = i;
            i += 2;
            while i < b.len() && b[i] != '\'' {
                i += 1;
            }
            i += 1;
            out.push(Token {
                text: b[start..i.min(b.len())].iter().collect(),
                kind: Kind::Literal,
                space: false,
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_' || b[i] == '$') {
                i += 1;
            }
            out.push(Token {
                text: b[start..i].iter().collect(),
                kind: Kind::Word,
                space: false,
            });
        } else if c.is_ascii_digit()
            || (c == '.' && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == '.'
                    || ((b[i] == '+' || b[i] == '-') && matches!(b[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            out.push(Token {
                text: b[start..i].iter().collect(),
                kind: Kind::Literal,
                space: false,
            });
        } else {
            let kind = match c {
                '(' => Kind::Open,
                ')' => Kind::Close,
                ',' => Kind::Comma,
                _ => Kind::Other,
            };
            // Two-character operators stay together so that re-joining is faithful.
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            if kind == Kind::Other
                && matches!(
                    two.as_str(),
                    "<=" | ">=" | "<>" | "!=" | "==" | "||" | "<<" | ">>"
                )
            {
                out.push(Token {
                    text: two,
                    kind,
                    space: false,
                });
                i += 2;
            } else {
                out.push(Token {
                    text: c.to_string(),
                    kind,
                    space: false,
                });
                i += 1;
            }
        }
        if out.len() > before {
            if let Some(t) = out.last_mut() {
                t.space = space;
            }
            space = false;
        }
    }
    Ok(out)
}

/// Joins tokens back into SQL text with single spaces where needed.
pub fn join(tokens: &[Token]) -> String {
    let mut s = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 && t.space {
            s.push(' ');
        }
        s.push_str(&t.text);
    }
    s
}

fn word(text: &str) -> Token {
    Token {
        text: text.to_owned(),
        kind: Kind::Word,
        space: true,
    }
}

/// Tokens to insert into a definition: the first one stands apart from what precedes it.
fn inserted(sql: &str) -> Result<Vec<Token>> {
    let mut t = tokenize(sql)?;
    if let Some(first) = t.first_mut() {
        first.space = true;
    }
    Ok(t)
}

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

/// One column definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDdl {
    /// Its name, unquoted.
    pub name: String,
    /// Everything after the name: type, then column constraints.
    pub rest: Vec<Token>,
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
    let mut depth = 0i32;
    for t in tokens {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => depth -= 1,
            Kind::Comma if depth == 0 => {
                items.push(Vec::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = items.last_mut() {
            last.push(t.clone());
        }
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
    let mut depth = 0;
    let mut close = None;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or_else(|| bad("unbalanced parentheses"))?;
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

const COLUMN_CONSTRAINT_WORDS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

impl ColumnDdl {
    fn type_len(&self) -> usize {
        let mut i = 0;
        while i < self.rest.len() {
            let t = &self.rest[i];
            if COLUMN_CONSTRAINT_WORDS.iter().any(|w| t.word(w)) {
                break;
            }
            if t.kind == Kind::Open {
                // `VARCHAR(10)`: skip to the matching parenthesis.
                let mut depth = 0;
                while i < self.rest.len() {
                    match self.rest[i].kind {
                        Kind::Open => depth += 1,
                        Kind::Close => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            i += 1;
        }
        i.min(self.rest.len())
    }

    /// The index after the parenthesized group starting at `i` (or `i + 1` when
    /// `rest[i]` is not `(`), so that scans for column constraints never look
    /// inside expressions such as `CHECK (x IS NOT NULL)`.
    fn skip(&self, i: usize) -> usize {
        if self.rest.get(i).map(|t| t.kind) != Some(Kind::Open) {
            return i + 1;
        }
        let mut depth = 0;
        for (j, t) in self.rest.iter().enumerate().skip(i) {
            match t.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
        }
        self.rest.len()
    }

    /// The index after the column-constraint clause starting at `i`, for the
    /// clauses whose words could be mistaken for others: `DEFAULT NULL`,
    /// `REFERENCES t ON DELETE SET NULL`, `COLLATE x`, and any parenthesized group.
    fn skip_clause(&self, i: usize) -> usize {
        let w = |j: usize, x: &str| self.rest.get(j).is_some_and(|t| t.word(x));
        if w(i, "DEFAULT") {
            return i + 1 + self.expr_len(i + 1);
        }
        if w(i, "COLLATE") {
            return i + 2;
        }
        if w(i, "REFERENCES") {
            let mut j = i + 2;
            if self.rest.get(j).map(|t| t.kind) == Some(Kind::Open) {
                j = self.skip(j);
            }
            loop {
                if w(j, "ON") {
                    j += 2;
                    j += if w(j, "SET") || w(j, "NO") { 2 } else { 1 };
                } else if w(j, "MATCH") {
                    j += 2;
                } else if w(j, "NOT") && w(j + 1, "DEFERRABLE") || w(j, "DEFERRABLE") {
                    j += if w(j, "NOT") { 2 } else { 1 };
                    if w(j, "INITIALLY") {
                        j += 2;
                    }
                } else {
                    break;
                }
            }
            return j.min(self.rest.len());
        }
        self.skip(i)
    }

    /// Whether the column is SQLite's rowid alias: declared exactly `INTEGER PRIMARY KEY`.
    pub fn is_rowid_alias(&self) -> bool {
        self.type_len() == 1 && self.rest[0].word("INTEGER") && self.has_word("PRIMARY")
    }

    /// Whether the column is generated (`GENERATED ALWAYS AS (..)` or `AS (..)`):
    /// its values cannot be copied, SQLite computes them.
    pub fn is_generated(&self) -> bool {
        self.has_word("GENERATED") || self.has_word("AS")
    }

    /// Whether an expression of this column's definition (a CHECK, a generated
    /// column's AS, a DEFAULT) names the column `name`. Names in a REFERENCES
    /// clause are another table's and do not count.
    pub fn expression_mentions(&self, name: &str) -> bool {
        let mut i = 0;
        while i < self.rest.len() {
            let t = &self.rest[i];
            if t.word("CHECK") || t.word("AS") || t.word("DEFAULT") {
                let len = self.expr_len(i + 1);
                if mentions_ident(&self.rest[i + 1..i + 1 + len], name) {
                    return true;
                }
                i += 1 + len;
            } else {
                i = self.skip_clause(i);
            }
        }
        false
    }

    /// Replaces the declared type.
    pub fn set_type(&mut self, ty: &str) -> Result<()> {
        let n = self.type_len();
        let new = inserted(ty)?;
        self.rest.splice(0..n, new);
        Ok(())
    }

    /// Length of the expression starting at `i` (one token, a signed number, or a parenthesized expression).
    fn expr_len(&self, i: usize) -> usize {
        match self.rest.get(i) {
            Some(t) if t.kind == Kind::Open => self.skip(i) - i,
            Some(t) if t.text == "-" || t.text == "+" => 2.min(self.rest.len() - i),
            Some(_) => 1,
            None => 0,
        }
    }

    /// Removes `[CONSTRAINT n] NOT NULL [ON CONFLICT x]` and a bare `NULL`, then adds `NOT NULL` when asked.
    pub fn set_nullable(&mut self, nullable: bool) {
        let mut i = self.type_len();
        while i < self.rest.len() {
            let named = self.rest[i].word("CONSTRAINT");
            let at = if named { i + 2 } else { i };
            let len = if self.rest.get(at).is_some_and(|t| t.word("NOT"))
                && self.rest.get(at + 1).is_some_and(|t| t.word("NULL"))
            {
                2
            } else if self.rest.get(at).is_some_and(|t| t.word("NULL")) {
                1
            } else {
                0
            };
            if len > 0 {
                let mut end = at + len;
                if self.rest.get(end).is_some_and(|t| t.word("ON"))
                    && self.rest.get(end + 1).is_some_and(|t| t.word("CONFLICT"))
                {
                    end += 3;
                }
                self.rest.drain(i..end.min(self.rest.len()));
                continue;
            }
            i = self.skip_clause(i);
        }
        if !nullable {
            let at = self.type_len();
            self.rest.splice(at..at, [word("NOT"), word("NULL")]);
        }
    }

    /// Removes `[CONSTRAINT n] DEFAULT expr`, then adds `DEFAULT sql` when given.
    pub fn set_default(&mut self, sql: Option<&str>) -> Result<()> {
        let mut i = self.type_len();
        while i < self.rest.len() {
            let named = self.rest[i].word("CONSTRAINT");
            let at = if named { i + 2 } else { i };
            if self.rest.get(at).is_some_and(|t| t.word("DEFAULT")) {
                let end = at + 1 + self.expr_len(at + 1);
                self.rest.drain(i..end.min(self.rest.len()));
                continue;
            }
            i = self.skip_clause(i);
        }
        if let Some(sql) = sql {
            let mut new = vec![word("DEFAULT")];
            let expr = inserted(sql)?;
            // Anything but a single token must be parenthesized in a DEFAULT clause.
            if expr.len() == 1 || (expr.len() == 2 && (expr[0].text == "-" || expr[0].text == "+"))
            {
                new.extend(expr);
            } else {
                new.push(Token {
                    text: "(".into(),
                    kind: Kind::Open,
                    space: true,
                });
                let mut expr = expr;
                expr[0].space = false;
                new.extend(expr);
                new.push(Token {
                    text: ")".into(),
                    kind: Kind::Close,
                    space: false,
                });
            }
            let at = self.type_len();
            self.rest.splice(at..at, new);
        }
        Ok(())
    }

    /// Whether the column definition holds `word` outside parentheses
    /// (e.g. `UNIQUE`, `PRIMARY`, `REFERENCES`, `CHECK`).
    pub fn has_word(&self, word: &str) -> bool {
        let mut i = 0;
        while i < self.rest.len() {
            if self.rest[i].word(word) {
                return true;
            }
            i = self.skip(i);
        }
        false
    }
}

/// Whether `tokens` hold the identifier `name` (string literals excepted).
pub fn mentions_ident(tokens: &[Token], name: &str) -> bool {
    tokens
        .iter()
        .any(|t| t.kind != Kind::Str && t.ident().is_some_and(|i| i.eq_ignore_ascii_case(name)))
}

/// The tokens of the parenthesized group starting at `open` (without the parentheses).
fn group(tokens: &[Token], open: usize) -> &[Token] {
    let mut depth = 0;
    for (j, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return &tokens[open + 1..j];
                }
            }
            _ => {}
        }
    }
    &tokens[(open + 1).min(tokens.len())..]
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
mod tests {
    use super::*;

    const SQL: &str = r#"CREATE TABLE "order" (
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
    fn edits_type_nullability_and_default_keeping_the_rest() {
        let mut t = parse(SQL).unwrap();
        let c = t.column_mut("na\"me").unwrap();
        c.set_type("TEXT").unwrap();
        c.set_nullable(true);
        c.set_default(None).unwrap();
        assert_eq!(join(&c.rest), "TEXT COLLATE NOCASE");
        let c = t.column_mut("price").unwrap();
        c.set_nullable(false);
        c.set_default(Some("0")).unwrap();
        assert_eq!(
            join(&c.rest),
            "NUMERIC(10, 2) DEFAULT 0 NOT NULL CHECK (price > -100)"
        );
        let c = t.column_mut("created").unwrap();
        c.set_default(Some("CURRENT_TIMESTAMP")).unwrap();
        assert_eq!(join(&c.rest), "TIMESTAMP DEFAULT CURRENT_TIMESTAMP");
        let c = t.column_mut("user").unwrap();
        c.set_nullable(false);
        assert_eq!(
            join(&c.rest),
            "TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE"
        );
        // Re-rendered SQL parses back to the same text.
        let sql = t.to_sql("\"order\"");
        assert_eq!(parse(&sql).unwrap().to_sql("\"order\""), sql);
    }

    #[test]
    fn null_and_default_words_inside_other_clauses_are_left_alone() {
        let mut t = parse("CREATE TABLE t (a TEXT DEFAULT NULL REFERENCES u (id) ON DELETE SET NULL ON UPDATE SET DEFAULT, b INTEGER NOT NULL)").unwrap();
        let a = t.column_mut("a").unwrap();
        a.set_nullable(false);
        assert_eq!(
            join(&a.rest),
            "TEXT NOT NULL DEFAULT NULL REFERENCES u (id) ON DELETE SET NULL ON UPDATE SET DEFAULT"
        );
        a.set_nullable(true);
        a.set_default(Some("'x'")).unwrap();
        assert_eq!(
            join(&a.rest),
            "TEXT DEFAULT 'x' REFERENCES u (id) ON DELETE SET NULL ON UPDATE SET DEFAULT"
        );
        let sql = t.to_sql("t");
        assert!(parse(&sql).is_ok(), "{sql}");
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
    fn edits_never_reach_inside_expressions() {
        let mut t = parse("CREATE TABLE t (c TEXT NOT NULL DEFAULT 0 CHECK (c IS NULL OR c IS NOT NULL OR c = 'DEFAULT'))").unwrap();
        let c = t.column_mut("c").unwrap();
        c.set_default(Some("-1")).unwrap();
        c.set_nullable(true);
        assert_eq!(
            join(&c.rest),
            "TEXT DEFAULT -1 CHECK (c IS NULL OR c IS NOT NULL OR c = 'DEFAULT')"
        );
        c.set_nullable(false);
        c.set_default(None).unwrap();
        assert_eq!(
            join(&c.rest),
            "TEXT NOT NULL CHECK (c IS NULL OR c IS NOT NULL OR c = 'DEFAULT')"
        );
        assert!(!c.has_word("NULL") || c.has_word("NOT"));
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
