//! The `migrate` command line, in Alembic's words.
//!
//! A crate gets it with one line in `src/bin/migrate.rs`:
//!
//! ```ignore
//! fn main() {
//!     migrate_runtime::cli::main(&my_service::MIGRATIONS)
//! }
//! ```
//!
//! Exit codes: 0 success, 1 failure, 2 usage. Errors are one sentence and a hint.

#[cfg(feature = "import-alembic")]
mod alembic;
mod backup;
mod commands;
mod fleet;
mod history;
mod import;
mod init;
mod revision;

pub use init::{init, init_main, InitReport};

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::chain::{Chain, Position};
use crate::db::url::missing_sqlite_file;
use crate::error::Result;
use crate::run::executor::{Migrator, DEFAULT_VERSION_TABLE};

#[derive(Parser, Debug)]
#[command(
    name = "migrate",
    about = "Database migrations in Alembic's words",
    version
)]
struct Cli {
    /// Database URL (else DATABASE_URL, else DATABASE_URL in .env)
    #[arg(long, global = true)]
    url: Option<String>,
    /// Name of the version table
    #[arg(long, global = true, default_value = DEFAULT_VERSION_TABLE)]
    version_table: String,
    /// diesel schema file for autogenerate and check (default: src/schema.rs beside the migrations directory)
    #[arg(long, global = true)]
    schema: Option<PathBuf>,
    /// How long to wait for another run's lock before giving up: 90s, 10m, 1h, 500ms (default 10m)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    lock_wait: Option<std::time::Duration>,
    /// How long a migration waits for a table lock before it is rolled back and tried again; 0 waits without limit (default 3s)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    lock_timeout: Option<std::time::Duration>,
    /// PostgreSQL: cancel a migration's statement that runs longer than this (default: no limit; never data steps)
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    statement_timeout: Option<std::time::Duration>,
    /// How many times a migration that timed out waiting for a lock is tried again (default 5)
    #[arg(long, global = true, value_name = "N")]
    lock_retries: Option<u32>,
    #[command(subcommand)]
    command: Command,
}

/// `--backup-keep N`: at least 1, or the backup just taken would go too.
fn keep_count(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("keeping 0 backups would remove the one just taken: give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("`{s}` is not a number of backups")),
    }
}

/// The lock options of the command line.
#[derive(Debug, Clone, Copy, Default)]
struct Locks {
    wait: Option<std::time::Duration>,
    timeout: Option<std::time::Duration>,
    retries: Option<u32>,
    statement: Option<std::time::Duration>,
}

