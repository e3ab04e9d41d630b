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

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::chain::{Chain, Position};
use crate::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::Error;
use crate::executor::{Direction, Migrator, DEFAULT_VERSION_TABLE};
use crate::url;
use crate::Result;

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
    #[command(subcommand)]
    command: Command,
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
        /// Copy the SQLite database to a timestamped file first
        #[arg(long)]
        backup: bool,
        /// Run the whole range in one transaction (PostgreSQL, SQLite)
        #[arg(long)]
        one_transaction: bool,
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
        /// Run the whole range in one transaction (PostgreSQL, SQLite)
        #[arg(long)]
        one_transaction: bool,
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
        /// Mark the database's current revision
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
    /// Exit 0 when the database is at head and the chain matches its directory, else 1
    Check,
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
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Dot,
}

/// Runs the CLI with the process's arguments and exits with its code.
pub fn main(chain: &Chain) -> ! {
    let code = run(chain, std::env::args_os());
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
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match execute(chain, cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ERROR: {e}");
            if let Some(h) = e.hint() {
                eprintln!("  hint: {h}");
            }
            1
        }
    }
}

fn database_url(cli_url: Option<&str>) -> Result<String> {
    if let Some(u) = cli_url {
        return Ok(u.to_owned());
    }
    if let Ok(u) = std::env::var("DATABASE_URL") {
        return Ok(u);
    }
    if let Ok(iter) = dotenvy::from_path_iter(".env") {
        for item in iter.flatten() {
            if item.0 == "DATABASE_URL" {
                return Ok(item.1);
            }
        }
    }
    Err(Error::InvalidUrl {
        url: String::new(),
        reason: "no database URL: pass --url, set DATABASE_URL, or write DATABASE_URL=... in .env"
            .into(),
    })
}

fn connect(cli_url: Option<&str>) -> Result<(AnyConnection, String)> {
    let u = database_url(cli_url)?;
    Ok((AnyConnection::establish(&u)?, u))
}

fn warn_drift(chain: &Chain) {
    if let Some(d) = chain.directory_drift() {
        eprintln!("WARNING: {d}");
    }
}

fn rev_label(chain: &Chain, p: Position) -> String {
    match p {
        None => "<base>".into(),
        Some(i) => chain.migrations()[i].revision().into(),
    }
}

