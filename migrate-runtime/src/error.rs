//! Errors: what happened, to which revision, and what to do next.
//!
//! One variant per cause a caller may match on, each with its [`Error::hint`].
//! [`Error::Message`] is only for what migration code raises itself.

use std::time::Duration;

use crate::dialect::Dialect;

/// Everything that can go wrong, from a bad URL to a failing migration.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operation the dialect cannot do.
    #[error("{operation} is not supported on {dialect}: {reason}")]
    Unsupported {
        /// The operation, as `Operation::describe` shows it.
        operation: String,
        /// The dialect.
        dialect: Dialect,
        /// Why.
        reason: String,
    },
    /// An operation whose arguments make no sense (no columns, mismatched rows).
    #[error("{0}")]
    InvalidOperation(String),
    /// A change a SQLite table rebuild cannot make to the table as it is.
    #[error("{0}")]
    Rebuild(String),
    /// SQL text (a SQLite table definition) that cannot be read.
    #[error("cannot read the table definition{0}")]
    UnreadableDefinition(String),
    /// A table that does not exist where an operation needs it.
    #[error("no table named {0}")]
    NoSuchTable(String),
    /// An offline SQLite rebuild of a table the chain's own operations did not create.
    #[error("offline SQL cannot rebuild table {0}: the chain's operations did not create it (it may come from raw SQL); run this upgrade against the database instead")]
    OfflineUnknownTable(String),
    /// A name longer than the database takes (PostgreSQL would cut it short
    /// silently, and two long names sharing their first 63 bytes would be one).
    #[error(
        "the {kind} name `{name}` is {length} {unit} long; {dialect} takes at most {limit} {unit}"
    )]
    IdentifierTooLong {
        /// What it names: table, column, index, constraint.
        kind: &'static str,
        /// The name.
        name: String,
        /// Its length in `unit`s.
        length: usize,
        /// The dialect.
        dialect: Dialect,
        /// The longest allowed.
        limit: usize,
        /// `bytes` (PostgreSQL) or `characters` (MySQL).
        unit: &'static str,
    },
    /// A connection URL that cannot be understood.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, password hidden.
        url: String,
        /// Why.
        reason: String,
    },
    /// No URL given anywhere.
    #[error("no database URL: pass --url, set DATABASE_URL, or write DATABASE_URL=... in .env")]
    NoUrl,
    /// A backend this build was compiled without.
    #[error("this build has no {dialect} support: rebuild with the cargo feature `{feature}`")]
    BackendDisabled {
        /// The dialect asked for.
        dialect: Dialect,
        /// The feature to turn on.
        feature: &'static str,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {message}")]
    Connect {
        /// The URL, password hidden.
        url: String,
        /// The driver's message.
        message: String,
    },
    /// A SQLite database whose directory does not exist.
    #[error("cannot open SQLite database {path}: the directory {dir} does not exist")]
    MissingDirectory {
        /// Resolved absolute path of the database file.
        path: String,
        /// Its missing directory.
        dir: String,
    },
    /// An error from the database.
    #[error("database error: {}", database_message(.0))]
    Database(#[from] diesel::result::Error),
    /// What the database reported about its schema could not be understood.
    #[error("unexpected answer from the database: {0}")]
    Introspection(String),
    /// The database is at a revision this chain does not have.
    #[error("Can't locate revision identified by '{0}'")]
    UnknownRevision(String),
    /// A revision prefix that matches several revisions.
    #[error("ambiguous revision '{prefix}': it is a prefix of {}", candidates.join(", "))]
    AmbiguousRevision {
        /// The prefix given.
        prefix: String,
        /// The revisions it matches.
        candidates: Vec<String>,
    },
    /// A target that cannot be reached from here (`+5` with 2 migrations left, ...).
    #[error("{0}")]
    BadTarget(String),
    /// An upgrade to a revision below the current one, or a downgrade above it.
    #[error("target {target} is {} the current revision {current}: use {command}", if *command == "downgrade" { "below" } else { "above" })]
    WrongDirection {
        /// The target given.
        target: String,
        /// The current revision (`base` when none).
        current: String,
        /// The command that goes there.
        command: &'static str,
    },
    /// A command used in a way it does not support.
    #[error("{0}")]
    Usage(String),
    /// A fleet's target that cannot be read (a line of its targets file, a
    /// row of its catalog), with why.
    #[error("{place}: {source}")]
    Target {
        /// Where: `targets file, line 3`, `catalog row 2`.
        place: String,
        /// Why.
        source: Box<Error>,
    },
    /// A schema for a target that cannot have one, or that does not exist.
    #[error("{0}")]
    Schema(String),
    /// A downgrade that would cross an irreversible migration.
    #[error("cannot downgrade past revision {revision} ({message}): it is marked irreversible; nothing was changed")]
    Irreversible {
        /// The irreversible migration.
        revision: String,
        /// Its message.
        message: String,
    },
    /// A migration that failed while running.
    #[error("{direction} {revision} ({message}) failed at operation {index} of {total}, {operation}: {source}")]
    MigrationFailed {
        /// `upgrade` or `downgrade`.
        direction: &'static str,
        /// The migration.
        revision: String,
        /// Its message.
        message: String,
        /// 1-based operation number.
        index: usize,
        /// Number of operations in the migration.
        total: usize,
        /// The operation, described.
        operation: String,
        /// What went wrong.
        source: Box<Error>,
    },
    /// The version table holds more than one row (a branched Alembic database).
    #[error("the version table {table} holds several revisions ({}); this tool manages one linear chain", revisions.join(", "))]
    MultipleVersions {
        /// The table.
        table: String,
        /// Its rows.
        revisions: Vec<String>,
    },
    /// The version table holds a row that is no revision (NULL or empty).
    #[error("the version table {table} holds {found} instead of a revision")]
    BadVersionRow {
        /// The table.
        table: String,
        /// What it holds: `NULL` or `an empty string`.
        found: &'static str,
    },
    /// An applied migration whose code changed since it was applied here.
    #[error("revision {revision} was edited after it was applied to this database{}: the ledger recorded checksum {recorded}, its code now has {current}", applied_when(applied_at))]
    Edited {
        /// The migration.
        revision: String,
        /// When it was applied.
        applied_at: String,
        /// The checksum the ledger holds.
        recorded: String,
        /// The checksum of its code now.
        current: String,
    },
    /// Revisions that lie before the current one in the chain but never ran on
    /// this database (a branch merged and re-pointed after the other one ran).
    #[error("{} before the current revision {current} in the chain but {} never applied to this database", describe_missing(missing), if missing.len() == 1 { "was" } else { "were" })]
    OutOfOrder {
        /// The missing revisions, with their 1-based position in the chain.
        missing: Vec<(String, usize)>,
        /// The current revision.
        current: String,
    },
    /// A migration that ran without a transaction and stopped partway: what was
    /// asked cannot be done until it is finished.
    #[error("{0}")]
    HalfApplied(Box<HalfApplied>),
    /// A half-applied migration whose number of operations changed since it
    /// stopped: where it stopped no longer says which operations ran.
    #[error("revision {revision} stopped after {done} of {was} operations, and the operations before that point have changed since (it now has {now}): it cannot resume where it stopped")]
    ResumeChanged {
        /// The migration.
        revision: String,
        /// Operations it completed.
        done: usize,
        /// Operations it had then.
        was: usize,
        /// Operations it has now.
        now: usize,
    },
    /// A migration that runs without a transaction, on a database whose run
    /// lock could not be taken: two runs could both apply it.
    #[error("revision {revision} runs without a transaction, which is not safe without the run lock, and {lock} could not be taken")]
    NoRunLock {
        /// The migration.
        revision: String,
        /// The lock that could not be taken.
        lock: String,
    },
    /// Data steps (`op.run`) in the range of an offline script: no SQL can hold them.
    #[error("the range holds data steps (op.run) that no SQL script can run, in {}: the script would leave their data undone", .0.join(", "))]
    DataStepsOffline(Vec<String>),
    /// A migration with a data step (`op.run`) given to diesel's
    /// `MigrationHarness`, which hands a migration nothing but a connection
    /// for SQL.
    #[error("revision {revision} ({message}) has a data step (op.run) that diesel's MigrationHarness cannot run: apply it with `migrate upgrade` (or migrate_runtime::upgrade_to_head), which runs data steps")]
    HarnessDataStep {
        /// The revision.
        revision: String,
        /// Its message.
        message: String,
    },
    /// diesel's `MigrationHarness` on a database that this crate's own
    /// executor manages (it has the version table): the harness only knows
    /// `__diesel_schema_migrations` and would run applied migrations again.
    #[error("this database has the version table {table}: `migrate` manages it, and diesel's MigrationHarness, which reads only __diesel_schema_migrations, would apply its migrations again; nothing was run")]
    HarnessManaged {
        /// The version table found.
        table: String,
    },
    /// diesel's `MigrationHarness` asked to apply a migration that lies below
    /// one already applied: a migration was inserted or re-pointed below
    /// what this database has, or the chain was reordered.
    #[error("revision {revision} cannot run through diesel's MigrationHarness: {reason}; nothing was run")]
    HarnessOrder {
        /// The revision the harness was about to apply.
        revision: String,
        /// What the database records that contradicts it.
        reason: String,
    },
    /// Rows of diesel's `__diesel_schema_migrations` that do not place the
    /// database in the chain.
    #[error("{0}")]
    DieselVersions(String),
    /// A diesel_migrations directory that `migrate import diesel` cannot turn
    /// into migrations.
    #[error("{0}")]
    Import(String),
    /// Another run held the run lock for longer than a run waits.
    #[error("timed out after {} s waiting for another migration run to release {lock}{}", waited.as_secs(), holder.as_ref().map_or(String::new(), |h| format!(" (held by {h})")))]
    LockTimeout {
        /// How long this run waited.
        waited: Duration,
        /// The lock.
        lock: String,
        /// Who held it, when the database could tell.
        holder: Option<String>,
    },
    /// A migration's DDL timed out waiting for a table lock on every attempt;
    /// each attempt was rolled back.
    #[error("{direction} {revision} gave up after {attempts} attempts: each waited {} ms for a lock on table {table} and was rolled back{}", timeout.as_millis(), blockers.as_ref().map_or(String::new(), |b| format!("; held by {b}")))]
    LockRetriesExhausted {
        /// `upgrade` or `downgrade`.
        direction: &'static str,
        /// The migration.
        revision: String,
        /// The table it waited for.
        table: String,
        /// How many times it tried.
        attempts: u32,
        /// How long each attempt waited.
        timeout: Duration,
        /// The sessions holding locks on the table at the last attempt.
        blockers: Option<String>,
    },
    /// A run lost its lock row's lease (Galera) and another run took it.
    #[error("this run lost the run lock in {lock}: {now}; it stopped before the next migration")]
    LockLost {
        /// The lock table.
        lock: String,
        /// What the lock table says now, as the message's reason: another
        /// run holds the row (named), or no row is there.
        now: String,
    },
    /// A SQLite table rebuild inside a transaction the caller opened.
    #[error("a SQLite table rebuild needs foreign key enforcement switched off, which SQLite refuses inside an open transaction; run the migrations outside of a transaction")]
    ForeignKeysInTransaction,
    /// Rows that break a foreign key after a table rebuild.
    #[error("foreign key violations after the change: {}", .0.join("; "))]
    ForeignKeyViolations(Vec<String>),
    /// A chain that is not valid (only possible for chains built at run time).
    #[error("invalid migration chain: {0}")]
    Chain(String),
    /// The migrations directory differs from the chain compiled into this binary.
    #[error("{0}")]
    DirectoryDrift(String),
    /// A diesel `schema.rs` that cannot be read.
    #[error("{0}")]
    SchemaFile(String),
    /// The schema at head differs from the diesel `table!` declarations.
    #[error("the schema at head differs from the table! declarations (autogenerate would write: {})", .0.join("; "))]
    ModelsDiffer(Vec<String>),
    /// Lint findings nobody reviewed.
    #[error("{} lint finding(s) not reviewed:\n{}", .0.len(), .0.join("\n"))]
    Lint(Vec<String>),
    /// A file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// An error, and a second one while cleaning up after it (a rollback, a
    /// pragma switched back on): the connection may be left in a bad state.
    #[error("{source}; then, while cleaning up: {cleanup}")]
    Cleanup {
        /// The first error.
        source: Box<Error>,
        /// The cleanup's error.
        cleanup: Box<Error>,
    },
    /// An error raised by migration code.
    #[error("{0}")]
    Message(String),
}

/// What [`Error::HalfApplied`] knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalfApplied {
    /// The migration.
    pub revision: String,
    /// Its message.
    pub message: String,
    /// `upgrade` or `downgrade`: the run that stopped.
    pub direction: &'static str,
    /// Operations it completed.
    pub done: usize,
    /// Its operations.
    pub total: usize,
    /// Why it stopped, when known.
    pub note: Option<String>,
    /// What is refused, and why.
    pub refused: String,
    /// What to do.
    pub fix: String,
}

