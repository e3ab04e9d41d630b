//! The planner: from a migration's recorded operations to the actions that
//! apply them (statements, a table rebuild, a data step).
//!
//! It is the only place that decides how operations become SQL. Its two
//! consumers are the executor, which runs each action on a live connection
//! ([`crate::run::executor`]), and the offline script, which prints it
//! ([`crate::run::offline`]); so online and offline cannot disagree. Facts the
//! planner needs about the schema at that point come from the live database or
//! from the chain-built model, through [`Facts`].

use std::ops::Range;

use crate::backend;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::ops::Operation;
use crate::sql::{self, SchemaFacts};
use crate::sqlite::rebuild::{self, TableSource};

/// What the planner needs to know about the schema as it is before an action.
pub(crate) trait Facts: SchemaFacts {
    /// A table's definition, for a rebuild.
    fn table_source(&mut self, table: &str) -> Result<TableSource>;
}

/// How the operations of one planned range are applied.
#[derive(Debug)]
pub(crate) enum Action {
    /// Statements to run in order.
    Sql(Vec<String>),
    /// A table rebuild: statements that must never be half applied, so they
    /// get a transaction of their own when the migration runs without one.
    Rebuild {
        /// The rebuilt table.
        table: String,
        /// The statements.
        stmts: Vec<String>,
    },
    /// A data step (`op.run`): code that needs the live connection.
    Data {
        /// What it does, as the migration described it.
        description: String,
    },
}

/// An action and the operations it applies.
#[derive(Debug)]
pub(crate) struct Planned {
    /// The action.
    pub action: Action,
    /// The indexes of the operations it applies.
    pub ops: Range<usize>,
}

/// Prepares a migration's recorded operations for `dialect` (batches grouped
/// or flattened, renames split; see [`rebuild::prepare`]).
/// Every name is checked against the dialect's identifier limit first.
pub(crate) fn prepare(ops: Vec<Operation>, dialect: Dialect) -> Result<Vec<Operation>> {
    for op in &ops {
        for (kind, name) in op.names() {
            dialect.check_identifier(kind, name)?;
        }
    }
    rebuild::prepare(ops, dialect)
}

/// Whether some operation of a prepared list may rebuild a table on `dialect`
/// (the executor then switches foreign key enforcement off around it).
pub(crate) fn may_rebuild(ops: &[Operation], dialect: Dialect) -> bool {
    backend::for_dialect(dialect).capabilities().rebuilds_tables
        && ops.iter().any(rebuild::may_rebuild)
}

/// Plans the operations from `ops[start]` on: one action, and the range of
/// operations it covers. Consecutive changes to one table share a rebuild.
pub(crate) fn next(
    dialect: Dialect,
    ops: &[Operation],
    start: usize,
    facts: &mut dyn Facts,
) -> Result<Planned> {
    let op = &ops[start];
    let one = start..start + 1;
    if let Operation::Run { description, .. } = op {
        return Ok(Planned {
            action: Action::Data {
                description: description.clone(),
            },
            ops: one,
        });
    }
    if backend::for_dialect(dialect).capabilities().rebuilds_tables && rebuild::may_rebuild(op) {
        if let Some(table) = rebuild::table_of(op) {
            let src = facts.table_source(table)?;
            if rebuild::needs_rebuild(op, &src)? {
                let mut end = start + 1;
                while end < ops.len()
                    && rebuild::may_rebuild(&ops[end])
                    && rebuild::table_of(&ops[end]) == Some(table)
                    && rebuild::needs_rebuild(&ops[end], &src)?
                {
                    end += 1;
                }
                let group: Vec<&Operation> = ops[start..end].iter().collect();
                return Ok(Planned {
                    action: Action::Rebuild {
                        table: table.to_owned(),
                        stmts: rebuild::plan(table, &src, &group)?,
                    },
                    ops: start..end,
                });
            }
        }
    }
    Ok(Planned {
        action: Action::Sql(sql::operation(dialect, op, facts)?),
        ops: one,
    })
}

/// Whether an operation only changes data (rows), never the schema: a
/// migration of such operations runs in a transaction even where DDL cannot.
pub(crate) fn is_data(op: &Operation, dialect: Dialect) -> bool {
    match op {
        Operation::BulkInsert { .. } | Operation::Run { .. } => true,
        Operation::Execute(e) => e.for_dialect(dialect).is_none_or(is_dml),
        _ => false,
    }
}

/// Whether every statement of `sql` is a data statement (`INSERT`, `UPDATE`,
/// `DELETE`, ...), judged by its first word outside strings and comments.
fn is_dml(sql: &str) -> bool {
    const DML: [&str; 8] = [
        "INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH", "VALUES", "MERGE",
    ];
    let mut statements: Vec<String> = vec![String::new()];
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' | '`' => {
                // Quoted text: its contents never start a statement.
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                }
                if let Some(s) = statements.last_mut() {
                    s.push(' ');
                }
            }
            // `-- ` and MySQL's `#` comments run to the end of the line.
            '-' if chars.peek() == Some(&'-') => skip_line(&mut chars),
            '#' => skip_line(&mut chars),
            // MySQL runs `/*! ... */` as code: judge it as code.
            '/' if chars.peek() == Some(&'*') && chars.clone().nth(1) == Some('!') => return false,
            '/' if chars.peek() == Some(&'*') => {
                let mut prev = ' ';
                for q in chars.by_ref() {
                    if prev == '*' && q == '/' {
                        break;
                    }
                    prev = q;
                }
            }
            ';' => statements.push(String::new()),
            c => {
                if let Some(s) = statements.last_mut() {
                    s.push(c);
                }
            }
        }
    }
    let mut any = false;
    for s in &statements {
        let s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if s.trim().is_empty() {
            continue;
        }
        let word: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if !DML.iter().any(|k| word.eq_ignore_ascii_case(k)) {
            return false;
        }
        any = true;
    }
    any
}

fn skip_line(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for q in chars.by_ref() {
        if q == '\n' {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_dml;

    #[test]
    fn data_statements() {
        assert!(is_dml("UPDATE t SET a = 1"));
        assert!(is_dml(
            "  -- backfill\n insert into t values (';alter table x')"
        ));
        assert!(is_dml(
            "WITH x AS (SELECT 1) UPDATE t SET a = 2; DELETE FROM t"
        ));
        assert!(!is_dml("UPDATE t SET a = 1; ALTER TABLE t ADD b INT"));
        assert!(!is_dml("CREATE INDEX i ON t (a)"));
        assert!(!is_dml("/* note */ DROP TABLE t"));
        assert!(!is_dml(""));
        assert!(!is_dml(
            "UPDATE t SET a = 1; # note\nALTER TABLE t ADD b INT"
        ));
        assert!(!is_dml("/*!40101 ALTER TABLE t ADD b INT */"));
        assert!(!is_dml("UPDATE t SET a = 1; 1 + 1"));
        assert!(is_dml("# note\nDELETE FROM t"));
    }
}
