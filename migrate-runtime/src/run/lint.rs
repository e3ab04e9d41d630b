//! The migration linter: what in a migration's typed operations is risky on a
//! live database, per dialect, with the safe way to do it.
//!
//! Only upgrades are read: a downgrade that drops what its upgrade created is
//! what a downgrade is for. A table counts as *existing* unless the migration
//! itself creates it: an operation on a table created in the same migration
//! touches no rows and no running code. Raw `execute` SQL and data steps are
//! not read, except that data and DDL in one MySQL migration are reported.
//! A finding is accepted after review by `op.reviewed("why")` right after the
//! operation, or for a whole migration by `#[migration(reviewed = "why")]`.

use std::collections::BTreeSet;

use super::plan;
use crate::chain::{Chain, Migration};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::ops::{ColumnDefault, Operation};
use crate::schema::model::{unseen, SchemaModel};

/// One risk the linter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule, e.g. `drop-column`.
    pub rule: &'static str,
    /// The migration.
    pub revision: &'static str,
    /// The operation, as logs show it.
    pub operation: String,
    /// The dialect it is risky on.
    pub dialect: Dialect,
    /// Why it is risky.
    pub why: &'static str,
    /// The safe way to do it.
    pub instead: &'static str,
    /// Why it was accepted, when it was reviewed.
    pub reviewed: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} [{}] {} ({}): {}; instead, {}",
            self.revision,
            self.rule,
            self.operation,
            self.dialect.name(),
            self.why,
            self.instead
        )?;
        if let Some(why) = &self.reviewed {
            write!(f, " (reviewed: {why})")?;
        }
        Ok(())
    }
}

/// Lints the upgrades of `chain`'s migrations at positions `range` for each
/// of `dialects`. Reviewed findings are returned too, with
/// [`Finding::reviewed`] set; the rest are errors.
pub fn lint(
    chain: &Chain,
    range: std::ops::RangeInclusive<usize>,
    dialects: &[Dialect],
) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    // The schema the migrations before each one build (their typed
    // operations): what a column's type was before a migration changes it.
    // After raw SQL that changes more than rows, or a data step, it is not
    // known any more (nor when an earlier migration cannot be recorded).
    let mut model = Some(SchemaModel::default());
    let follow = |model: &mut Option<SchemaModel>, op: &Operation| {
        if let Some(m) = model.as_mut() {
            if unseen(op) {
                *model = None;
            } else {
                m.apply(op);
            }
        }
    };
    for m in chain.migrations().get(..*range.start()).unwrap_or_default() {
        match m.record_upgrade() {
            Ok(op) => op
                .into_operations()
                .iter()
                .for_each(|o| follow(&mut model, o)),
            Err(_) => model = None,
        }
    }
    for m in chain.migrations().get(range).unwrap_or_default() {
        let op = m.record_upgrade()?;
        let reviews = op.reviews().to_vec();
        let ops = op.into_operations();
        let mut was = Vec::with_capacity(ops.len());
        for op in &ops {
            was.push(match (op, &model) {
                (Operation::AlterColumn(a), Some(m)) => m.column_type(&a.table, &a.column),
                _ => None,
            });
            follow(&mut model, op);
        }
        for &d in dialects {
            let mut found = Vec::new();
            lint_migration(m, &ops, &was, d, &mut found);
            for (i, mut f) in found {
                f.reviewed = reviews
                    .iter()
                    .find(|(at, _)| *at == i)
                    .map(|(_, why)| why.clone())
                    .or_else(|| m.review().map(str::to_owned));
                out.push(f);
            }
        }
    }
    Ok(out)
}

/// The tables a migration creates itself (also under a later name).
fn created_here(ops: &[Operation]) -> BTreeSet<String> {
    let mut created = BTreeSet::new();
    for op in ops {
        match op {
            Operation::CreateTable(t) => {
                created.insert(t.name.clone());
            }
            Operation::RenameTable { from, to } if created.contains(from) => {
                created.insert(to.clone());
            }
            _ => {}
        }
    }
    created
}

