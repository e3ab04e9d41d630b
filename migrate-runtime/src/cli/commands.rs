//! One function per command.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{backup, database_url, history, migrator, rev_label, revision};
use super::{Cli, Command, Format};
use crate::chain::{Chain, Position};
use crate::db::conn::AnyConnection;
use crate::db::url;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::run::executor::{Direction, Migrator};
use crate::run::offline::script;

/// What every command gets from the global options.
struct Ctx<'c> {
    chain: &'c Chain,
    table: String,
    url: Option<String>,
    schema: Option<PathBuf>,
    locks: super::Locks,
}

impl Ctx<'_> {
    /// For a command that only reads: a SQLite file that does not exist is
    /// not created (a typo in its path must not leave an empty database
    /// behind); it reads as an empty database, and a note says so.
    fn connect_reading(&self) -> Result<(AnyConnection, String)> {
        let u = super::database_url(self.url.as_deref())?;
        if let Some(p) = super::missing_sqlite_file(&u) {
            eprintln!(
                "NOTE: there is no database at {} yet (upgrade creates it): read as empty",
                p.display()
            );
            return Ok((AnyConnection::establish("sqlite://")?, u));
        }
        Ok((AnyConnection::establish(&u)?, u))
    }

    /// A migrator that prints nothing, for read-only commands.
    fn reader(&self) -> Migrator<'_> {
        Migrator::new(self.chain).version_table(&self.table)
    }

    fn position(&self) -> Result<Position> {
        let (mut conn, _) = self.connect_reading()?;
        self.reader().position(&mut conn)
    }
}

pub(super) fn out(text: &str) -> Result<()> {
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(|e| Error::Io {
            context: "cannot write to standard output".into(),
            source: e,
        })
}

fn warn_drift(chain: &Chain) {
    if let Some(d) = chain.directory_drift() {
        eprintln!("WARNING: {d}");
    }
}

