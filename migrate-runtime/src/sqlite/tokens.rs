//! Tokens of SQLite SQL text, which the `CREATE TABLE` reader and editor in
//! [`crate::sqlite::ddl`] work on: keeping each token's spacing lets an edited
//! definition be joined back without disturbing what was not edited.

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
    /// Whether the token is the keyword `w` (case-insensitive).
    pub(crate) fn word(&self, w: &str) -> bool {
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

/// The index of the token that brings the parenthesis depth, counted from
/// `tokens[open]` on, back to zero: for a `(` at `open`, its matching `)`.
/// `None` when the text ends first.
pub(crate) fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0i32;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits SQL text into tokens, dropping white space and comments.
pub fn tokenize(sql: &str) -> Result<Vec<Token>> {
    let b: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut space = false;
    while i < b.len() {
        if let Some(end) = trivia_end(&b, i) {
            i = end;
            space = true;
            continue;
        }
        let (kind, end) = token_at(&b, i)?;
        let end = end.min(b.len());
        out.push(Token {
            text: b[i..end].iter().collect(),
            kind,
            space,
        });
        space = false;
        i = end;
    }
    Ok(out)
}

fn unreadable(msg: &str) -> Error {
    Error::UnreadableDefinition(format!(": {msg}"))
}

/// Where the white space or comment starting at `i` ends, if one starts there.
fn trivia_end(b: &[char], i: usize) -> Option<usize> {
    let c = b[i];
    if c.is_whitespace() {
        return Some(i + 1);
    }
    if c == '-' && b.get(i + 1) == Some(&'-') {
        // The newline itself is white space, read next.
        return Some(scan(b, i, |c| c != '\n'));
    }
    if c == '/' && b.get(i + 1) == Some(&'*') {
        let mut j = i + 2;
        while j < b.len() && !(b[j] == '*' && b.get(j + 1) == Some(&'/')) {
            j += 1;
        }
        return Some(j + 2);
    }
    None
}

/// The index after the run of characters from `i` that satisfy `keep`.
fn scan(b: &[char], i: usize, keep: impl Fn(char) -> bool) -> usize {
    let mut j = i;
    while j < b.len() && keep(b[j]) {
        j += 1;
    }
    j
}

/// The kind of the token starting at `i`, and the index after it.
fn token_at(b: &[char], i: usize) -> Result<(Kind, usize)> {
    let c = b[i];
    let next = b.get(i + 1).copied();
    Ok(match c {
        '"' | '`' => (Kind::Quoted, quoted_end(b, i)?),
        '\'' => (Kind::Str, quoted_end(b, i)?),
        '[' => (Kind::Quoted, bracketed_end(b, i)?),
        // A blob literal, X'00ff'.
        'x' | 'X' if next == Some('\'') => (Kind::Literal, scan(b, i + 2, |c| c != '\'') + 1),
        _ if c.is_alphabetic() || c == '_' => (
            Kind::Word,
            scan(b, i, |c| c.is_alphanumeric() || c == '_' || c == '$'),
        ),
        _ if c.is_ascii_digit() || (c == '.' && next.is_some_and(|d| d.is_ascii_digit())) => {
            (Kind::Literal, number_end(b, i))
        }
        '(' => (Kind::Open, i + 1),
        ')' => (Kind::Close, i + 1),
        ',' => (Kind::Comma, i + 1),
        _ => (Kind::Other, operator_end(b, i)),
    })
}

/// The end of a quoted name or string starting at `i`; a doubled quote is part of it.
fn quoted_end(b: &[char], i: usize) -> Result<usize> {
    let q = b[i];
    let mut j = i + 1;
    loop {
        if j >= b.len() {
            return Err(unreadable("unterminated quote"));
        }
        if b[j] == q {
            if b.get(j + 1) == Some(&q) {
                j += 2;
                continue;
            }
            return Ok(j + 1);
        }
        j += 1;
    }
}

/// The end of a `[bracketed]` name starting at `i`.
fn bracketed_end(b: &[char], i: usize) -> Result<usize> {
    let j = scan(b, i, |c| c != ']');
    if j >= b.len() {
        return Err(unreadable("unterminated [identifier]"));
    }
    Ok(j + 1)
}

/// The end of a number starting at `i`: digits, a point, an exponent with its sign.
fn number_end(b: &[char], i: usize) -> usize {
    let mut j = i;
    while j < b.len()
        && (b[j].is_ascii_alphanumeric()
            || b[j] == '.'
            || ((b[j] == '+' || b[j] == '-') && matches!(b[j - 1], 'e' | 'E')))
    {
        j += 1;
    }
    j
}

/// The end of an operator starting at `i`: two-character operators stay together
/// so that re-joining is faithful.
fn operator_end(b: &[char], i: usize) -> usize {
    let two: String = b[i..(i + 2).min(b.len())].iter().collect();
    if matches!(
        two.as_str(),
        "<=" | ">=" | "<>" | "!=" | "==" | "||" | "<<" | ">>"
    ) {
        i + 2
    } else {
        i + 1
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(String, Kind, bool)> {
        tokenize(sql)
            .unwrap()
            .into_iter()
            .map(|t| (t.text, t.kind, t.space))
            .collect()
    }

    #[test]
    fn every_kind_of_token_with_its_spacing() {
        let got =
            texts("a_1$ \"q\"\"x\" `b` [c d] 'it''s' X'0f' 1.5e-3 .5 (x,y)<=>= -- c\n/* d */!");
        let t = |s: &str, k: Kind, sp: bool| (s.to_owned(), k, sp);
        assert_eq!(
            got,
            [
                t("a_1$", Kind::Word, false),
                t("\"q\"\"x\"", Kind::Quoted, true),
                t("`b`", Kind::Quoted, true),
                t("[c d]", Kind::Quoted, true),
                t("'it''s'", Kind::Str, true),
                t("X'0f'", Kind::Literal, true),
                t("1.5e-3", Kind::Literal, true),
                t(".5", Kind::Literal, true),
                t("(", Kind::Open, true),
                t("x", Kind::Word, false),
                t(",", Kind::Comma, false),
                t("y", Kind::Word, false),
                t(")", Kind::Close, false),
                t("<=", Kind::Other, false),
                t(">=", Kind::Other, false),
                t("!", Kind::Other, true),
            ]
        );
        assert!(tokenize("[open")
            .unwrap_err()
            .to_string()
            .contains("unterminated [identifier]"));
    }

    #[test]
    fn matching_close_skips_nested_groups() {
        let t = tokenize("f(a, (b), c) (d").unwrap();
        assert_eq!(matching_close(&t, 1), Some(9));
        assert_eq!(matching_close(&t, 4), Some(6));
        assert_eq!(matching_close(&t, 10), None);
    }
}