fn execute(chain: &Chain, cli: Cli) -> Result<i32> {
    let table = cli.version_table.clone();
    let url_arg = cli.url.as_deref();
    let schema_arg = cli.schema.clone();
    let out = &mut std::io::stdout();
    let w = |r: std::io::Result<()>| {
        r.map_err(|e| Error::Io {
            context: "cannot write to standard output".into(),
            source: e,
        })
    };
    match cli.command {
        Command::Upgrade {
            target,
            sql: true,
            dialect,
            ..
        } => {
            w(write!(
                out,
                "{}",
                offline_sql(
                    chain,
                    url_arg,
                    dialect.as_deref(),
                    &table,
                    &target,
                    Direction::Upgrade
                )?
            ))?;
            Ok(0)
        }
        Command::Downgrade {
            target,
            sql: true,
            dialect,
            ..
        } => {
            w(write!(
                out,
                "{}",
                offline_sql(
                    chain,
                    url_arg,
                    dialect.as_deref(),
                    &table,
                    &target,
                    Direction::Downgrade
                )?
            ))?;
            Ok(0)
        }
        Command::Upgrade {
            target,
            backup,
            one_transaction,
            ..
        } => {
            warn_drift(chain);
            let u = database_url(url_arg)?;
            if backup {
                let path = backup_sqlite(&u)?;
                eprintln!("Backed up the database to {}", path.display());
            }
            let mut conn = AnyConnection::establish(&u)?;
            let mut m = migrator(chain, &table).one_transaction(one_transaction);
            let steps = m.upgrade(&mut conn, &target)?;
            if steps.is_empty() {
                eprintln!(
                    "Already at {}; nothing to do",
                    rev_label(chain, m.position(&mut conn)?)
                );
            }
            Ok(0)
        }
        Command::Downgrade {
            target,
            one_transaction,
            ..
        } => {
            warn_drift(chain);
            let (mut conn, _) = connect(url_arg)?;
            let mut m = migrator(chain, &table).one_transaction(one_transaction);
            let steps = m.downgrade(&mut conn, &target)?;
            if steps.is_empty() {
                eprintln!(
                    "Already at {}; nothing to do",
                    rev_label(chain, m.position(&mut conn)?)
                );
            }
            Ok(0)
        }
        Command::Current { verbose } => {
            let (mut conn, u) = connect(url_arg)?;
            let m = Migrator::new(chain).version_table(&table);
            let p = m.position(&mut conn)?;
            if verbose {
                w(writeln!(out, "Current revision for {}:", url::redact(&u)))?;
            }
            if let Some(i) = p {
                if verbose {
                    w(write!(out, "{}", show_text(chain, i)))?;
                } else {
                    let head = if Some(i) == chain.head_position() {
                        " (head)"
                    } else {
                        ""
                    };
                    w(writeln!(out, "{}{head}", chain.migrations()[i].revision()))?;
                }
            } else if verbose {
                w(writeln!(out, "<base>"))?;
            }
            Ok(0)
        }
        Command::History {
            verbose,
            rev_range,
            indicate_current,
            format,
        } => {
            // A range that names `current` needs the database as much as -i does.
            let names_current = rev_range.as_deref().is_some_and(|r| r.contains("current"));
            let current = if indicate_current || names_current {
                let (mut conn, _) = connect(url_arg)?;
                Some(
                    Migrator::new(chain)
                        .version_table(&table)
                        .position(&mut conn)?,
                )
            } else {
                None
            };
            let (lo, hi) = match &rev_range {
                Some(r) => history_range(chain, r, current.flatten())?,
                None => (0, chain.len()),
            };
            w(write!(
                out,
                "{}",
                history(chain, lo, hi, verbose, current, format)
            ))?;
            Ok(0)
        }
        Command::Show { rev } => {
            let i = match rev.as_str() {
                "current" => {
                    let (mut conn, _) = connect(url_arg)?;
                    match Migrator::new(chain)
                        .version_table(&table)
                        .position(&mut conn)?
                    {
                        Some(i) => i,
                        None => {
                            w(writeln!(out, "<base>"))?;
                            return Ok(0);
                        }
                    }
                }
                other => chain
                    .resolve(other, None)?
                    .ok_or_else(|| Error::BadTarget("base has nothing to show".into()))?,
            };
            w(write!(out, "{}", show_text(chain, i)))?;
            Ok(0)
        }
        Command::Heads { verbose } => {
            if let Some(i) = chain.head_position() {
                if verbose {
                    w(write!(out, "{}", show_text(chain, i)))?;
                } else {
                    w(writeln!(out, "{} (head)", chain.migrations()[i].revision()))?;
                }
            }
            Ok(0)
        }
        Command::Stamp { rev, purge } => {
            let (mut conn, _) = connect(url_arg)?;
            let p = migrator(chain, &table).stamp(&mut conn, &rev, purge)?;
            eprintln!("Stamped the database at {}", rev_label(chain, p));
            Ok(0)
        }
        Command::Check => {
            let mut ok = true;
            if let Some(d) = chain.directory_drift() {
                eprintln!("ERROR: {d}");
                ok = false;
            }
            let (mut conn, _) = connect(url_arg)?;
            let p = Migrator::new(chain)
                .version_table(&table)
                .position(&mut conn)?;
            if p != chain.head_position() {
                eprintln!(
                    "ERROR: Target database is not up to date: it is at {}, the head is {}",
                    rev_label(chain, p),
                    rev_label(chain, chain.head_position())
                );
                eprintln!("  hint: run `migrate upgrade head`");
                ok = false;
            }
            if ok {
                if let Some(path) = schema_path(chain, schema_arg.as_deref(), false)? {
                    let changes = model_changes(&mut conn, &table, &path, &[])?;
                    if !changes.is_empty() {
                        eprintln!("ERROR: New upgrade operations detected (the models in {} differ from the database):", path.display());
                        for c in &changes.summary {
                            eprintln!("  - {c}");
                        }
                        eprintln!("  hint: run `migrate revision --autogenerate -m \"...\"`");
                        ok = false;
                    }
                }
            }
            if ok {
                eprintln!("The database is at head ({}); the chain is sound; no new upgrade operations detected", rev_label(chain, p));
            }
            Ok(if ok { 0 } else { 1 })
        }
        Command::Revision {
            message,
            rev_id,
            autogenerate,
            renames,
        } => {
            let body = if autogenerate {
                let renames = renames
                    .iter()
                    .map(|r| {
                        r.parse::<crate::autogen::Rename>()
                            .map_err(Error::BadTarget)
                    })
                    .collect::<Result<Vec<_>>>()?;
                let path = schema_path(chain, schema_arg.as_deref(), true)?.unwrap_or_default();
                let (mut conn, _) = connect(url_arg)?;
                let m = Migrator::new(chain).version_table(&table);
                let p = m.position(&mut conn)?;
                if p != chain.head_position() {
                    return Err(Error::BadTarget(format!(
                        "Target database is not up to date (it is at {}, the head is {}): run `migrate upgrade head` before autogenerating",
                        rev_label(chain, p),
                        rev_label(chain, chain.head_position())
                    )));
                }
                let changes = model_changes(&mut conn, &table, &path, &renames)?;
                if changes.is_empty() {
                    eprintln!(
                        "No changes in schema detected: {} matches the database; no file written",
                        path.display()
                    );
                    return Ok(0);
                }
                for c in &changes.summary {
                    eprintln!("Detected {c}");
                }
                Some(changes)
            } else {
                None
            };
            let path = write_revision(chain, &message, rev_id.as_deref(), body.as_ref())?;
            eprintln!("Generating {} ... done", path.display());
            Ok(0)
        }
    }
}