pub(super) fn execute(chain: &Chain, cli: Cli) -> Result<i32> {
    let ctx = Ctx {
        chain,
        table: cli.version_table,
        url: cli.url,
        schema: cli.schema,
        locks: super::Locks {
            wait: cli.lock_wait,
            timeout: cli.lock_timeout,
            retries: cli.lock_retries,
            statement: cli.statement_timeout,
        },
    };
    if chain.is_empty()
        && !matches!(
            cli.command,
            Command::Revision { .. } | Command::Import { .. }
        )
    {
        eprintln!(
            "NOTE: this binary's chain has no migrations yet: write the first with `migrate revision -m \"initial\"`, then build again"
        );
    }
    match cli.command {
        Command::Upgrade {
            target,
            plan: true,
            format,
            out_of_order,
            ..
        } => {
            let (mut conn, _) = ctx.connect_reading()?;
            let p = ctx
                .reader()
                .out_of_order(out_of_order)
                .plan(&mut conn, &target)?;
            out(&match format {
                super::PlanFormat::Text => p.to_string(),
                super::PlanFormat::Json => p.to_json(),
            })?;
            Ok(0)
        }
        Command::Upgrade {
            target,
            sql: true,
            dialect,
            skip_data_steps,
            ..
        } => offline(&ctx, dialect.as_deref(), &target, true, skip_data_steps),
        Command::Downgrade {
            target,
            sql: true,
            dialect,
            skip_data_steps,
            ..
        } => offline(&ctx, dialect.as_deref(), &target, false, skip_data_steps),
        Command::Upgrade {
            target,
            backup,
            backup_keep,
            one_transaction,
            out_of_order,
            ..
        } => {
            let run = RunOptions {
                backup: backup.then_some(backup_keep),
                one_transaction,
                out_of_order,
            };
            migrate(&ctx, &target, Direction::Upgrade, run)
        }
        Command::Downgrade {
            target,
            backup,
            backup_keep,
            one_transaction,
            ..
        } => {
            let run = RunOptions {
                backup: backup.then_some(backup_keep),
                one_transaction,
                out_of_order: false,
            };
            migrate(&ctx, &target, Direction::Downgrade, run)
        }
        Command::Restore { backup, check } => {
            let u = database_url(ctx.url.as_deref())?;
            backup::restore(chain, &ctx.table, &u, &backup, check, ctx.locks)
        }
        Command::Current { verbose } => current(&ctx, verbose),
        Command::History {
            verbose,
            rev_range,
            indicate_current,
            format,
        } => history_cmd(
            &ctx,
            verbose,
            rev_range.as_deref(),
            indicate_current,
            format,
        ),
        Command::Show { rev } => show(&ctx, &rev),
        Command::Heads { verbose } => heads(&ctx, verbose),
        Command::Stamp { rev, purge } => {
            let u = super::database_url(ctx.url.as_deref())?;
            if let Some(p) = super::missing_sqlite_file(&u) {
                eprintln!("Creating the new SQLite database {}", p.display());
            }
            let mut conn = AnyConnection::establish(&u)?;
            let rev = migrator(chain, &ctx.table, ctx.locks).stamp(&mut conn, &rev, purge)?;
            eprintln!("Stamped the database at {}", rev.unwrap_or("<base>"));
            Ok(0)
        }
        Command::Check {
            offline: false,
            dialect: _,
        } => check(&ctx),
        Command::Check {
            offline: true,
            dialect,
        } => check_offline(&ctx, types_dialect(&ctx, dialect.as_deref())?),
        Command::Schema { rev, dialect } => {
            let at = match rev.as_deref() {
                None => chain.head_position(),
                Some(r) => chain.resolve(r, chain.head_position())?,
            };
            let d = types_dialect(&ctx, dialect.as_deref())?;
            print!(
                "{}",
                crate::autogen::print::table_declarations(chain, at, d)?
            );
            Ok(0)
        }
        Command::Lint { range, dialect } => lint_cmd(&ctx, range.as_deref(), dialect.as_deref()),
        Command::Accept { rev, by } => {
            // Nothing to accept in a database that is not there: never created.
            let (mut conn, _) = ctx.connect_reading()?;
            let by = by
                .or_else(|| std::env::var("USER").ok())
                .unwrap_or_else(|| "unknown".into());
            let i = chain.find(&rev)?;
            let rev = chain.migrations()[i].revision();
            if migrator(chain, &ctx.table, ctx.locks).accept(&mut conn, rev, &by)? {
                eprintln!("Accepted the new checksum of {rev} (reviewed by {by})");
            } else {
                eprintln!("Nothing to accept: {rev} is not applied here, or the ledger already holds the checksum of its code");
            }
            Ok(0)
        }
        Command::Forget { rev } => {
            let (mut conn, _) = ctx.connect_reading()?;
            let i = chain.find(&rev)?;
            let rev = chain.migrations()[i].revision();
            migrator(chain, &ctx.table, ctx.locks).forget(&mut conn, rev)?;
            eprintln!("Forgot the unfinished run of {rev}");
            Ok(0)
        }
        Command::Fleet { command } => fleet_cmd(&ctx, command),
        Command::Import {
            from: super::ImportFrom::Alembic { path, force },
        } => import_alembic_cmd(&ctx, &path, force),
        Command::Revision {
            message,
            rev_id,
            from_database: true,
            ..
        } => baseline_cmd(&ctx, &message, rev_id.as_deref()),
        Command::Revision {
            message,
            rev_id,
            autogenerate,
            renames,
            offline,
            dialect,
            ..
        } => {
            // `--offline` (and its `--dialect`): against the migrations' schema.
            let source = offline.then_some(dialect.as_deref());
            revision_cmd(
                &ctx,
                &message,
                rev_id.as_deref(),
                autogenerate,
                &renames,
                source,
            )
        }
        Command::Import {
            from: super::ImportFrom::Diesel { path, force },
        } => {
            let done = super::import::import_diesel(ctx.chain, &path, force)?;
            for p in &done.written {
                eprintln!("Generating {} ... done", p.display());
            }
            if done.kept > 0 {
                eprintln!(
                    "Kept {} migration(s) an earlier import wrote (--force writes them again)",
                    done.kept
                );
            }
            if done.written.is_empty() {
                eprintln!("Nothing new to import from {}", path.display());
            } else {
                eprintln!("Build again; then `migrate upgrade` adopts a database diesel migrated (its __diesel_schema_migrations) at the revision diesel reached, and applies what follows");
            }
            Ok(0)
        }
    }
}