impl std::fmt::Display for HalfApplied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let half = if self.direction == "upgrade" {
            "applied"
        } else {
            "reverted"
        };
        write!(
            f,
            "revision {} ({}) is half-{half}: its {} stopped after {} of {} operations",
            self.revision, self.message, self.direction, self.done, self.total
        )?;
        if let Some(n) = &self.note {
            write!(f, " ({n})")?;
        }
        write!(f, "; {}", self.refused)
    }
}

/// ` (<date> UTC)` when the ledger recorded one.
fn applied_when(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!(" ({at} UTC)")
    }
}

fn describe_missing(missing: &[(String, usize)]) -> String {
    let list: Vec<String> = missing
        .iter()
        .map(|(r, p)| format!("{r} (position {p})"))
        .collect();
    if missing.len() == 1 {
        format!("revision {} lies", list.join(""))
    } else {
        format!("revisions {} lie", list.join(", "))
    }
}

/// Debug shows the readable message, so that `.unwrap()` and `fn main() -> Result`
/// print what Display prints, with the hint.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        if let Some(h) = self.hint() {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// The database's message. SQLite names a missing column as it was written,
/// quotes and all, so a quoted name comes out with its quotes doubled
/// (`no such column: ""email""`): shown with one pair.
fn database_message(e: &diesel::result::Error) -> String {
    let m = e.to_string();
    if let Some(inner) = m
        .strip_prefix("no such column: \"\"")
        .and_then(|n| n.strip_suffix("\"\""))
    {
        return format!("no such column: \"{inner}\"");
    }
    m
}