/// The diesel schema file: `--schema`, else `src/schema.rs` beside the migrations
/// directory. `None` when it does not exist and is not required.
fn schema_path(chain: &Chain, given: Option<&Path>, required: bool) -> Result<Option<PathBuf>> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => Path::new(chain.directory())
            .parent()
            .map(|p| p.join("src/schema.rs"))
            .unwrap_or_default(),
    };
    if path.is_file() {
        Ok(Some(path))
    } else if required || given.is_some() {
        Err(Error::BadTarget(format!(
            "no diesel schema file at {}: pass --schema PATH",
            path.display()
        )))
    } else {
        Ok(None)
    }
}

fn model_changes(
    conn: &mut AnyConnection,
    table: &str,
    path: &Path,
    renames: &[crate::autogen::Rename],
) -> Result<crate::autogen::Changes> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        context: format!("cannot read {}", path.display()),
        source: e,
    })?;
    let models = crate::autogen::parse_models(&text)?;
    let db = crate::introspect::schema(conn, table)?;
    Ok(crate::autogen::diff(conn.dialect(), &models, &db, renames))
}

fn migrator<'a>(chain: &'a Chain, table: &str) -> Migrator<'a> {
    let mut n = 0usize;
    let total = chain.len();
    let progress = std::io::IsTerminal::is_terminal(&std::io::stderr()) && total > 20;
    Migrator::new(chain).version_table(table).on_step(move |s| {
        n += 1;
        if progress {
            eprintln!("[{n}] {}", s.log_line());
        } else {
            eprintln!("{}", s.log_line());
        }
    })
}

fn offline_dialect(url_arg: Option<&str>, dialect: Option<&str>) -> Result<Dialect> {
    if let Some(d) = dialect {
        return d.parse().map_err(Error::BadTarget);
    }
    let u = database_url(url_arg).map_err(|_| {
        Error::BadTarget("--sql needs a dialect: pass --dialect sqlite|postgresql|mysql, or a URL whose scheme names it".into())
    })?;
    // Only the scheme matters: nothing is opened.
    Ok(url::parse(&u, Path::new("/"))
        .map(|t| t.dialect())
        .unwrap_or_else(|_| {
            if u.starts_with("postgres") {
                Dialect::Postgres
            } else if u.starts_with("mysql") || u.starts_with("mariadb") {
                Dialect::Mysql
            } else {
                Dialect::Sqlite
            }
        }))
}

/// The script `upgrade --sql` / `downgrade --sql` prints.
fn offline_sql(
    chain: &Chain,
    url_arg: Option<&str>,
    dialect: Option<&str>,
    table: &str,
    target: &str,
    direction: Direction,
) -> Result<String> {
    let d = offline_dialect(url_arg, dialect)?;
    let (from, to) = offline_range(chain, target, direction)?;
    crate::offline::script(chain, d, table, from, to, direction)
}

fn offline_range(
    chain: &Chain,
    target: &str,
    direction: Direction,
) -> Result<(Position, Position)> {
    match target.split_once(':') {
        Some((from, to)) => {
            let from = if from.is_empty() { None } else { chain.resolve(from, None)? };
            let to = chain.resolve(to, from)?;
            Ok((from, to))
        }
        None if direction == Direction::Upgrade => Ok((None, chain.resolve(target, None)?)),
        None => Err(Error::BadTarget(
            "downgrade --sql needs a range FROM:TO (e.g. head:base), since no database tells where to start".into(),
        )),
    }
}