fn fleet_cmd(ctx: &Ctx<'_>, command: super::FleetCommand) -> Result<i32> {
    use super::fleet::{self, Job};
    use super::FleetCommand as F;
    if ctx.url.is_some() {
        return Err(Error::Usage(
            "fleet takes its targets from --targets or --catalog, not --url".into(),
        ));
    }
    let (job, opts) = match command {
        F::Upgrade {
            target,
            plan,
            out_of_order,
            opts,
        } => (
            if plan {
                Job::Plan {
                    target,
                    out_of_order,
                }
            } else {
                Job::Upgrade {
                    target,
                    out_of_order,
                }
            },
            opts,
        ),
        F::Downgrade { target, opts } => (Job::Downgrade { target }, opts),
        F::Current { opts } => (Job::Current, opts),
        F::Check { opts } => (Job::Check, opts),
    };
    warn_drift(ctx.chain);
    let catalog = opts.catalog.as_deref().zip(opts.query.as_deref());
    let (targets, file_stages) = fleet::load(opts.targets.as_deref(), catalog)?;
    let stages = if opts.stages.is_empty() {
        file_stages
    } else {
        opts.stages
    };
    let (targets, stages) = fleet::only_groups(targets, stages, &opts.group)?;
    let req = fleet::Request {
        chain: ctx.chain,
        table: &ctx.table,
        locks: ctx.locks,
        job,
        jobs: usize::from(opts.jobs),
        on_error: opts.on_error,
        json: opts.format == super::PlanFormat::Json,
    };
    fleet::run(&req, &targets, &stages)
}

/// The options of an online upgrade or downgrade.
struct RunOptions {
    /// `Some(keep)`: `--backup`, with `--backup-keep`.
    backup: Option<Option<usize>>,
    one_transaction: bool,
    out_of_order: bool,
}

fn migrate(ctx: &Ctx<'_>, target: &str, direction: Direction, run: RunOptions) -> Result<i32> {
    warn_drift(ctx.chain);
    let u = database_url(ctx.url.as_deref())?;
    if run.backup.is_some() {
        // Refused before connecting: a server URL or memory has no file to copy.
        backup::sqlite_path(&u, "--backup")?;
    }
    let missing = super::missing_sqlite_file(&u);
    let mut conn = match (&missing, direction) {
        // A downgrade never needs a new database: a missing one is at base.
        (Some(p), Direction::Downgrade) => {
            eprintln!(
                "NOTE: there is no database at {} (nothing to downgrade)",
                p.display()
            );
            AnyConnection::establish("sqlite://")?
        }
        (Some(p), Direction::Upgrade) => {
            // Said, so that a typo in the path is seen.
            eprintln!("Creating the new SQLite database {}", p.display());
            AnyConnection::establish(&u)?
        }
        (None, _) => AnyConnection::establish(&u)?,
    };
    let mut m = migrator(ctx.chain, &ctx.table, ctx.locks)
        .one_transaction(run.one_transaction)
        .out_of_order(run.out_of_order)
        .lease_url(u.as_str());
    if let Some(keep) = run.backup {
        m = m.backup_first(keep);
    }
    let steps = match direction {
        Direction::Upgrade => m.upgrade(&mut conn, target),
        Direction::Downgrade => m.downgrade(&mut conn, target),
    };
    if let Some(lock) = m.ran_without_run_lock() {
        eprintln!("WARNING: the run lock {lock} could not be taken: each migration ran under the database's write lock instead, and a migration without a transaction would be refused");
    }
    // Shown whether the run succeeded or not: after a failure it is what to restore.
    if let Some(p) = m.last_backup() {
        eprintln!("Backed up the database before the run to {}", p.display());
    }
    let steps = steps?;
    if run.backup.is_some() && m.last_backup().is_none() && !steps.is_empty() {
        eprintln!("No backup taken: the database was empty");
    }
    if steps.is_empty() {
        // An upgrade with nothing to do read where the database is already.
        let p = match (direction, m.idle_at) {
            (Direction::Upgrade, Some(p)) => p,
            _ => m.position(&mut conn)?,
        };
        let note = if run.backup.is_some() {
            "; nothing to do, no backup taken"
        } else {
            "; nothing to do"
        };
        eprintln!("Already at {}{note}", rev_label(ctx.chain, p));
    }
    Ok(0)
}