impl Error {
    /// An error with a message, for migration code: `return Err(Error::msg("..."))`.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    pub(crate) fn cleanup(source: Error, cleanup: Error) -> Self {
        Error::Cleanup {
            source: Box::new(source),
            cleanup: Box::new(cleanup),
        }
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::UnknownRevision(_) => "the database was migrated by code this build does not have: check out the branch that has that revision, restore a backup, or, if you are sure of its schema, `migrate stamp --purge REV` to set it to a known revision (a plain `stamp` stops at the unknown one too)".into(),
            Error::AmbiguousRevision { .. } => "give more characters of the revision id".into(),
            Error::BackendDisabled { .. } => "add the feature to migrate-runtime in Cargo.toml".into(),
            Error::Connect { url, message } => connect_hint(url, message).into(),
            Error::MissingDirectory { .. } => "create the directory, or fix the path in the URL".into(),
            Error::InvalidUrl { .. } => "use sqlite:///relative.db, sqlite:////absolute.db, a bare file path, postgres://user@host/db or mysql://user@host/db".into(),
            Error::NoUrl => "e.g. DATABASE_URL=sqlite:///app.db".into(),
            Error::MigrationFailed { source, .. } => failure_hint(source),
            Error::Irreversible { .. } => "write a downgrade for it, or restore a backup".into(),
            Error::MultipleVersions { .. } => "merge the branches with Alembic first, or `stamp` one revision with --purge".into(),
            Error::LockTimeout { .. } => "another run is still migrating this database: wait for it (--lock-wait sets how long), or stop the process that holds the lock".into(),
            Error::LockRetriesExhausted { .. } => "the database is unchanged: run again when the sessions holding the table are done (or end them, e.g. pg_terminate_backend(pid)); --lock-timeout and --lock-retries set how long and how often a migration waits".into(),
            Error::Lint(_) => "make each change the safe way the finding names, or accept it after review with op.reviewed(\"why\") right after the operation, or #[migration(reviewed = \"why\")]".into(),
            Error::LockLost { .. } => "run `migrate upgrade` again once the other run is done; a single statement that runs longer than the lease (60 s) on Galera should be split".into(),
            Error::OfflineUnknownTable(_) => "run the upgrade against the database, or create the table with the chain's own operations".into(),
            Error::DirectoryDrift(_) => "rebuild the binary (cargo build) so that it includes the change".into(),
            Error::ModelsDiffer(_) => "run `migrate revision --autogenerate -m \"...\"`, or fix schema.rs".into(),
            Error::Cleanup { source, .. } => return source.hint(),
            Error::Target { source, .. } => return source.hint(),
            Error::Schema(_) => "schemas are PostgreSQL's: create the schema first (CREATE SCHEMA), connect directly rather than through a transaction pooler, and give MySQL or SQLite a database per tenant".into(),
            Error::ResumeChanged { revision, done, .. } => format!("keep the first {done} operations of {revision} as they were when it stopped and change only what comes after; or undo what ran by hand and run `migrate forget {revision}`"),
            Error::NoRunLock { .. } => "make the directory of the database writable (the lock file sits beside it), or run this migration where no other run can start".into(),
            Error::HarnessDataStep { .. } => "diesel's harness runs SQL only; `migrate upgrade` applies the whole chain and adopts what the harness applied (from __diesel_schema_migrations), after which the service should call migrate_runtime::upgrade_to_head instead of run_pending_migrations".into(),
            Error::HarnessManaged { .. } => "apply the chain with migrate_runtime::upgrade_to_head (or `migrate upgrade`) instead of run_pending_migrations".into(),
            Error::HarnessOrder { .. } => "apply the chain with `migrate upgrade`, whose ledger finds such revisions and applies them with `--out-of-order` after review".into(),
            Error::DieselVersions(_) => "import the diesel migrations directory this database was migrated with (`migrate import diesel PATH`), so that every version it records is a revision of the chain; or stamp the database (`migrate stamp REV --purge`) at the revision its schema is at. When __diesel_schema_migrations is another application's, sharing the database, `migrate stamp base --purge` starts this chain's own record beside it, and diesel's table is not read again".into(),
            Error::Import(_) => "fix the directory as the message says, or pass --force to write over migration files an earlier import wrote".into(),
            Error::DataStepsOffline(_) => "run the upgrade against the database, or pass --skip-data-steps to write them as marked comments and do them by hand".into(),
            Error::BadVersionRow { .. } => "stamp the database at the revision its schema is at: `migrate stamp <revision> --purge`".into(),
            Error::Edited { revision, .. } => format!("review the change: if this database needs nothing more from it, record the new checksum with `migrate accept {revision}`; otherwise restore the file and put the change in a new migration"),
            Error::OutOfOrder { current, .. } => format!("review them, then apply them now with `migrate upgrade --out-of-order`: the ledger records that they ran after {current}, and downgrades undo them first"),
            Error::HalfApplied(h) => h.fix.clone(),
            Error::IdentifierTooLong { .. } => "shorten the name; nothing was run".into(),
            Error::BadTarget(_) => "a target is head, base, +N, -N, a revision or a unique prefix of one, or <rev>+N; `migrate history` lists them".into(),
            Error::Chain(_) => "fix the chain as the message says; when two migrations have the same parent after a merge, the later one follows the other (the guide's team workflow page)".into(),
            Error::Database(_) => "the database refused the statement with the message above; `migrate upgrade --plan` shows what would run".into(),
            Error::ForeignKeyViolations(_) => "fix or delete the rows named, then run again; the change was rolled back".into(),
            Error::ForeignKeysInTransaction => "call upgrade or downgrade outside a transaction of your own".into(),
            Error::Introspection(_) => "the database answered in a form this version does not know: report it with the database's version".into(),
            Error::InvalidOperation(_) => "fix the operation's arguments in the migration".into(),
            Error::Io { .. } => "check the path and its permissions".into(),
            Error::Message(_) => "the migration's own code raised it: fix the migration and run the command again".into(),
            Error::NoSuchTable(_) => "check the table's name in the migration, or apply the migration that creates it first".into(),
            Error::Rebuild(_) => "change the migration as the message says (SQLite rebuilds a table for the changes its ALTER TABLE cannot make)".into(),
            Error::SchemaFile(_) => "fix the table! declarations, or give another file with --schema".into(),
            Error::UnreadableDefinition(_) => "recreate the table with the chain's own operations, or change it with op.execute".into(),
            Error::Unsupported { .. } => "write it for this database with op.execute_per_dialect, or use an operation it supports".into(),
            Error::Usage(_) => "see `migrate --help`, or `migrate <command> --help`".into(),
            Error::WrongDirection { command, .. } => format!("run `migrate {command}` to go there"),
        })
    }
}