/// `90`, `90s`, `10m`, `1h`, `500ms`: a duration, without overflow whatever the digits.
fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a duration: write e.g. 90s, 10m, 1h or 500ms"))?;
    let ms_per: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return Err(format!("unknown unit `{unit}`: use ms, s, m or h")),
    };
    n.checked_mul(ms_per)
        .filter(|&ms| ms <= 7 * 24 * 3_600_000)
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| format!("`{s}` is too long: at most a week"))
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Upgrade to a later revision (default: head)
    Upgrade {
        /// head, +N, a revision or unique prefix, <rev>+N; with --sql also FROM:TO
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL script instead of running it (no database connection)
        #[arg(long)]
        sql: bool,
        /// Dialect for --sql when no URL is given
        #[arg(long)]
        dialect: Option<String>,
        /// Copy the SQLite database to <db>.<UTC time>.bak first, when anything is pending
        #[arg(long)]
        backup: bool,
        /// With --backup: keep only the newest N backups of the database
        #[arg(long, value_name = "N", requires = "backup", value_parser = keep_count)]
        backup_keep: Option<usize>,
        /// Run the whole range in one transaction (PostgreSQL, SQLite)
        #[arg(long)]
        one_transaction: bool,
        /// Also apply revisions below the current one that never ran here (a merged branch)
        #[arg(long)]
        out_of_order: bool,
        /// With --sql: write data steps (op.run), which no script can hold, as comments instead of failing
        #[arg(long)]
        skip_data_steps: bool,
        /// Show what the upgrade would do to this database (statements, transactions, PostgreSQL locks, lint, SQLite table copies) without doing it
        #[arg(long, conflicts_with_all = ["sql", "backup", "one_transaction"])]
        plan: bool,
        /// With --plan: text or json
        #[arg(long, value_enum, default_value_t = PlanFormat::Text, requires = "plan")]
        format: PlanFormat,
    },
    /// Revert to an earlier revision
    Downgrade {
        /// -N, base, a revision or unique prefix; with --sql FROM:TO
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL script instead of running it (no database connection)
        #[arg(long)]
        sql: bool,
        /// Dialect for --sql when no URL is given
        #[arg(long)]
        dialect: Option<String>,
        /// Copy the SQLite database to <db>.<UTC time>.bak first, when anything is to revert
        #[arg(long)]
        backup: bool,
        /// With --backup: keep only the newest N backups of the database
        #[arg(long, value_name = "N", requires = "backup", value_parser = keep_count)]
        backup_keep: Option<usize>,
        /// Run the whole range in one transaction (PostgreSQL, SQLite)
        #[arg(long)]
        one_transaction: bool,
        /// With --sql: write data steps (op.run), which no script can hold, as comments instead of failing
        #[arg(long)]
        skip_data_steps: bool,
    },
    /// Show the database's current revision
    Current {
        /// Show details
        #[arg(short, long)]
        verbose: bool,
    },
    /// List the revisions, newest first
    History {
        /// Show details
        #[arg(short, long)]
        verbose: bool,
        /// Range FROM:TO (either side may be empty, base, head or current)
        #[arg(short = 'r', long = "rev-range")]
        rev_range: Option<String>,
        /// Mark the database's current revision (with --format dot or mermaid, --url does too)
        #[arg(short = 'i', long = "indicate-current")]
        indicate_current: bool,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Show one revision (a revision, prefix, head or current)
    Show {
        /// The revision
        rev: String,
    },
    /// Show the head revision
    Heads {
        /// Show details
        #[arg(short, long)]
        verbose: bool,
    },
    /// Set the version without running migrations
    Stamp {
        /// The revision (head, base, a revision or prefix)
        rev: String,
        /// Empty the version table first, whatever it holds
        #[arg(long)]
        purge: bool,
    },
    /// Exit 0 when the database is at head, nothing is pending or edited, and the chain matches its directory, else 1
    Check {
        /// Compare src/schema.rs with the schema the migrations build, without a database
        #[arg(long)]
        offline: bool,
        /// With --offline: compare types as on this database (sqlite, postgresql, mysql; default: the URL's, else any)
        #[arg(long, requires = "offline")]
        dialect: Option<String>,
    },
    /// Print diesel's table! declarations for the schema the migrations build, without a database
    Schema {
        /// The revision (default: head)
        rev: Option<String>,
        /// Write the types a table! for this database needs (sqlite, postgresql, mysql; default: the URL's, else portable names)
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Report what in the migrations is risky on a live database, with the safe way; exit 1 on findings not reviewed
    Lint {
        /// Range FROM:TO of revisions, both included, either side may be empty (default: all)
        range: Option<String>,
        /// The dialect (default: the URL's, else all three)
        #[arg(long)]
        dialect: Option<String>,
    },
    /// Forget a half-applied migration after undoing by hand what it did (or a half-reverted one after redoing it)
    Forget {
        /// The revision (or a unique prefix)
        rev: String,
    },
    /// Record the new checksum of an applied migration that was edited, after review
    Accept {
        /// The revision (or a unique prefix)
        rev: String,
        /// Who reviewed it (default: $USER)
        #[arg(long)]
        by: Option<String>,
    },
    /// Put a SQLite backup (from --backup) in place of the database, after checking it and saving the database as it is
    Restore {
        /// The backup file
        backup: PathBuf,
        /// Only check that the backup opens and show its revision
        #[arg(long)]
        check: bool,
    },
    /// Run upgrade, downgrade, current, check or upgrade --plan over many databases or schemas (tenants, shards), with a report
    Fleet {
        #[command(subcommand)]
        command: FleetCommand,
    },
    /// Write migration files from another tool's project (Alembic, diesel_migrations)
    Import {
        #[command(subcommand)]
        from: ImportFrom,
    },
    /// Write a new migration file
    Revision {
        /// The message
        #[arg(short, long)]
        message: String,
        /// The revision id (default: 12 random hex digits)
        #[arg(long)]
        rev_id: Option<String>,
        /// Write operations from the difference between schema.rs and the database
        #[arg(long)]
        autogenerate: bool,
        /// With --autogenerate: write a rename instead of drop + add (old=new or table.old=new)
        #[arg(long = "rename", value_name = "OLD=NEW")]
        renames: Vec<String>,
        /// With --autogenerate: compare schema.rs with the schema the migrations build, with no database
        #[arg(long, requires = "autogenerate")]
        offline: bool,
        /// With --offline: write for this database (sqlite, postgresql, mysql; default: the URL's)
        #[arg(long, requires = "offline")]
        dialect: Option<String>,
        /// Write a first migration that recreates the database's tables, and stamp the database at it
        #[arg(long, conflicts_with_all = ["autogenerate", "renames"])]
        from_database: bool,
    },
}

/// Where `migrate import` reads migrations from.
#[derive(Subcommand, Debug)]
enum ImportFrom {
    /// An Alembic project's versions directory: each revision file becomes a migration
    /// with the same revision id (needs the import-alembic feature)
    Alembic {
        /// The directory of revision files, e.g. alembic/versions
        path: PathBuf,
        /// Write over migration files that exist
        #[arg(long)]
        force: bool,
    },
    /// A diesel_migrations directory (`<version>_<name>/up.sql`, `down.sql`): each
    /// migration becomes one whose revision id is its diesel version, so that a
    /// database diesel migrated is adopted by `upgrade` where diesel left it
    Diesel {
        /// The diesel migrations directory
        path: PathBuf,
        /// Write over the migration files an earlier import of it wrote
        #[arg(long)]
        force: bool,
    },
}

/// The commands `migrate fleet` runs on each target.
#[derive(Subcommand, Debug)]
enum FleetCommand {
    /// Upgrade every target (default: to head); targets already there are skipped
    Upgrade {
        /// head, +N, a revision or unique prefix
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Show each target's plan instead of running it
        #[arg(long)]
        plan: bool,
        /// Also apply revisions below the current one that never ran there
        #[arg(long)]
        out_of_order: bool,
        #[command(flatten)]
        opts: FleetOpts,
    },
    /// Downgrade every target
    Downgrade {
        /// -N, base, a revision or unique prefix
        #[arg(allow_hyphen_values = true)]
        target: String,
        #[command(flatten)]
        opts: FleetOpts,
    },
    /// Show each target's revision, and which are behind the head
    Current {
        #[command(flatten)]
        opts: FleetOpts,
    },
    /// Exit 0 when every target is at head with a sound ledger, else 1
    Check {
        #[command(flatten)]
        opts: FleetOpts,
    },
}

/// Where a fleet's targets come from and how it runs them.
#[derive(Args, Debug)]
struct FleetOpts {
    /// Targets: one URL per line (`URL [name=N] [group=G] [schema=S]`, # comments), or a .toml file with [[target]] tables; ${VAR} in a URL reads the environment
    #[arg(long, value_name = "FILE", conflicts_with = "catalog")]
    targets: Option<PathBuf>,
    /// A database holding the list of targets (with --query)
    #[arg(long, value_name = "URL", requires = "query")]
    catalog: Option<String>,
    /// The catalog's query: text columns url, and optionally name, grp, schema
    #[arg(long, value_name = "SQL", requires = "catalog")]
    query: Option<String>,
    /// How many targets run at once
    #[arg(short = 'j', long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    jobs: u16,
    /// After a failure: stop starting targets, or continue and report (default: stop for upgrade and downgrade, continue for the others)
    #[arg(long, value_enum)]
    on_error: Option<fleet::OnError>,
    /// The groups to run first, in order, each a stage (a failure stops the later ones); the other groups follow in the order they first appear
    #[arg(long, value_delimiter = ',', value_name = "GROUP,...")]
    stages: Vec<String>,
    /// Only the targets of these groups (the others are left out of the run and the report)
    #[arg(long, value_delimiter = ',', value_name = "GROUP,...")]
    group: Vec<String>,
    /// The report: a table or JSON
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    format: PlanFormat,
}

/// How `upgrade --plan` prints.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum PlanFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Dot,
    /// A Mermaid flowchart: renders where Markdown does (code hosting sites).
    Mermaid,
}