fn current(ctx: &Ctx<'_>, verbose: bool) -> Result<i32> {
    let (mut conn, u) = ctx.connect_reading()?;
    let m = ctx.reader();
    // The plain case (every revision up to the current one applied) in one
    // query; anything else is read in full below.
    let glanced = match verbose {
        false => m
            .glance(&mut conn)?
            .filter(|(at, ledger)| ledger.entries().len() == at + 1)
            .map(|(at, _)| at),
        true => None,
    };
    let p = match glanced {
        Some(at) => Some(at),
        None => m.position(&mut conn)?,
    };
    if !verbose && (glanced.is_some() || m.ledger_is_plain(&mut conn, p)?) {
        // Nothing to report beside the revision: Alembic's one line.
        let line = match p {
            Some(i) if Some(i) == ctx.chain.head_position() => {
                format!("{} (head)\n", ctx.chain.migrations()[i].revision())
            }
            Some(i) => format!("{}\n", ctx.chain.migrations()[i].revision()),
            None => String::new(),
        };
        out(&line)?;
        return Ok(0);
    }
    let view = m.ledger_view_at(&mut conn, p, verbose)?;
    let known = view.exists();
    let chain = ctx.chain;
    let mut s = String::new();
    if verbose {
        s.push_str(&format!("Current revision for {}:\n", url::redact(&u)));
    }
    match p {
        Some(i) if verbose => {
            let rev = chain.migrations()[i].revision();
            let words = history::ledger_words(view.get(rev));
            let shown = history::show_text(chain, i);
            s.push_str(&shown.replacen("\n\n", &format!("\nHere: {words}\n\n"), 1));
        }
        Some(i) => {
            let head = if Some(i) == chain.head_position() {
                " (head)"
            } else {
                ""
            };
            s.push_str(&format!("{}{head}\n", chain.migrations()[i].revision()));
        }
        None if verbose => s.push_str("<base>\n"),
        None => {}
    }
    // What is not as it should be, plainly: a half-applied migration, a
    // revision below the current one that never ran here.
    for e in view.entries().iter().filter(|e| !e.state.is_applied()) {
        s.push_str(&format!(
            "{} ({})\n",
            e.revision,
            history::ledger_words(Some(e))
        ));
    }
    if known {
        if let Some(c) = p {
            for mig in &chain.migrations()[..c] {
                if view.get(mig.revision()).is_none() {
                    s.push_str(&format!(
                        "{} (not applied: it lies before the current revision; see `migrate upgrade --out-of-order`)\n",
                        mig.revision()
                    ));
                }
            }
        }
    }
    out(&s)?;
    Ok(0)
}

fn history_cmd(
    ctx: &Ctx<'_>,
    verbose: bool,
    rev_range: Option<&str>,
    indicate_current: bool,
    format: Format,
) -> Result<i32> {
    // A range that names `current` needs the database as much as -i does.
    let names_current = rev_range.is_some_and(|r| r.contains("current"));
    // A picture marks where the database is whenever a URL is given.
    let indicate_current =
        indicate_current || (matches!(format, Format::Dot | Format::Mermaid) && ctx.url.is_some());
    let (current, ledger) = if indicate_current || names_current {
        let (mut conn, _) = ctx.connect_reading()?;
        let m = ctx.reader();
        (Some(m.position(&mut conn)?), Some(m.ledger(&mut conn)?))
    } else {
        (None, None)
    };
    let range = match rev_range {
        Some(r) => history_range(ctx.chain, r, current.flatten())?,
        None => (0, ctx.chain.len()),
    };
    let view = history::View {
        chain: ctx.chain,
        range,
        verbose,
        current,
        ledger: ledger.as_deref().filter(|_| indicate_current),
    };
    out(&history::history(&view, format))?;
    Ok(0)
}

fn show(ctx: &Ctx<'_>, rev: &str) -> Result<i32> {
    let i = match rev {
        "current" => match ctx.position()? {
            Some(i) => i,
            None => {
                out("<base>\n")?;
                return Ok(0);
            }
        },
        other => ctx
            .chain
            .resolve(other, None)?
            .ok_or_else(|| Error::Usage("base has nothing to show".into()))?,
    };
    out(&history::show_text(ctx.chain, i))?;
    Ok(0)
}

