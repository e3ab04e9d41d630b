//! `upgrade --plan`: what an upgrade would do to this database, without doing
//! any of it or taking any lock: per pending migration, its statements for the
//! live dialect, where its transaction begins and ends, the table lock each
//! statement takes on PostgreSQL, the lint findings, and the SQLite tables a
//! rebuild copies, with their row counts.
//!
//! Facts come from the live database for tables the pending migrations have
//! not touched yet, and from the chain-built model for those they have (the
//! database does not have those changes yet).

use std::collections::BTreeSet;

use super::executor::Migrator;
use super::ledger::Ledger;
use super::lint::{lint, Finding};
use super::plan::{self, Action, Facts};
use crate::backend::{self, Backend};
use crate::chain::Migration;
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::ops::Operation;
use crate::schema::model::{ModelFacts, SchemaModel};
use crate::sql::{ExistingColumn, SchemaFacts};
use crate::sqlite::rebuild::TableSource;

/// What an upgrade would do, migration by migration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Plan {
    /// The database's dialect.
    pub dialect: Dialect,
    /// Where the database is (`None`: base).
    pub from: Option<String>,
    /// The migrations that would run, in order.
    pub migrations: Vec<PlannedMigration>,
}

/// One migration of a [`Plan`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedMigration {
    /// Its revision.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// Whether it runs in one transaction (else each statement commits).
    pub transaction: bool,
    /// What it does, operation by operation.
    pub steps: Vec<PlannedStep>,
    /// The linter's findings about it.
    pub findings: Vec<Finding>,
}

/// One planned action of a migration.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PlannedStep {
    /// The operations it applies, described.
    pub operation: String,
    /// Its statements, each with the table lock it takes on PostgreSQL.
    pub statements: Vec<(String, Option<&'static str>)>,
    /// A SQLite table rebuild: the table copied, the rows it holds now, and
    /// whether migrations before it in the plan change it first (then it will
    /// hold what they add too).
    pub copies: Option<(String, u64, bool)>,
    /// A data step (`op.run`): code, no statements to show.
    pub data_step: bool,
}

impl Migrator<'_> {
    /// What [`Migrator::upgrade`] to `target` would do, changing nothing and
    /// taking no lock. See [`Plan`].
    pub fn plan(&self, conn: &mut AnyConnection, target: &str) -> Result<Plan> {
        let b = backend::of(conn);
        let d = b.dialect();
        let current = self.position(conn)?;
        let ledger =
            Ledger::read(conn, b, &self.version_table, false)?.reconciled(self.chain, current);
        // What `upgrade` would refuse (an applied migration edited), the plan refuses.
        ledger.verify(self.chain)?;
        let to = self.chain.resolve(target, current)?;
        if to < current {
            return Err(Error::WrongDirection {
                target: target.to_owned(),
                current: self.rev_name(current),
                command: "downgrade",
            });
        }
        let jobs = self.upgrade_jobs(&ledger, current, to, d)?;
        let ms = self.chain.migrations();
        // The schema as the chain built it up to here, for the tables the
        // pending migrations change before later ones read them.
        let mut model = SchemaModel::default();
        for (i, m) in ms.iter().enumerate() {
            if jobs.contains(&i) {
                continue;
            }
            if Some(i) > current {
                break;
            }
            for op in plan::prepare(m.record_upgrade()?.into_operations(), d)? {
                model.apply(&op);
            }
        }
        let mut touched = BTreeSet::new();
        let mut out = Vec::new();
        for &i in &jobs {
            let m = &ms[i];
            let ops = plan::prepare(m.record_upgrade()?.into_operations(), d)?;
            let findings = lint(self.chain, i..=i, &[d])?;
            let steps = plan_ops(conn, b, &ops, &mut model, &mut touched)?;
            out.push(PlannedMigration {
                revision: m.revision().to_owned(),
                message: m.message().to_owned(),
                transaction: in_transaction(m, &ops, b),
                steps,
                findings,
            });
        }
        Ok(Plan {
            dialect: d,
            from: current.map(|c| ms[c].revision().to_owned()),
            migrations: out,
        })
    }
}

/// Whether the executor runs `m` in a transaction of its own.
fn in_transaction(m: &Migration, ops: &[Operation], b: &dyn Backend) -> bool {
    let d = b.dialect();
    let atomic = b.capabilities().migration_transactions()
        || (!ops.is_empty() && ops.iter().all(|o| plan::is_data(o, d)));
    atomic && m.transactional()
}