/// The hint for a failed connection, from what the driver said.
fn connect_hint(url: &str, message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    // A connection string (key=value) is PostgreSQL's, not a path.
    let sqlite = url.starts_with("sqlite") || (!url.contains("://") && !url.contains('='));
    if sqlite {
        "check the file's path and that its directory can be written (SQLite creates the file and a journal beside it)"
    } else if m.contains("password authentication failed")
        || m.contains("access denied")
        || m.contains("no password supplied")
    {
        "check the user and password in the URL (--url, DATABASE_URL or .env)"
    } else if m.contains("role") && m.contains("does not exist") {
        "create the role on the server, or fix the user name in the URL"
    } else if m.contains("does not exist") || m.contains("unknown database") {
        "create the database first (createdb, or CREATE DATABASE), or fix its name in the URL"
    } else {
        "check that the server is running and the URL (--url, DATABASE_URL or .env) is right"
    }
}

/// The hint for a migration that failed, from its cause.
fn failure_hint(source: &Error) -> String {
    let m = source.to_string().to_ascii_lowercase();
    if m.contains("readonly database") {
        "the database cannot be written (the file's permissions, or mode=ro in the URL): make it writable and run the command again; the failed migration changed nothing"
    } else if m.contains("read-only transaction") {
        "the server only reads (a standby, or default_transaction_read_only): connect to the primary and run the command again"
    } else if m.contains("database is locked") {
        "another process held the database's write lock for too long: stop it, or run again when it is done"
    } else if m.contains("disk") && m.contains("full") {
        "the disk is full: free space and run the command again"
    } else if let (false, Some(own)) = (matches!(source, Error::Database(_)), source.hint()) {
        // The cause's own advice (a name too long, a lock lost), not a generic one.
        return own;
    } else {
        "fix the migration and run the command again: it resumes from the last revision that was applied"
    }
    .into()
}

/// The result type of migration functions and of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_names_a_missing_quoted_column_with_one_pair_of_quotes() {
        let db = |m: &str| {
            Error::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::Unknown,
                Box::new(m.to_owned()),
            ))
            .to_string()
        };
        assert_eq!(
            db("no such column: \"\"email\"\""),
            "database error: no such column: \"email\""
        );
        // A name with a quote in it stays quoted as SQL writes it.
        assert_eq!(
            db("no such column: \"\"a\"\"b\"\""),
            "database error: no such column: \"a\"\"b\""
        );
        assert_eq!(
            db("no such column: \"[br]\""),
            "database error: no such column: \"[br]\""
        );
        assert_eq!(
            db("no such column: email"),
            "database error: no such column: email"
        );
    }
}