fn heads(ctx: &Ctx<'_>, verbose: bool) -> Result<i32> {
    if let Some(i) = ctx.chain.head_position() {
        if verbose {
            out(&history::show_text(ctx.chain, i))?;
        } else {
            out(&format!(
                "{} (head)\n",
                ctx.chain.migrations()[i].revision()
            ))?;
        }
    }
    Ok(0)
}

/// The database whose types an offline command speaks of: `--dialect`, else
/// the URL's when one is set (never connected to), else none.
fn types_dialect(ctx: &Ctx<'_>, given: Option<&str>) -> Result<Option<Dialect>> {
    Ok(match given {
        Some(d) => Some(d.parse().map_err(Error::Usage)?),
        None => database_url(ctx.url.as_deref())
            .ok()
            .map(|u| url::dialect_of(&u)),
    })
}

/// `check --offline`: src/schema.rs against the schema the migrations
/// build, and the chain against its directory; no database is read.
fn check_offline(ctx: &Ctx<'_>, dialect: Option<Dialect>) -> Result<i32> {
    let chain = ctx.chain;
    let mut ok = true;
    if let Some(d) = chain.directory_drift() {
        eprintln!("ERROR: {d}");
        ok = false;
    }
    let Some(path) = schema_path(chain, ctx.schema.as_deref(), true)? else {
        return Ok(1);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
        context: format!("cannot read {}", path.display()),
        source: e,
    })?;
    let models = crate::autogen::parse_models(&text)?;
    let (diffs, unchecked) =
        crate::autogen::print::offline_differences(chain, chain.head_position(), &models, dialect)?;
    for u in &unchecked {
        eprintln!("NOTE: not checked: {u}");
    }
    if !diffs.is_empty() {
        eprintln!(
            "ERROR: {} differs from the schema the migrations build at {}:",
            path.display(),
            rev_label(chain, chain.head_position())
        );
        for d in &diffs {
            eprintln!("  - {d}");
        }
        eprintln!("  hint: `migrate schema` prints what the migrations build; write a migration for what schema.rs has that they lack");
        ok = false;
    }
    if ok {
        eprintln!(
            "{} matches the schema the migrations build at {} (no database read)",
            path.display(),
            rev_label(chain, chain.head_position())
        );
    }
    Ok(if ok { 0 } else { 1 })
}

fn check(ctx: &Ctx<'_>) -> Result<i32> {
    let chain = ctx.chain;
    let mut ok = true;
    if let Some(d) = chain.directory_drift() {
        eprintln!("ERROR: {d}");
        ok = false;
    }
    let (mut conn, _) = ctx.connect_reading()?;
    let p = ctx.reader().position(&mut conn)?;
    // The pending migrations are linted for this database: what an upgrade
    // would do next. (Those applied are history; `migrate lint` reads them.)
    let next = p.map_or(0, |i| i + 1);
    if next < chain.len() {
        let findings = crate::run::lint::lint(chain, next..=chain.len() - 1, &[conn.dialect()])?;
        let unreviewed: Vec<_> = findings.iter().filter(|f| f.reviewed.is_none()).collect();
        for f in &unreviewed {
            eprintln!("ERROR: lint: {f}");
        }
        if !unreviewed.is_empty() {
            eprintln!("  hint: see `migrate lint`; accept a finding after review with op.reviewed(\"why\") or #[migration(reviewed = \"why\")]");
            ok = false;
        }
    }
    if let Err(e) = ctx.reader().verify(&mut conn) {
        eprintln!("ERROR: {e}");
        if let Some(h) = e.hint() {
            eprintln!("  hint: {h}");
        }
        ok = false;
    }
    if p != chain.head_position() {
        eprintln!(
            "ERROR: Target database is not up to date: it is at {}, the head is {}",
            rev_label(chain, p),
            rev_label(chain, chain.head_position())
        );
        eprintln!("  hint: run `migrate upgrade head`");
        ok = false;
    }
    let mut compared = true;
    if ok {
        let found = schema_path(chain, ctx.schema.as_deref(), false)?;
        compared = found.is_some();
        if let Some(path) = found {
            let changes = model_changes(&mut conn, &ctx.table, &path, &[])?;
            if !changes.is_empty() {
                eprintln!(
                    "ERROR: New upgrade operations detected (the models in {} differ from the database):",
                    path.display()
                );
                for c in &changes.summary {
                    eprintln!("  - {c}");
                }
                eprintln!("  hint: run `migrate revision --autogenerate -m \"...\"`");
                ok = false;
            }
        }
    }
    if ok && compared {
        eprintln!(
            "The database is at head ({}); the chain is sound; no new upgrade operations detected",
            rev_label(chain, p)
        );
    } else if ok {
        // Said, so that a missing file is not taken for models that match.
        eprintln!(
            "The database is at head ({}); the chain is sound; no diesel schema file at {}, so no models were compared (pass --schema PATH)",
            rev_label(chain, p),
            default_schema_path(chain).display()
        );
    }
    Ok(if ok { 0 } else { 1 })
}