fn plan_ops(
    conn: &mut AnyConnection,
    b: &dyn Backend,
    ops: &[Operation],
    model: &mut SchemaModel,
    touched: &mut BTreeSet<String>,
) -> Result<Vec<PlannedStep>> {
    let d = b.dialect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < ops.len() {
        let planned = {
            let mut facts = PlanFacts {
                conn: &mut *conn,
                b,
                model,
                touched,
            };
            plan::next(d, ops, i, &mut facts)?
        };
        let covered = &ops[planned.ops.clone()];
        let operation = covered
            .iter()
            .map(Operation::describe)
            .collect::<Vec<_>>()
            .join(", ");
        let lock = |s: &String| (d == Dialect::Postgres).then(|| pg_lock(s));
        let step = match planned.action {
            Action::Sql(stmts) => PlannedStep {
                operation,
                statements: stmts.iter().map(|s| (s.clone(), lock(s))).collect(),
                copies: None,
                data_step: false,
            },
            Action::Rebuild { table, stmts } => {
                let rows = if b.table_exists(conn, &table)? {
                    row_count(conn, &table)?
                } else {
                    0
                };
                let changed_before = touched.contains(&table);
                PlannedStep {
                    operation,
                    statements: stmts.into_iter().map(|s| (s, None)).collect(),
                    copies: Some((table, rows, changed_before)),
                    data_step: false,
                }
            }
            Action::Data { .. } => PlannedStep {
                operation,
                statements: Vec::new(),
                copies: None,
                data_step: true,
            },
        };
        for op in covered {
            for (kind, name) in op.names() {
                if kind == "table" {
                    touched.insert(name.to_owned());
                }
            }
            model.apply(op);
        }
        steps.push(step);
        i = planned.ops.end;
    }
    Ok(steps)
}

fn row_count(conn: &mut AnyConnection, table: &str) -> Result<u64> {
    let n = conn.query_text(&format!(
        "SELECT CAST(count(*) AS TEXT) AS v FROM {}",
        Dialect::Sqlite.quote_ident(table)
    ))?;
    Ok(n.first()
        .and_then(|v| v.as_deref())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Facts for planning: the live database for tables no pending migration has
/// touched yet, the model for the rest.
struct PlanFacts<'c> {
    conn: &'c mut AnyConnection,
    b: &'c dyn Backend,
    model: &'c SchemaModel,
    touched: &'c BTreeSet<String>,
}

impl SchemaFacts for PlanFacts<'_> {
    fn existing_column(&mut self, table: &str, column: &str) -> Result<Option<ExistingColumn>> {
        if self.touched.contains(table) {
            let modelled = ModelFacts {
                model: self.model,
                dialect: self.b.dialect(),
            }
            .existing_column(table, column)?;
            // A table the chain's operations did not build (raw SQL): the live one.
            if modelled.is_some() {
                return Ok(modelled);
            }
        }
        self.b.existing_column(self.conn, table, column)
    }
}

impl Facts for PlanFacts<'_> {
    fn table_source(&mut self, table: &str) -> Result<TableSource> {
        if self.touched.contains(table) {
            match self.model.sqlite_source(table) {
                Err(Error::OfflineUnknownTable(_)) => {}
                other => return other,
            }
        }
        self.b.table_source(self.conn, table)
    }
}