/// Server defaults PostgreSQL evaluates per row: adding a column with one
/// rewrites the table.
fn is_volatile(default: &Option<ColumnDefault>) -> bool {
    const VOLATILE: [&str; 6] = [
        "random(",
        "gen_random_uuid(",
        "uuid_generate_v",
        "clock_timestamp(",
        "timeofday(",
        "nextval(",
    ];
    match default {
        Some(ColumnDefault::Sql(sql)) => {
            let s = sql.to_ascii_lowercase().replace(' ', "");
            VOLATILE.iter().any(|v| s.contains(v))
        }
        _ => false,
    }
}

/// Lints one migration's `ops`; `was` holds, for each, the type the column
/// it alters had before it (where the model knows it).
fn lint_migration(
    m: &Migration,
    ops: &[Operation],
    was: &[Option<ColumnType>],
    d: Dialect,
    out: &mut Vec<(usize, Finding)>,
) {
    let created = created_here(ops);
    let existing = |t: &str| !created.contains(t);
    let pg = d == Dialect::Postgres;
    for (i, op) in ops.iter().enumerate() {
        let mut find = |rule, why, instead| {
            out.push((
                i,
                Finding {
                    rule,
                    revision: m.revision(),
                    operation: op.describe(),
                    dialect: d,
                    why,
                    instead,
                    reviewed: None,
                },
            ))
        };
        for (kind, name) in op.names() {
            if d.check_identifier(kind, name).is_err() {
                find(
                    "identifier-too-long",
                    "the name is longer than the database takes (PostgreSQL would cut it short and two names could become one)",
                    "shorten it",
                );
            }
        }
        lint_op(op, d, was.get(i).copied().flatten(), &existing, &mut find);
        if let Operation::Batch { table, ops } = op {
            for inner in ops {
                lint_op(inner, d, None, &|_: &str| existing(table), &mut find);
            }
        }
        if let Operation::CreateIndex(ix) = op {
            if pg && ix.concurrently && m.transactional() {
                find(
                    "concurrent-index-in-transaction",
                    "CREATE INDEX CONCURRENTLY cannot run inside a transaction: the migration fails",
                    "mark the migration #[migration(transaction = false)] and keep the index alone in it",
                );
            }
        }
    }
    let data = ops.iter().any(|o| plan::is_data(o, d));
    let ddl = ops.iter().any(|o| !plan::is_data(o, d));
    if d == Dialect::Mysql && data && ddl {
        if let Some(i) = ops.iter().position(|o| plan::is_data(o, d)) {
            out.push((
                i,
                Finding {
                    rule: "mysql-data-with-ddl",
                    revision: m.revision(),
                    operation: ops[i].describe(),
                    dialect: d,
                    why: "MySQL commits each DDL statement at once: a failure between the schema change and the data change leaves half a migration",
                    instead: "put the data change in a migration of its own (a migration of data only runs in one transaction)",
                    reviewed: None,
                },
            ));
        }
    }
}

/// Whether changing a column of type `was` to `to` is, on PostgreSQL, a change
/// of the catalog only: text to a longer limit or none (`VARCHAR(n)` to
/// `VARCHAR(m)`, m >= n, or to `TEXT`), the same binary value, so neither the
/// table nor its indexes are rewritten (seen on PostgreSQL 15 with the
/// statement this crate sends, `USING "c"::VARCHAR(m)`: the files of both
/// stayed the same). An unknown `was` (a column raw SQL made) is not.
fn widens(was: Option<ColumnType>, to: ColumnType) -> bool {
    let Some(was) = was else { return false };
    let text = |t: &ColumnType| t.kind == ColumnKind::Text && t.precision.is_none();
    text(&was)
        && text(&to)
        && match (was.length, to.length) {
            (_, None) => true,
            (Some(n), Some(m)) => m >= n,
            (None, Some(_)) => false,
        }
}