fn revision_cmd(
    ctx: &Ctx<'_>,
    message: &str,
    rev_id: Option<&str>,
    autogenerate: bool,
    renames: &[String],
    offline: Option<Option<&str>>,
) -> Result<i32> {
    let body = if autogenerate {
        match autogenerated(ctx, renames, offline)? {
            Some(changes) => Some(changes),
            None => return Ok(0),
        }
    } else {
        None
    };
    let (path, _) = revision::write_revision(ctx.chain, message, rev_id, body.as_ref())?;
    eprintln!("Generating {} ... done", path.display());
    Ok(0)
}

/// `import alembic`: another tool's migrations as this chain's first files.
fn import_alembic_cmd(ctx: &Ctx<'_>, path: &Path, force: bool) -> Result<i32> {
    #[cfg(feature = "import-alembic")]
    {
        if ctx.chain.directory().is_empty() {
            return Err(Error::Usage(
                "this chain was not compiled from a migrations directory".into(),
            ));
        }
        let r = super::alembic::import(ctx.chain.directory(), path, force)?;
        for p in &r.written {
            eprintln!("Generating {} ... done", p.display());
        }
        for p in &r.problems {
            eprintln!("NOTE: {p}");
        }
        if r.todos.is_empty() {
            eprintln!("Imported {} revisions: build, then `migrate upgrade head` goes on where Alembic stopped", r.written.len());
        } else {
            eprintln!(
                    "Imported {} revisions; {} left to write by hand (the crate does not build until {}):",
                    r.written.len(),
                    match r.todos.len() {
                        1 => "1 step is".to_owned(),
                        n => format!("{n} steps are"),
                    },
                    if r.todos.len() == 1 { "it is" } else { "they are" }
                );
            for t in &r.todos {
                eprintln!("  {t}");
            }
        }
        Ok(0)
    }
    #[cfg(not(feature = "import-alembic"))]
    {
        let _ = (ctx, path, force);
        Err(Error::Usage(
                "this migrate binary was built without the import-alembic feature: add it to migrate-runtime's features in Cargo.toml for the import, and remove it after".into(),
            ))
    }
}

/// `revision --from-database`: the first migration, recreating the tables of
/// a database built by hand (or by another tool), then the database stamped
/// at it so that its next `upgrade` runs nothing.
fn baseline_cmd(ctx: &Ctx<'_>, message: &str, rev_id: Option<&str>) -> Result<i32> {
    let chain = ctx.chain;
    if !chain.is_empty() || chain.directory_drift().is_some() {
        return Err(Error::Usage(format!(
            "--from-database writes the first migration, and {} already has migrations; it is for a database no migration tool manages yet",
            if chain.directory().is_empty() { "this chain" } else { chain.directory() }
        )));
    }
    let u = super::database_url(ctx.url.as_deref())?;
    if let Some(p) = super::missing_sqlite_file(&u) {
        return Err(Error::Usage(format!(
            "there is no database at {}: --from-database reads an existing one",
            p.display()
        )));
    }
    let mut conn = AnyConnection::establish(&u)?;
    let mut m = migrator(chain, &ctx.table, ctx.locks);
    if let Some(r) = m.stored_revision(&mut conn)? {
        return Err(Error::Usage(format!(
            "the database already records revision {r}: a baseline is for a database no migration tool manages yet"
        )));
    }
    let tables = crate::backend::shapes(&mut conn, &ctx.table)?;
    if tables.is_empty() {
        return Err(Error::Usage(
            "the database has no tables: there is nothing to baseline; write a first migration with `migrate revision -m`".into(),
        ));
    }
    let changes = crate::autogen::baseline(conn.dialect(), &tables);
    let (path, rev) = revision::write_revision(chain, message, rev_id, Some(&changes))?;
    eprintln!("Generating {} ... done", path.display());
    for t in &tables {
        if let Some(why) = &t.untyped {
            eprintln!("NOTE: {} is recreated from its DDL: {why}", t.name);
        }
    }
    if let Err(e) = m.stamp_baseline(&mut conn, &rev) {
        // Another run may have stamped it meanwhile: the file is taken back,
        // so that no second first migration is left in the directory.
        let removed = std::fs::remove_file(&path);
        return Err(Error::Usage(format!(
            "the database could not be stamped at {rev} ({e}); {}",
            match removed {
                Ok(()) => format!("{} is removed again", path.display()),
                Err(r) => format!("remove {} by hand ({r})", path.display()),
            }
        )));
    }
    eprintln!(
        "Stamped the database at {rev}: build, and its next `migrate upgrade head` runs nothing (it adopts the revision)"
    );
    Ok(0)
}