fn history_range(chain: &Chain, range: &str, current: Position) -> Result<(usize, usize)> {
    let (from, to) = range
        .split_once(':')
        .ok_or_else(|| Error::BadTarget(format!("invalid range `{range}`: expected FROM:TO")))?;
    let lo = if from.is_empty() {
        None
    } else {
        chain.resolve(from, current)?
    };
    let hi = if to.is_empty() {
        chain.head_position()
    } else {
        chain.resolve(to, current)?
    };
    Ok((lo.map_or(0, |i| i), hi.map_or(0, |i| i + 1)))
}

fn show_text(chain: &Chain, i: usize) -> String {
    let m = &chain.migrations()[i];
    let head = if Some(i) == chain.head_position() {
        " (head)"
    } else {
        ""
    };
    let mut s = format!(
        "Rev: {}{head}\nParent: {}\n",
        m.revision(),
        m.down_revision().unwrap_or("<base>")
    );
    if !m.file().is_empty() {
        s.push_str(&format!(
            "Path: {}\n",
            Path::new(chain.directory()).join(m.file()).display()
        ));
    }
    if !m.is_reversible() {
        s.push_str("Irreversible: yes\n");
    }
    if !m.transactional() {
        s.push_str("Transaction: no\n");
    }
    s.push_str(&format!(
        "\n    {}\n\n    Revision ID: {}\n    Revises: {}\n",
        m.message(),
        m.revision(),
        m.down_revision().unwrap_or("")
    ));
    if let Some(d) = m.create_date() {
        s.push_str(&format!("    Create Date: {d}\n"));
    }
    s.push('\n');
    s
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn history(
    chain: &Chain,
    lo: usize,
    hi: usize,
    verbose: bool,
    current: Option<Position>,
    format: Format,
) -> String {
    let ms = chain.migrations();
    let head = chain.head_position();
    let cur = current.flatten();
    let mut s = String::new();
    match format {
        Format::Text => {
            for i in (lo..hi).rev() {
                let m = &ms[i];
                let mut marks = Vec::new();
                if Some(i) == head {
                    marks.push("head");
                }
                if current.is_some() && Some(i) == cur {
                    marks.push("current");
                }
                let marks = if marks.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", marks.join(", "))
                };
                if verbose {
                    s.push_str(&show_text(chain, i).replacen(
                        &format!(
                            "Rev: {}{}",
                            m.revision(),
                            if Some(i) == head { " (head)" } else { "" }
                        ),
                        &format!("Rev: {}{marks}", m.revision()),
                        1,
                    ));
                } else {
                    s.push_str(&format!(
                        "{} -> {}{marks}, {}\n",
                        m.down_revision().unwrap_or("<base>"),
                        m.revision(),
                        m.message()
                    ));
                }
            }
        }
        Format::Json => {
            s.push_str("[\n");
            let items: Vec<String> = (lo..hi)
                .rev()
                .map(|i| {
                    let m = &ms[i];
                    format!(
                        "  {{\"revision\": {}, \"down_revision\": {}, \"message\": {}, \"create_date\": {}, \"file\": {}, \"is_head\": {}, \"is_current\": {}, \"reversible\": {}, \"transactional\": {}}}",
                        json_str(m.revision()),
                        m.down_revision().map_or("null".into(), json_str),
                        json_str(m.message()),
                        m.create_date().map_or("null".into(), json_str),
                        json_str(m.file()),
                        Some(i) == head,
                        current.is_some() && Some(i) == cur,
                        m.is_reversible(),
                        m.transactional()
                    )
                })
                .collect();
            s.push_str(&items.join(",\n"));
            s.push_str("\n]\n");
        }
        Format::Dot => {
            s.push_str("digraph revisions {\n    rankdir=BT;\n    node [shape=box];\n    \"<base>\" [shape=ellipse];\n");
            for (i, m) in ms.iter().enumerate().take(hi).skip(lo) {
                let mut label = format!(
                    "{}\\n{}",
                    m.revision(),
                    m.message().replace('\\', "\\\\").replace('"', "\\\"")
                );
                if Some(i) == head {
                    label.push_str("\\n(head)");
                }
                let style = if current.is_some() && Some(i) == cur {
                    ", style=bold"
                } else {
                    ""
                };
                s.push_str(&format!(
                    "    \"{}\" [label=\"{label}\"{style}];\n",
                    m.revision()
                ));
                s.push_str(&format!(
                    "    \"{}\" -> \"{}\";\n",
                    m.revision(),
                    m.down_revision().unwrap_or("<base>")
                ));
            }
            s.push_str("}\n");
        }
    }
    s
}