/// Runs the CLI with the process's arguments and exits with its code.
pub fn main(chain: &Chain) -> ! {
    let code = run(chain, std::env::args_os());
    // Nothing is left to report a failed flush to: the exit code stands.
    let _ = std::io::stdout().flush();
    std::process::exit(code)
}

/// Runs the CLI with `args` (the first is the program name) and returns the exit code.
pub fn run<I, T>(chain: &Chain, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // clap's own output (help, version, usage errors); the exit code says the rest.
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    // Every error goes out through one path that hides the URL's password,
    // whatever a driver's message quotes.
    let url = database_url(cli.url.as_deref()).ok();
    let scrub = |text: String| match &url {
        Some(u) => crate::db::url::scrub(&text, u),
        None => text,
    };
    match commands::execute(chain, cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR: {}", scrub(e.to_string()));
            if let Some(h) = e.hint() {
                eprintln!("  hint: {}", scrub(h));
            }
            1
        }
    }
}

/// The database URL: `--url`, else `DATABASE_URL`, else `DATABASE_URL` in
/// `.env` (see [`crate::database_url`], which services use).
fn database_url(cli_url: Option<&str>) -> Result<String> {
    crate::db::env::url_from(cli_url, std::path::Path::new("."))
}

fn rev_label(chain: &Chain, p: Position) -> String {
    match p {
        None => "<base>".into(),
        Some(i) => chain.migrations()[i].revision().into(),
    }
}