/// The changes `--autogenerate` writes, or `None` (said on stderr) when there
/// are none. `offline`: against the schema the migrations build, written for
/// the given dialect (else the URL's), with no database.
fn autogenerated(
    ctx: &Ctx<'_>,
    renames: &[String],
    offline: Option<Option<&str>>,
) -> Result<Option<crate::autogen::Changes>> {
    let chain = ctx.chain;
    let renames = renames
        .iter()
        .map(|r| r.parse::<crate::autogen::Rename>().map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let path = schema_path(chain, ctx.schema.as_deref(), true)?.unwrap_or_default();
    if let Some(dialect) = offline {
        let d = match dialect {
            Some(d) => d.parse().map_err(Error::Usage)?,
            None => url::dialect_of(&database_url(ctx.url.as_deref()).map_err(|_| {
                Error::Usage("--offline needs a dialect: pass --dialect sqlite|postgresql|mysql, or a URL whose scheme names it".into())
            })?),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
            context: format!("cannot read {}", path.display()),
            source: e,
        })?;
        let models = crate::autogen::parse_models(&text)?;
        let (changes, left_out) = crate::autogen::print::offline_changes(
            chain,
            chain.head_position(),
            d,
            &models,
            &renames,
        )?;
        if !left_out.is_empty() {
            eprintln!(
                "note: left out, nothing written for them: {} (raw SQL or a data step may have changed them, which the migrations' schema does not show, or they have no primary key); autogenerate against a database for these",
                left_out.join(", ")
            );
        }
        if changes.is_empty() {
            eprintln!(
                "No changes in schema detected: {} matches the schema the migrations build; no file written",
                path.display()
            );
            return Ok(None);
        }
        for c in &changes.summary {
            eprintln!("Detected {c}");
        }
        return Ok(Some(changes));
    }
    let (mut conn, _) = ctx.connect_reading()?;
    let p = ctx.reader().position(&mut conn)?;
    if p != chain.head_position() {
        return Err(Error::Usage(format!(
            "Target database is not up to date (it is at {}, the head is {}): run `migrate upgrade head` before autogenerating",
            rev_label(chain, p),
            rev_label(chain, chain.head_position())
        )));
    }
    let changes = model_changes(&mut conn, &ctx.table, &path, &renames)?;
    if changes.is_empty() {
        eprintln!(
            "No changes in schema detected: {} matches the database; no file written",
            path.display()
        );
        return Ok(None);
    }
    for c in &changes.summary {
        eprintln!("Detected {c}");
    }
    Ok(Some(changes))
}

/// `src/schema.rs` beside the migrations directory the chain was built from.
fn default_schema_path(chain: &Chain) -> PathBuf {
    Path::new(chain.directory())
        .parent()
        .map(|p| p.join("src/schema.rs"))
        .unwrap_or_default()
}