/// The rules about one operation on a table that may already hold rows.
fn lint_op(
    op: &Operation,
    d: Dialect,
    was: Option<ColumnType>,
    existing: &dyn Fn(&str) -> bool,
    find: &mut dyn FnMut(&'static str, &'static str, &'static str),
) {
    let pg = d == Dialect::Postgres;
    match op {
        Operation::DropTable { name, .. } if existing(name) => find(
            "drop-table",
            "its rows are gone, and replicas still running the previous release fail on the missing table",
            "stop using the table in one release, take a backup, and drop it in a later migration marked reviewed",
        ),
        Operation::DropColumn { table, .. } if existing(table) => find(
            "drop-column",
            "its values are gone, and replicas still running the previous release fail on the missing column",
            "stop reading and writing the column in one release, then drop it in a later migration marked reviewed",
        ),
        Operation::RenameTable { from, .. } if existing(from) => find(
            "rename-table",
            "replicas still running the previous release fail on the old name",
            "create the new table (or a view under the old name), move the code over, then drop the old one later",
        ),
        Operation::AlterColumn(a) if existing(&a.table) => {
            if a.new_name.is_some() {
                find(
                    "rename-column",
                    "replicas still running the previous release fail on the old name",
                    "add the new column, write both, backfill, move the reads over, then drop the old column later",
                );
            }
            if a.ty.is_some_and(|to| !(pg && widens(was, to))) {
                find(
                    "change-column-type",
                    "the table and its indexes are rewritten under an exclusive lock (a copy on MySQL, a rebuild on SQLite), and replicas read the old type",
                    "add a column of the new type, backfill it in batches, move the code over, then drop the old column",
                );
            }
            if a.nullable == Some(false) {
                find(
                    "set-not-null",
                    if pg {
                        "SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock, blocking reads and writes"
                    } else {
                        "the table is rewritten (MySQL's MODIFY, SQLite's rebuild) and fails on any NULL already there"
                    },
                    if pg {
                        "add CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT in a later migration, then SET NOT NULL (PostgreSQL 12+ skips the scan)"
                    } else {
                        "backfill the NULLs first, and run it when the table is quiet; mark it reviewed"
                    },
                );
            }
        }
        Operation::AddColumn { table, column, .. } if existing(table) => {
            if !column.nullable && column.default.is_none() && !column.autoincrement {
                find(
                    "add-not-null-column-without-default",
                    "it fails on a table that holds rows (MySQL fills in zeros and empty strings instead)",
                    "add it nullable or with a server default, backfill it, then set NOT NULL",
                );
            }
            if pg && is_volatile(&column.default) {
                find(
                    "volatile-default",
                    "a volatile default is evaluated for every row: the whole table is rewritten under an ACCESS EXCLUSIVE lock",
                    "add the column without a default (or with a constant), backfill it in batches, then set the default",
                );
            }
        }
        Operation::CreateIndex(ix) if pg && existing(&ix.table) && !ix.concurrently => find(
            "index-not-concurrent",
            "CREATE INDEX blocks every write to the table while it builds",
            "use .concurrently() in a migration marked #[migration(transaction = false)]",
        ),
        Operation::CreateUnique { table, .. } | Operation::CreatePrimaryKey { table, .. }
            if existing(table) =>
        {
            find(
                "add-unique-constraint",
                "it builds a unique index while blocking writes, and fails on rows that are already duplicates",
                if pg {
                    "create the unique index .concurrently() first, then ADD CONSTRAINT ... USING INDEX with op.execute"
                } else {
                    "look for duplicates first and run it when the table is quiet; mark it reviewed"
                },
            )
        }
        Operation::CreateForeignKey { table, .. } if pg && existing(table) => find(
            "constraint-not-valid",
            "adding a foreign key checks every row while blocking writes to both tables",
            "add it NOT VALID with op.execute, then VALIDATE CONSTRAINT in a later migration",
        ),
        Operation::CreateCheck { table, .. } if pg && existing(table) => find(
            "constraint-not-valid",
            "adding a check constraint scans every row under an ACCESS EXCLUSIVE lock",
            "add it NOT VALID with op.execute, then VALIDATE CONSTRAINT in a later migration",
        ),
        _ => {}
    }
}