/// Copies a SQLite database with `VACUUM INTO`, a consistent snapshot even while
/// other connections write, to `<db>.<UTC timestamp>.bak`. Returns its path.
fn backup_sqlite(u: &str) -> Result<PathBuf> {
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        context: "cannot read the current directory".into(),
        source: e,
    })?;
    let target = url::parse(u, &cwd)?;
    let url::Target::SqliteFile(path) = &target else {
        return Err(Error::BadTarget(
            "--backup copies SQLite databases only; back up PostgreSQL and MySQL with pg_dump or mysqldump".into(),
        ));
    };
    if !path.exists() {
        return Err(Error::BadTarget(format!(
            "--backup: {} does not exist yet, there is nothing to back up",
            path.display()
        )));
    }
    let backup = PathBuf::from(format!("{}.{}.bak", path.display(), utc_stamp()));
    let mut conn = AnyConnection::establish_target(&target, u)?;
    let quoted = Dialect::Sqlite.quote_str(&backup.to_string_lossy());
    conn.execute(&format!("VACUUM INTO {quoted}"))?;
    Ok(backup)
}

/// `20261122T021646Z` from the system clock.
fn utc_stamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2026-11-22 02:16:46`, Alembic's `Create Date` form (in UTC).
fn create_date() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn new_revision_id() -> Result<String> {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Message(format!("cannot read random bytes for a revision id: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes `<id>_<slug>.rs` into the chain's migrations directory, following the head.
fn write_revision(
    chain: &Chain,
    message: &str,
    rev_id: Option<&str>,
    body: Option<&crate::autogen::Changes>,
) -> Result<PathBuf> {
    if chain.directory().is_empty() {
        return Err(Error::Message(
            "this chain was not compiled from a migrations directory".into(),
        ));
    }
    if let Some(d) = chain.directory_drift() {
        return Err(Error::Message(format!(
            "{d}; a new revision must follow the real head"
        )));
    }
    let id = match rev_id {
        Some(id) => id.to_owned(),
        None => new_revision_id()?,
    };
    migrate_core::validate_revision_id(&id)
        .map_err(|e| Error::BadTarget(format!("invalid --rev-id `{id}`: {e}")))?;
    if chain.position_of(&id).is_some() {
        return Err(Error::BadTarget(format!("revision {id} already exists")));
    }
    let slug = migrate_core::slugify(message);
    let file = if slug.is_empty() {
        format!("{id}.rs")
    } else {
        format!("{id}_{slug}.rs")
    };
    let path = Path::new(chain.directory()).join(&file);
    let down = chain.head().map(|m| m.revision());
    let date = create_date();
    let down_attr = down.map_or("None".to_owned(), |d| format!("{d:?}"));
    let (up, down_body) = match body {
        Some(ch) => (
            ch.upgrade.iter().map(|s| format!("    {s}\n")).collect::<String>(),
            ch.downgrade.iter().map(|s| format!("    {s}\n")).collect::<String>(),
        ),
        None => (
            "    // e.g. op.add_column(\"users\", col::<Nullable<Text>>(\"email\"));\n    let _ = op;\n".to_owned(),
            "    // e.g. op.drop_column(\"users\", \"email\");\n    let _ = op;\n".to_owned(),
        ),
    };
    let text = format!(
        "//! {message}\n//!\n//! Revision ID: {id}\n//! Revises: {revises}\n//! Create Date: {date}\n\nuse migrate_runtime::prelude::*;\n\n#[migration(\n    revision = {id:?},\n    down_revision = {down_attr},\n    message = {msg:?},\n    create_date = {date:?}\n)]\nfn upgrade(op: &mut Op) -> Result<()> {{\n{up}    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n{down_body}    Ok(())\n}}\n",
        message = message.replace('\n', " "),
        revises = down.unwrap_or(""),
        msg = message,
    );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| Error::Io {
            context: format!("cannot create {}", path.display()),
            source: e,
        })?;
    f.write_all(text.as_bytes()).map_err(|e| Error::Io {
        context: format!("cannot write {}", path.display()),
        source: e,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn json_escaping() {
        assert_eq!(json_str("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