/// The diesel schema file: `--schema`, else `src/schema.rs` beside the migrations
/// directory. `None` when it does not exist and is not required.
fn schema_path(chain: &Chain, given: Option<&Path>, required: bool) -> Result<Option<PathBuf>> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => default_schema_path(chain),
    };
    if path.is_file() {
        Ok(Some(path))
    } else if required || given.is_some() {
        Err(Error::Usage(format!(
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
    let db = crate::backend::schema(conn, table)?;
    Ok(crate::autogen::diff(conn.dialect(), &models, &db, renames))
}

/// `upgrade --sql` and `downgrade --sql`: the script, printed.
fn offline(
    ctx: &Ctx<'_>,
    dialect: Option<&str>,
    target: &str,
    upgrade: bool,
    skip_data_steps: bool,
) -> Result<i32> {
    let d = offline_dialect(ctx.url.as_deref(), dialect)?;
    let (from, to) = match target.split_once(':') {
        Some((from, to)) => (if from.is_empty() { "base" } else { from }, to),
        None if upgrade => ("base", target),
        None => {
            return Err(Error::Usage(
                "downgrade --sql needs a range FROM:TO (e.g. head:base): a script is written without reading any database (a --url only picks its dialect), so nothing tells where it starts".into(),
            ))
        }
    };
    let chain = ctx.chain;
    let from = chain.resolve(from, None)?;
    let to = chain.resolve(to, from)?;
    let (direction, wrong) = if upgrade {
        (Direction::Upgrade, to < from)
    } else {
        (Direction::Downgrade, to > from)
    };
    if wrong {
        return Err(Error::WrongDirection {
            target: target.to_owned(),
            current: rev_label(chain, from),
            command: if upgrade { "downgrade" } else { "upgrade" },
        });
    }
    let s = script(chain, d, &ctx.table, (from, to, direction), skip_data_steps)?;
    out(&s.sql)?;
    if !s.skipped.is_empty() {
        eprintln!(
            "WARNING: the script leaves out the data steps (op.run) of {}; they are marked SKIPPED DATA STEP: do them by hand where marked",
            s.skipped.join(", ")
        );
    }
    Ok(0)
}

/// `migrate lint`: every finding on one line, reviewed ones marked; exit 1
/// when any is not reviewed.
fn lint_cmd(ctx: &Ctx<'_>, range: Option<&str>, dialect: Option<&str>) -> Result<i32> {
    let chain = ctx.chain;
    let dialects: Vec<Dialect> = match dialect {
        Some(d) => vec![d.parse().map_err(Error::Usage)?],
        None => match database_url(ctx.url.as_deref()) {
            Ok(u) => vec![url::dialect_of(&u)],
            Err(_) => Dialect::ALL.to_vec(),
        },
    };
    if chain.is_empty() {
        eprintln!("No migrations to lint");
        return Ok(0);
    }
    let (lo, hi) = match range {
        Some(r) => history_range(chain, r, None)?,
        None => (0, chain.len()),
    };
    if lo >= hi {
        eprintln!("No migrations in that range");
        return Ok(0);
    }
    let findings = crate::run::lint::lint(chain, lo..=hi - 1, &dialects)?;
    Ok(report_findings(&findings))
}

/// Prints findings; returns 1 when any is not reviewed.
fn report_findings(findings: &[crate::run::lint::Finding]) -> i32 {
    let mut errors = 0;
    for f in findings {
        if let Some(why) = &f.reviewed {
            eprintln!(
                "reviewed: {} [{}] {} ({}): {why}",
                f.revision,
                f.rule,
                f.operation,
                f.dialect.name()
            );
        } else {
            errors += 1;
            eprintln!("ERROR: {f}");
        }
    }
    if errors > 0 {
        eprintln!("  hint: make the change the safe way, or accept it after review with op.reviewed(\"why\") after the operation or #[migration(reviewed = \"why\")]");
        eprintln!("{errors} finding(s) not reviewed");
        1
    } else {
        eprintln!("Lint: no unreviewed findings");
        0
    }
}

fn offline_dialect(url_arg: Option<&str>, dialect: Option<&str>) -> Result<Dialect> {
    if let Some(d) = dialect {
        return d.parse().map_err(Error::Usage);
    }
    let u = database_url(url_arg).map_err(|_| {
        Error::Usage("--sql needs a dialect: pass --dialect sqlite|postgresql|mysql, or a URL whose scheme names it".into())
    })?;
    // Only the scheme matters: nothing is opened.
    Ok(url::dialect_of(&u))
}

fn history_range(chain: &Chain, range: &str, current: Position) -> Result<(usize, usize)> {
    let (from, to) = range
        .split_once(':')
        .ok_or_else(|| Error::Usage(format!("invalid range `{range}`: expected FROM:TO")))?;
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
