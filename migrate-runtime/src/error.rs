//! Errors: what happened, to which revision, and what to do next.

use crate::dialect::Dialect;

/// Everything that can go wrong, from a bad URL to a failing migration.
#[derive(Debug, thiserror::Error)]
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
    /// A connection URL that cannot be understood.
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, password hidden.
        url: String,
        /// Why.
        reason: String,
    },
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
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
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
    /// A chain that is not valid (only possible for chains built at run time).
    #[error("invalid migration chain: {0}")]
    Chain(String),
    /// A file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// An error raised by migration code.
    #[error("{0}")]
    Message(String),
}

impl Error {
    /// An error with a message, for migration code: `return Err(Error::msg("..."))`.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    /// What the user can do about it, when there is something to say.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::UnknownRevision(_) => "the database was migrated by code this build does not have: check out the branch that has that revision, restore a backup, or `stamp` the database to a known revision if you are sure of its schema".into(),
            Error::AmbiguousRevision { .. } => "give more characters of the revision id".into(),
            Error::BackendDisabled { .. } => "add the feature to migrate-runtime in Cargo.toml".into(),
            Error::Connect { .. } => "check that the server is running and the URL (--url, DATABASE_URL or .env) is right".into(),
            Error::MissingDirectory { .. } => "create the directory, or fix the path in the URL".into(),
            Error::InvalidUrl { .. } => "use sqlite:///relative.db, sqlite:////absolute.db, a bare file path, postgres://user@host/db or mysql://user@host/db".into(),
            Error::MigrationFailed { .. } => "fix the migration and run the command again: it resumes from the last revision that was applied".into(),
            Error::Irreversible { .. } => "write a downgrade for it, or restore a backup".into(),
            Error::MultipleVersions { .. } => "merge the branches with Alembic first, or `stamp` one revision with --purge".into(),
            _ => return None,
        })
    }
}

/// The result type of migration functions and of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