/// A migrator that prints each step, numbered when a long run goes to a
/// terminal, and who holds the run lock while it waits for it.
fn migrator<'a>(chain: &'a Chain, table: &str, locks: Locks) -> Migrator<'a> {
    labelled_migrator(chain, table, locks, String::new()).0
}

/// [`migrator`] with each line it prints starting with `label` (a fleet's
/// target name), and the number of steps it has run so far (a failed run
/// returns none of them).
fn labelled_migrator<'a>(
    chain: &'a Chain,
    table: &str,
    locks: Locks,
    label: String,
) -> (Migrator<'a>, std::rc::Rc<std::cell::Cell<usize>>) {
    let steps = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let counted = steps.clone();
    let total = chain.len();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && total > 20;
    let m = Migrator::new(chain)
        .version_table(table)
        .lock_wait(
            locks
                .wait
                .unwrap_or(crate::run::executor::DEFAULT_LOCK_WAIT),
        )
        .lock_timeout(match locks.timeout {
            Some(t) if t.is_zero() => None,
            Some(t) => Some(t),
            None => Some(crate::run::executor::DEFAULT_LOCK_TIMEOUT),
        })
        .lock_retries(
            locks
                .retries
                .unwrap_or(crate::run::executor::DEFAULT_LOCK_RETRIES),
        )
        .statement_timeout(locks.statement.filter(|t| !t.is_zero()))
        .on_lock_wait({
            let label = label.clone();
            move |w| say(&format!("{label}{w}"))
        })
        .on_progress({
            let label = label.clone();
            move |p| say(&format!("{label}{p}"))
        });
    let m = m.on_step(move |s| {
        counted.set(counted.get() + 1);
        if progress {
            say(&format!("{label}[{}] {}", counted.get(), s.log_line()));
        } else {
            say(&format!("{label}{}", s.log_line()));
        }
    });
    (m, steps)
}

/// A line on standard error. A closed pipe (`migrate ... 2>&1 | head`) must
/// not turn a migration that committed into a panic, so a failed write is
/// dropped: nothing is left to report it to.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in [
            "",
            "s",
            "-1s",
            "1.5s",
            "10d",
            "99999999999999999999h",
            "18446744073709551615h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