/// The table lock a PostgreSQL statement takes, from its first words, as the
/// PostgreSQL documentation lists them ("Explicit Locking", table-level locks).
fn pg_lock(sql: &str) -> &'static str {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(12)
        .map(str::to_ascii_uppercase)
        .collect();
    let has = |w: &str| words.iter().any(|x| x == w);
    let starts = |a: &str, b: &str| {
        words.first().is_some_and(|x| x == a) && words.get(1).is_some_and(|x| x == b)
    };
    if starts("CREATE", "TABLE") {
        if sql.to_ascii_uppercase().contains("REFERENCES") {
            "SHARE ROW EXCLUSIVE on the referenced tables"
        } else {
            "none on existing tables"
        }
    } else if starts("CREATE", "INDEX") || starts("CREATE", "UNIQUE") {
        if has("CONCURRENTLY") {
            "SHARE UPDATE EXCLUSIVE (reads and writes go on)"
        } else {
            "SHARE (blocks writes)"
        }
    } else if starts("DROP", "INDEX") {
        if has("CONCURRENTLY") {
            "SHARE UPDATE EXCLUSIVE (reads and writes go on)"
        } else {
            "ACCESS EXCLUSIVE (blocks reads and writes)"
        }
    } else if starts("ALTER", "TABLE") {
        if has("FOREIGN") && !has("DROP") {
            "SHARE ROW EXCLUSIVE on both tables (blocks writes)"
        } else if has("VALIDATE") {
            "SHARE UPDATE EXCLUSIVE (reads and writes go on)"
        } else {
            "ACCESS EXCLUSIVE (blocks reads and writes)"
        }
    } else if starts("DROP", "TABLE") {
        "ACCESS EXCLUSIVE (blocks reads and writes)"
    } else if starts("COMMENT", "ON") {
        "SHARE UPDATE EXCLUSIVE (reads and writes go on)"
    } else if matches!(
        words.first().map(String::as_str),
        Some("INSERT" | "UPDATE" | "DELETE" | "MERGE")
    ) {
        "ROW EXCLUSIVE (the rows it changes)"
    } else if matches!(words.first().map(String::as_str), Some("SELECT" | "WITH")) {
        "ACCESS SHARE"
    } else {
        "see the statement"
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.migrations.is_empty() {
            return writeln!(
                f,
                "Nothing to upgrade: the database is at {}",
                self.from.as_deref().unwrap_or("<base>")
            );
        }
        writeln!(
            f,
            "Plan on {}, from {}: {} migration(s); nothing has been run",
            self.dialect.name(),
            self.from.as_deref().unwrap_or("<base>"),
            self.migrations.len()
        )?;
        for m in &self.migrations {
            writeln!(f, "\n{} {}", m.revision, m.message)?;
            if m.transaction {
                writeln!(f, "  BEGIN")?;
            } else {
                writeln!(f, "  (no transaction: each statement commits on its own)")?;
            }
            for s in &m.steps {
                writeln!(f, "  -- {}", s.operation)?;
                if s.data_step {
                    writeln!(f, "  (data step: code run on the connection)")?;
                }
                if let Some((table, rows, changed_before)) = &s.copies {
                    let more = if *changed_before {
                        ", and those the steps before add"
                    } else {
                        ""
                    };
                    writeln!(
                        f,
                        "  (rebuilds table {table} with foreign keys off: copies its {rows} row(s) now{more})"
                    )?;
                }
                for (sql, lock) in &s.statements {
                    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
                    match lock {
                        Some(l) => writeln!(f, "  {one_line};  -- lock: {l}")?,
                        None => writeln!(f, "  {one_line};")?,
                    }
                }
            }
            writeln!(f, "  (version table and ledger updated)")?;
            if m.transaction {
                writeln!(f, "  COMMIT")?;
            }
            for finding in &m.findings {
                let status = if finding.reviewed.is_some() {
                    "reviewed"
                } else {
                    "lint"
                };
                writeln!(
                    f,
                    "  {status}: [{}] {}: {}",
                    finding.rule, finding.operation, finding.why
                )?;
            }
        }
        Ok(())
    }
}

/// `s` as a JSON string, quoted.
pub(crate) fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Plan {
    /// The plan as JSON, for tools: the same fields as the struct.
    pub fn to_json(&self) -> String {
        let opt = |s: Option<&str>| s.map_or("null".to_owned(), json_str);
        let migrations: Vec<String> = self
            .migrations
            .iter()
            .map(|m| {
                let steps: Vec<String> = m
                    .steps
                    .iter()
                    .map(|s| {
                        let stmts: Vec<String> = s
                            .statements
                            .iter()
                            .map(|(sql, lock)| {
                                format!("{{\"sql\":{},\"lock\":{}}}", json_str(sql), opt(*lock))
                            })
                            .collect();
                        let copies = s.copies.as_ref().map_or("null".to_owned(), |(t, n, c)| {
                            format!(
                                "{{\"table\":{},\"rows_now\":{n},\"changed_before\":{c}}}",
                                json_str(t)
                            )
                        });
                        format!(
                            "{{\"operation\":{},\"statements\":[{}],\"copies\":{copies},\"data_step\":{}}}",
                            json_str(&s.operation),
                            stmts.join(","),
                            s.data_step
                        )
                    })
                    .collect();
                let findings: Vec<String> = m
                    .findings
                    .iter()
                    .map(|f| {
                        format!(
                            "{{\"rule\":{},\"operation\":{},\"why\":{},\"instead\":{},\"reviewed\":{}}}",
                            json_str(f.rule),
                            json_str(&f.operation),
                            json_str(f.why),
                            json_str(f.instead),
                            opt(f.reviewed.as_deref())
                        )
                    })
                    .collect();
                format!(
                    "{{\"revision\":{},\"message\":{},\"transaction\":{},\"steps\":[{}],\"findings\":[{}]}}",
                    json_str(&m.revision),
                    json_str(&m.message),
                    m.transaction,
                    steps.join(","),
                    findings.join(",")
                )
            })
            .collect();
        format!(
            "{{\"dialect\":{},\"from\":{},\"migrations\":[{}]}}\n",
            json_str(self.dialect.name()),
            opt(self.from.as_deref()),
            migrations.join(",")
        )
    }
}
