//! One column definition of a SQLite `CREATE TABLE`, and the edits a table
//! rebuild makes to it: its type, nullability and default, leaving every other
//! clause (collations, checks, references, generated expressions) as written.

use crate::error::Result;
use crate::sqlite::ddl::mentions_ident;
use crate::sqlite::tokens::{matching_close, tokenize, Kind, Token};

/// One column definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDdl {
    /// Its name, unquoted.
    pub name: String,
    /// Everything after the name: type, then column constraints.
    pub rest: Vec<Token>,
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
            if COLUMN_CONSTRAINT_WORDS.iter().any(|w| self.rest[i].word(w)) {
                break;
            }
            // `VARCHAR(10)`: the parenthesized arguments are part of the type.
            i = self.skip(i);
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
        matching_close(&self.rest, i).map_or(self.rest.len(), |j| j + 1)
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
    pub(crate) fn expr_len(&self, i: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use crate::sqlite::ddl::parse;
    use crate::sqlite::ddl::tests::SQL;
    use crate::sqlite::tokens::join;

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
}
