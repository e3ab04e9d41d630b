//! `migrate fleet`: one command over many databases or schemas (tenants,
//! shards), with bounded parallelism, stages, an error policy and a report.
//!
//! Targets come from a file (one URL per line, or TOML with names and groups)
//! or from a query run against a catalog database. Groups are stages: each
//! starts once the one before it has finished, and a failure in a stage stops
//! the stages after it (a canary group first). Within a stage, `--on-error
//! stop` starts no new target after a failure, `continue` runs them all.
//! Read-only commands (current, check, --plan) default to `continue` and never
//! stop later stages: every target is worth reporting.
//! A re-run skips targets already at the target revision: that is the resume.
//! Names, messages and the report never show a URL's password.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use clap::ValueEnum;

use super::Locks;
use crate::chain::Chain;
use crate::db::conn::AnyConnection;
use crate::db::url;
use crate::error::{Error, Result};
use crate::run::executor::{Direction, Migrator};
use crate::run::preview::json_str;

/// The group of targets that name none.
const DEFAULT_GROUP: &str = "default";

/// One database, or one schema of a PostgreSQL database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Target {
    /// How the report names it: given, else the URL without its password.
    pub name: String,
    pub url: String,
    /// The URL as written (before `${VAR}`), without its password: the report's.
    pub shown: String,
    /// PostgreSQL schema-per-tenant: the version table, the ledger and the
    /// migrations' tables live in this schema.
    pub schema: Option<String>,
    pub group: String,
}

/// What to do after a target fails, within its stage.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OnError {
    /// Start no further target (those running finish).
    Stop,
    /// Run every target of the stage and report the failures.
    Continue,
}

/// What runs on each target.
#[derive(Debug, Clone)]
pub(super) enum Job {
    Upgrade { target: String, out_of_order: bool },
    Plan { target: String, out_of_order: bool },
    Downgrade { target: String },
    Current,
    Check,
}

impl Job {
    fn name(&self) -> &'static str {
        match self {
            Job::Upgrade { .. } => "upgrade",
            Job::Plan { .. } => "upgrade --plan",
            Job::Downgrade { .. } => "downgrade",
            Job::Current => "current",
            Job::Check => "check",
        }
    }

    /// Read-only jobs never stop a fleet: every target is worth reporting.
    fn writes(&self) -> bool {
        matches!(self, Job::Upgrade { .. } | Job::Downgrade { .. })
    }
}

/// How one target ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Migrations ran.
    Done,
    /// Already at the target revision: nothing ran.
    Skipped,
    /// At the chain's head (current, check).
    AtHead,
    /// Not at the head (current, check).
    Behind,
    /// The plan was made (upgrade --plan).
    Planned,
    Failed,
    /// Not reached: an earlier failure stopped the fleet.
    NotStarted,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Done => "done",
            Status::Skipped => "skipped",
            Status::AtHead => "at head",
            Status::Behind => "behind",
            Status::Planned => "planned",
            Status::Failed => "failed",
            Status::NotStarted => "not started",
        }
    }
}

/// The report's line for one target.
#[derive(Debug, Clone)]
struct Outcome {
    status: Status,
    /// Whether the target's revision was read (false: it failed before).
    reached: bool,
    /// Whether `after` was read (a target at base has `after: None` too).
    after_read: bool,
    before: Option<String>,
    after: Option<String>,
    /// Migrations run (upgrade, downgrade) or pending (plan, current, check).
    count: usize,
    /// The error, or the plan's text.
    detail: Option<String>,
    hint: Option<String>,
    /// The plan as JSON (upgrade --plan).
    plan_json: Option<String>,
    seconds: f64,
}

impl Outcome {
    fn not_started() -> Self {
        Outcome {
            status: Status::NotStarted,
            reached: false,
            after_read: false,
            before: None,
            after: None,
            count: 0,
            detail: None,
            hint: None,
            plan_json: None,
            seconds: 0.0,
        }
    }
}

/// What `migrate fleet` was given.
pub(super) struct Request<'a> {
    pub chain: &'a Chain,
    pub table: &'a str,
    pub locks: Locks,
    pub job: Job,
    pub jobs: usize,
    pub on_error: Option<OnError>,
    pub json: bool,
}

/// Replaces `${NAME}` with `lookup(NAME)` (the environment), so that a
/// targets file can be kept without its passwords.
fn expand_env(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| Error::Usage("a `${` in a target's URL has no closing `}`".into()))?;
        let name = &after[..end];
        let value = lookup(name).ok_or_else(|| {
            Error::Usage(format!(
                "a target's URL names the environment variable {name}, which is not set"
            ))
        })?;
        out.push_str(&value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The default name of a target: its URL as shown (without a password), and
/// its schema.
fn default_name(url: &str, schema: Option<&str>) -> String {
    match schema {
        Some(s) => format!("{}#{s}", url::redact(url)),
        None => url::redact(url),
    }
}

/// Where `${VAR}` is read from: the environment for a targets file, nothing
/// for catalog rows (a catalog's data must not pull this process's
/// environment into a connection string to any host).
type Lookup<'a> = Option<&'a dyn Fn(&str) -> Option<String>>;

fn env_lookup(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn target(
    raw_url: &str,
    name: Option<String>,
    group: Option<String>,
    schema: Option<String>,
    cwd: &Path,
    lookup: Lookup<'_>,
) -> Result<Target> {
    let url = match lookup {
        Some(l) => expand_env(raw_url, l)?,
        None => raw_url.to_owned(),
    };
    // Each URL is checked before anything runs: a typo in the 50th target
    // must not surface after 49 were migrated.
    let parsed = url::parse(&url, cwd)?;
    let schema = schema.filter(|s| !s.is_empty());
    if let (Some(s), false) = (
        &schema,
        parsed.dialect() == crate::dialect::Dialect::Postgres,
    ) {
        return Err(Error::Schema(format!(
            "schema `{s}`: only PostgreSQL targets take a schema"
        )));
    }
    Ok(Target {
        // The name is made from the URL as written, so an expanded password
        // cannot reach the report.
        name: name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| default_name(raw_url, schema.as_deref())),
        shown: url::redact(raw_url),
        url,
        schema,
        group: group
            .filter(|g| !g.is_empty())
            .unwrap_or_else(|| DEFAULT_GROUP.into()),
    })
}

/// A targets file of lines: `URL [name=N] [group=G] [schema=S]`, `#` comments.
fn parse_lines(text: &str, cwd: &Path) -> Result<Vec<Target>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at_line = |e: Error| Error::Target {
            place: format!("targets file, line {}", n + 1),
            source: Box::new(e),
        };
        let mut words = line.split_whitespace();
        let url = words.next().unwrap_or_default();
        if url.contains('=') && !url.contains("://") {
            // A libpq connection string: its words would be read as
            // options, and echoing them could show a password.
            return Err(at_line(Error::Usage(
                "a connection string (key=value words) needs a TOML targets file; lines hold URLs"
                    .into(),
            )));
        }
        let (mut name, mut group, mut schema) = (None, None, None);
        for w in words {
            match w.split_once('=') {
                Some(("name", v)) => name = Some(v.to_owned()),
                Some(("group", v)) => group = Some(v.to_owned()),
                Some(("schema", v)) => schema = Some(v.to_owned()),
                // Nothing of the word is echoed: it may be a piece of a
                // password that held a space.
                _ => {
                    return Err(at_line(Error::Usage(
                        "a word after the URL that is not name=, group= or schema= (a URL holds no spaces: a password with one is percent-encoded, %20; a connection string needs TOML)".into(),
                    )))
                }
            }
        }
        out.push(target(url, name, group, schema, cwd, Some(&env_lookup)).map_err(at_line)?);
    }
    Ok(out)
}

/// A TOML targets file: `stages = [...]` (optional) and `[[target]]` tables
/// with `url` and optional `name`, `group`, `schema`.
fn parse_toml(text: &str, cwd: &Path) -> Result<(Vec<Target>, Vec<String>)> {
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| Error::Usage(format!("targets file: {}", e.message())))?;
    let bad = |what: String| Error::Usage(format!("targets file: {what}"));
    for key in doc.keys() {
        if key != "stages" && key != "target" {
            return Err(bad(format!(
                "unknown key `{key}` (expected `stages` and `[[target]]` tables)"
            )));
        }
    }
    let mut stages = Vec::new();
    if let Some(v) = doc.get("stages") {
        let list = v
            .as_array()
            .ok_or_else(|| bad("`stages` is a list of group names".into()))?;
        for s in list {
            stages.push(
                s.as_str()
                    .ok_or_else(|| bad("`stages` is a list of group names".into()))?
                    .to_owned(),
            );
        }
    }
    let mut out = Vec::new();
    let tables = match doc.get("target") {
        None => &Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or_else(|| bad("`target` must be `[[target]]` tables".into()))?,
    };
    for (i, t) in tables.iter().enumerate() {
        let t = t
            .as_table()
            .ok_or_else(|| bad(format!("target {} is not a table", i + 1)))?;
        let field = |k: &str| -> Result<Option<String>> {
            match t.get(k) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .map(|s| Some(s.to_owned()))
                    .ok_or_else(|| bad(format!("target {}: `{k}` must be a string", i + 1))),
            }
        };
        for key in t.keys() {
            if !["url", "name", "group", "schema"].contains(&key.as_str()) {
                return Err(bad(format!(
                    "target {}: unknown key `{key}` (url, name, group, schema)",
                    i + 1
                )));
            }
        }
        let u = field("url")?.ok_or_else(|| bad(format!("target {} has no `url`", i + 1)))?;
        out.push(
            target(
                &u,
                field("name")?,
                field("group")?,
                field("schema")?,
                cwd,
                Some(&env_lookup),
            )
            .map_err(|e| Error::Target {
                place: format!("targets file, target {}", i + 1),
                source: Box::new(e),
            })?,
        );
    }
    Ok((out, stages))
}

/// The targets of a catalog query: columns `url` and optionally `name`,
/// `grp` (or `group`) and `schema`, all text.
fn from_catalog(catalog_url: &str, query: &str, cwd: &Path) -> Result<Vec<Target>> {
    let mut conn = AnyConnection::establish(catalog_url)?;
    let rows = conn.query_catalog(query).map_err(|e| {
        Error::Usage(format!(
            "the catalog query failed: {} (it must return a text column `url`, and may return `name`, `grp`, `schema`)",
            url::scrub(&e.to_string(), catalog_url)
        ))
    })?;
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| {
            target(&r.url, r.name, r.group, r.schema, cwd, None).map_err(|e| Error::Target {
                place: format!("catalog row {}", i + 1),
                source: Box::new(e),
            })
        })
        .collect()
}

/// Reads the targets and the stage order (from the file, else `[]`).
pub(super) fn load(
    file: Option<&Path>,
    catalog: Option<(&str, &str)>,
) -> Result<(Vec<Target>, Vec<String>)> {
    let cwd = std::env::current_dir().map_err(|e| Error::Io {
        context: "cannot read the current directory".into(),
        source: e,
    })?;
    let (targets, stages) = match (file, catalog) {
        (Some(f), _) => {
            let text = std::fs::read_to_string(f).map_err(|e| Error::Io {
                context: format!("cannot read the targets file {}", f.display()),
                source: e,
            })?;
            if f.extension().is_some_and(|e| e == "toml") {
                parse_toml(&text, &cwd)?
            } else {
                (parse_lines(&text, &cwd)?, Vec::new())
            }
        }
        (None, Some((u, q))) => (from_catalog(u, q, &cwd)?, Vec::new()),
        (None, None) => {
            return Err(Error::Usage(
                "fleet needs its targets: --targets FILE or --catalog URL --query SQL".into(),
            ))
        }
    };
    if targets.is_empty() {
        return Err(Error::Usage("the fleet has no targets".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for t in &targets {
        if !seen.insert(t.name.as_str()) {
            return Err(Error::Usage(format!(
                "two targets are named `{}`: names must be unique (the report and the re-run go by them)",
                t.name
            )));
        }
    }
    Ok((targets, stages))
}

/// The targets of `groups` only (all of them when it is empty), and the
/// stage order without the groups left out. A group no target has is
/// refused: a typo must not run nothing, or the wrong part of the fleet (a
/// stage no target has stays, for [`stages`] to refuse).
pub(super) fn only_groups(
    targets: Vec<Target>,
    stages: Vec<String>,
    groups: &[String],
) -> Result<(Vec<Target>, Vec<String>)> {
    if groups.is_empty() {
        return Ok((targets, stages));
    }
    if let Some(g) = groups
        .iter()
        .find(|g| !targets.iter().any(|t| &t.group == *g))
    {
        let known: std::collections::BTreeSet<&str> =
            targets.iter().map(|t| t.group.as_str()).collect();
        return Err(Error::Usage(format!(
            "group `{g}` is no target's group (groups: {})",
            known.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    let all: std::collections::HashSet<String> = targets.iter().map(|t| t.group.clone()).collect();
    let known = |g: &String| all.contains(g);
    let kept: Vec<Target> = targets
        .into_iter()
        .filter(|t| groups.contains(&t.group))
        .collect();
    let stages = stages
        .into_iter()
        .filter(|s| groups.contains(s) || !known(s))
        .collect();
    Ok((kept, stages))
}

/// The stages: the groups in `order`, then the others in the order they first
/// appear. A stage named in `order` that no target has is refused (a typo
/// would otherwise drop the canary).
fn stages(targets: &[Target], order: &[String]) -> Result<Vec<(String, Vec<usize>)>> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        match groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, v)) => v.push(i),
            None => groups.push((t.group.clone(), vec![i])),
        }
    }
    let mut out = Vec::new();
    for name in order {
        let at = groups.iter().position(|(g, _)| g == name).ok_or_else(|| {
            Error::Usage(format!(
                "stage `{name}` is no target's group (groups: {})",
                targets
                    .iter()
                    .map(|t| t.group.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        out.push(groups.remove(at));
    }
    out.extend(groups);
    Ok(out)
}

fn revision(chain: &Chain, p: Option<usize>) -> Option<String> {
    p.map(|i| chain.migrations()[i].revision().to_owned())
}

/// Runs the job on one target. Step lines go to standard error, prefixed with
/// the target's name.
fn run_one(req: &Request<'_>, t: &Target, out: &mut Outcome) -> Result<()> {
    let chain = req.chain;
    // A read-only job never creates a SQLite file: a missing one reads as empty.
    let missing = !req.job.writes() && super::missing_sqlite_file(&t.url).is_some();
    let mut conn = AnyConnection::establish(if missing { "sqlite://" } else { &t.url })?;
    if let Some(s) = &t.schema {
        conn.use_schema(s)?;
    }
    let reader = Migrator::new(chain).version_table(req.table);
    // Read before the run takes its lock: where the target stood when the
    // fleet reached it (the report's `before`).
    let before = reader.position(&mut conn)?;
    out.before = revision(chain, before);
    out.reached = true;
    let head = chain.head_position();
    let pending = |p: Option<usize>| chain.len() - p.map_or(0, |i| i + 1);
    let write = match &req.job {
        Job::Upgrade {
            target,
            out_of_order,
        } => Some((target.as_str(), *out_of_order, Direction::Upgrade)),
        Job::Downgrade { target } => Some((target.as_str(), false, Direction::Downgrade)),
        Job::Plan { .. } | Job::Current | Job::Check => None,
    };
    if let Some((target, out_of_order, direction)) = write {
        let label = format!("[{}] ", t.name);
        let (m, ran) = super::labelled_migrator(chain, req.table, req.locks, label);
        let mut m = m.out_of_order(out_of_order).lease_url(t.url.as_str());
        let steps = match direction {
            Direction::Upgrade => m.upgrade(&mut conn, target),
            Direction::Downgrade => m.downgrade(&mut conn, target),
        };
        // Where a failed run left the target, for the report (a failure
        // to read it is the run's error's business, not a second one),
        // and how many migrations it ran before it stopped.
        let after = m.position(&mut conn).ok();
        out.after = after.and_then(|p| revision(chain, p));
        out.after_read = after.is_some();
        out.count = ran.get();
        let steps = steps?;
        out.count = steps.len();
        out.status = if steps.is_empty() {
            Status::Skipped
        } else {
            Status::Done
        };
        return Ok(());
    }
    out.after = out.before.clone();
    out.after_read = true;
    match &req.job {
        Job::Plan {
            target,
            out_of_order,
        } => {
            let p = reader.out_of_order(*out_of_order).plan(&mut conn, target)?;
            out.status = Status::Planned;
            out.count = p.migrations.len();
            out.detail = Some(p.to_string());
            out.plan_json = Some(p.to_json());
        }
        Job::Current => {
            out.status = if reader.is_at_head(&mut conn)? {
                Status::AtHead
            } else {
                Status::Behind
            };
            out.count = pending(before);
        }
        Job::Check => {
            out.count = pending(before);
            reader.verify(&mut conn)?;
            out.status = if before == head {
                Status::AtHead
            } else {
                Status::Behind
            };
        }
        // Handled above.
        Job::Upgrade { .. } | Job::Downgrade { .. } => {}
    }
    Ok(())
}

/// Runs the job on one target, whatever happens: an error or a panic in a
/// migration is a failed target, never a stopped fleet.
fn run_guarded(req: &Request<'_>, t: &Target) -> Outcome {
    let start = Instant::now();
    let mut o = Outcome {
        status: Status::Done,
        ..Outcome::not_started()
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_one(req, t, &mut o)));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            o.status = Status::Failed;
            o.detail = Some(url::scrub(&e.to_string(), &t.url));
            o.hint = e.hint().map(|h| url::scrub(&h, &t.url));
            super::say(&format!(
                "[{}] ERROR: {}",
                t.name,
                o.detail.as_deref().unwrap_or_default()
            ));
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            o.status = Status::Failed;
            o.detail = Some(format!("the run panicked: {}", url::scrub(&what, &t.url)));
            super::say(&format!(
                "[{}] ERROR: {}",
                t.name,
                o.detail.as_deref().unwrap_or_default()
            ));
        }
    }
    o.seconds = start.elapsed().as_secs_f64();
    o
}

/// A target relative to each database's own revision (`+1`, `-2`,
/// `current`) moves the targets already done once more when the same command
/// is run again after a failure: refused, so that a re-run is always a resume.
pub(super) fn absolute_target(target: &str) -> Result<()> {
    // As the chain reads it: trimmed.
    let target = target.trim();
    if target.starts_with('+') || target.starts_with('-') || target.contains("current") {
        return Err(Error::Usage(format!(
            "fleet target `{target}` is relative to each database's revision, and a re-run after a failure would move the targets already done again: give head, base, a revision, or REV+N / REV-N"
        )));
    }
    Ok(())
}

/// Runs the fleet, prints the report, and returns the exit code: 0 when no
/// target failed (and, for `check`, all are at head), else 1.
pub(super) fn run(req: &Request<'_>, targets: &[Target], order: &[String]) -> Result<i32> {
    if let Job::Upgrade { target, .. } | Job::Plan { target, .. } | Job::Downgrade { target } =
        &req.job
    {
        absolute_target(target)?;
    }
    let plan = stages(targets, order)?;
    let policy = req.on_error.unwrap_or(if req.job.writes() {
        OnError::Stop
    } else {
        OnError::Continue
    });
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; targets.len()]);
    // A migration's panic message may quote a URL: the default hook would
    // print it unscrubbed. run_guarded reports it, scrubbed, with the target.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let mut stopped_at: Option<String> = None;
    for (group, members) in &plan {
        if stopped_at.is_some() {
            break;
        }
        let queue = Mutex::new(members.iter().copied().collect::<VecDeque<usize>>());
        let failed = AtomicBool::new(false);
        let workers = req.jobs.clamp(1, members.len());
        let work = || loop {
            // Checked and popped under the queue's lock, which a failure
            // empties under stop: no target starts after one failed.
            let next = {
                let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                if policy == OnError::Stop && failed.load(Ordering::SeqCst) {
                    None
                } else {
                    q.pop_front()
                }
            };
            let Some(i) = next else { break };
            let o = run_guarded(req, &targets[i]);
            if o.status == Status::Failed {
                let mut q = queue.lock().unwrap_or_else(|e| e.into_inner());
                failed.store(true, Ordering::SeqCst);
                if policy == OnError::Stop {
                    q.clear();
                }
            }
            // A poisoned lock only follows a panic, which run_guarded catches.
            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(o);
        };
        std::thread::scope(|s| {
            let mut started = 0;
            for k in 0..workers {
                // A thread the system refuses (a pid limit) means fewer
                // workers, never a panic; with none, this thread works.
                if std::thread::Builder::new()
                    .name(format!("fleet-{k}"))
                    .spawn_scoped(s, work)
                    .is_ok()
                {
                    started += 1;
                }
            }
            if started == 0 {
                work();
            }
        });
        // A failure stops the later stages of a command that writes; a
        // read-only command reports every target.
        if failed.load(Ordering::SeqCst) && req.job.writes() {
            stopped_at = Some(group.clone());
        }
    }
    std::panic::set_hook(hook);
    let results: Vec<Outcome> = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|o| o.unwrap_or_else(Outcome::not_started))
        .collect();
    let wall = started.elapsed().as_secs_f64();
    let text = if req.json {
        json_report(req, targets, &results, wall)
    } else {
        table_report(req, targets, &results)
    };
    super::commands::out(&text)?;
    let count = |s: Status| results.iter().filter(|o| o.status == s).count();
    let mut summary = format!("fleet {}: ", req.job.name());
    let parts: Vec<String> = [
        Status::Done,
        Status::Skipped,
        Status::Planned,
        Status::AtHead,
        Status::Behind,
        Status::Failed,
        Status::NotStarted,
    ]
    .into_iter()
    .filter(|&s| count(s) > 0 || s == Status::Failed)
    .map(|s| format!("{} {}", count(s), s.as_str()))
    .collect();
    summary.push_str(&parts.join(", "));
    summary.push_str(&format!(
        " of {} targets in {wall:.2} s (-j {})",
        targets.len(),
        req.jobs
    ));
    super::say(&summary);
    if let Some(g) = stopped_at.filter(|_| count(Status::NotStarted) > 0) {
        super::say(&format!("Stopped after stage `{g}`: a target in it failed; fix it and run the same command again (targets already done are skipped)"));
    }
    let bad = count(Status::Failed) > 0
        || count(Status::NotStarted) > 0
        || (matches!(req.job, Job::Check) && count(Status::Behind) > 0);
    Ok(if bad { 1 } else { 0 })
}

fn shown(rev: &Option<String>) -> &str {
    rev.as_deref().unwrap_or("<base>")
}

fn result_words(req: &Request<'_>, o: &Outcome) -> String {
    match o.status {
        Status::Done => format!(
            "done ({} migration{})",
            o.count,
            if o.count == 1 { "" } else { "s" }
        ),
        Status::Skipped => "skipped (already there)".into(),
        Status::Planned => format!("planned ({} pending)", o.count),
        Status::Behind => format!("behind ({} pending)", o.count),
        Status::Failed if matches!(req.job, Job::Check) => "failed check".into(),
        s => s.as_str().into(),
    }
}

/// The report as a table (and, for --plan, each plan before it; failures'
/// messages after it).
fn table_report(req: &Request<'_>, targets: &[Target], results: &[Outcome]) -> String {
    let mut s = String::new();
    for (t, o) in targets.iter().zip(results) {
        if let (Status::Planned, Some(d)) = (o.status, &o.detail) {
            s.push_str(&format!("== {} ==\n{d}\n", t.name));
        }
    }
    let rows: Vec<[String; 6]> = targets
        .iter()
        .zip(results)
        .map(|(t, o)| {
            let not_run =
                o.status == Status::NotStarted || (o.status == Status::Failed && !o.after_read);
            [
                t.name.clone(),
                t.group.clone(),
                if o.reached {
                    shown(&o.before).to_owned()
                } else {
                    "-".into()
                },
                if not_run {
                    "-".into()
                } else {
                    shown(&o.after).to_owned()
                },
                result_words(req, o),
                if o.status == Status::NotStarted {
                    "-".into()
                } else {
                    format!("{:.2}s", o.seconds)
                },
            ]
        })
        .collect();
    let head = ["TARGET", "GROUP", "BEFORE", "AFTER", "RESULT", "TIME"];
    let mut widths = head.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 5 {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        l.trim_end().to_owned() + "\n"
    };
    s.push_str(&line(head));
    for r in &rows {
        s.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    let failed: Vec<_> = targets
        .iter()
        .zip(results)
        .filter(|(_, o)| o.status == Status::Failed)
        .collect();
    if !failed.is_empty() {
        s.push_str("\nFailed:\n");
        for (t, o) in failed {
            s.push_str(&format!(
                "  {}: {}\n",
                t.name,
                o.detail.as_deref().unwrap_or_default()
            ));
            if let Some(h) = &o.hint {
                s.push_str(&format!("    hint: {h}\n"));
            }
        }
    }
    s
}

fn json_opt(v: &Option<String>) -> String {
    v.as_deref().map_or_else(|| "null".into(), json_str)
}

/// The report as JSON: one object per target, in the targets' order.
fn json_report(req: &Request<'_>, targets: &[Target], results: &[Outcome], wall: f64) -> String {
    let head = revision(req.chain, req.chain.head_position());
    let mut s = format!(
        "{{\"command\":{},\"head\":{},\"jobs\":{},\"seconds\":{wall:.3},\"targets\":[",
        json_str(req.job.name()),
        json_opt(&head),
        req.jobs
    );
    for (i, (t, o)) in targets.iter().zip(results).enumerate() {
        if i > 0 {
            s.push(',');
        }
        let (error, plan) = match o.status {
            Status::Failed => (json_opt(&o.detail), "null".into()),
            _ => (
                "null".into(),
                o.plan_json.clone().unwrap_or_else(|| "null".into()),
            ),
        };
        s.push_str(&format!(
            "{{\"name\":{},\"url\":{},\"schema\":{},\"group\":{},\"status\":{},\"reached\":{},\"before\":{},\"after\":{},\"migrations\":{},\"seconds\":{:.3},\"error\":{error},\"hint\":{},\"plan\":{}}}",
            json_str(&t.name),
            json_str(&t.shown),
            json_opt(&t.schema),
            json_str(&t.group),
            json_str(&o.status.as_str().replace(' ', "_")),
            o.reached,
            json_opt(&o.before),
            json_opt(&o.after),
            o.count,
            o.seconds,
            json_opt(&o.hint),
            plan.trim_end()
        ));
    }
    s.push_str("]}\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cwd() -> std::path::PathBuf {
        std::path::PathBuf::from("/tmp")
    }

    #[test]
    fn lines_take_names_groups_and_schemas_and_comments() {
        let t = parse_lines(
            "# tenants\n\nsqlite:///a.db\npostgres://u:secret@h/db schema=acme group=canary name=acme\n",
            &cwd(),
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].name, "sqlite:///a.db");
        assert_eq!(t[0].group, "default");
        assert_eq!(t[1].name, "acme");
        assert_eq!(t[1].schema.as_deref(), Some("acme"));
        assert_eq!(t[1].group, "canary");
    }

    #[test]
    fn a_default_name_never_holds_the_password() {
        let t = parse_lines("postgres://u:secret@h/db schema=s\n", &cwd()).unwrap();
        assert!(!t[0].name.contains("secret"), "{}", t[0].name);
        assert!(t[0].name.ends_with("#s"));
    }

    #[test]
    fn bad_lines_are_named_and_passwords_kept_out() {
        let e = parse_lines("sqlite:///a.db\npostgres://u:pw@h/db colour=red\n", &cwd())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = parse_lines("nosuch://u:pw@h/db\n", &cwd())
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1") && !e.contains("pw@"), "{e}");
    }

    #[test]
    fn toml_targets_and_stages() {
        let (t, st) = parse_toml(
            "stages = [\"canary\"]\n[[target]]\nurl = \"sqlite:///a.db\"\ngroup = \"canary\"\n[[target]]\nurl = \"sqlite:///b.db\"\nname = \"b\"\n",
            &cwd(),
        )
        .unwrap();
        assert_eq!(st, vec!["canary".to_string()]);
        assert_eq!(t[1].name, "b");
        for bad in [
            "[[target]]\nname = \"x\"\n",
            "[[target]]\nurl = \"sqlite:///a.db\"\ncolour = \"red\"\n",
            "stages = \"canary\"\n",
            "other = 1\n",
            "[[target]\n",
        ] {
            assert!(parse_toml(bad, &cwd()).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_variables_fill_urls_and_stay_out_of_names() {
        let env = |k: &str| (k == "PW").then(|| "hunter2".to_owned());
        let raw = "postgres://u:${PW}@h/db";
        let t = target(raw, None, None, None, &cwd(), Some(&env)).unwrap();
        assert_eq!(t.url, "postgres://u:hunter2@h/db");
        assert!(!t.name.contains("hunter2") && !t.shown.contains("hunter2"));
        assert!(target(
            "postgres://u:${NOPE}@h/db",
            None,
            None,
            None,
            &cwd(),
            Some(&env)
        )
        .is_err());
        // Catalog rows are taken as they are.
        let t = target(raw, None, None, None, &cwd(), None).unwrap();
        assert_eq!(t.url, raw);
    }

    #[test]
    fn relative_targets_are_refused() {
        for t in ["+1", "-1", "current", "current+1", " +1", "\t-1"] {
            assert!(absolute_target(t).is_err(), "{t}");
        }
        for t in ["head", "base", "a1b2c3d4e5f6", "a1b2+1", "a1b2-1"] {
            assert!(absolute_target(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn a_connection_string_line_is_refused_without_echoing_it() {
        let e = parse_lines("host=db password=s3cret dbname=x\n", &cwd())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
        let e = parse_lines("postgres://u:pa ss@h/db\n", &cwd())
            .unwrap_err()
            .to_string();
        assert!(!e.contains("ss@h"), "{e}");
    }

    #[test]
    fn a_group_filter_keeps_its_targets_and_their_stages_and_refuses_a_typo() {
        let t = parse_lines(
            "sqlite:///a.db group=canary\nsqlite:///b.db group=eu\nsqlite:///c.db group=us\n",
            &cwd(),
        )
        .unwrap();
        let (kept, stages) = only_groups(
            t.clone(),
            vec!["canary".into(), "eu".into(), "nosuch".into()],
            &["eu".into(), "us".into()],
        )
        .unwrap();
        let groups: Vec<&str> = kept.iter().map(|t| t.group.as_str()).collect();
        assert_eq!(groups, ["eu", "us"]);
        // canary is left out; a stage no target has stays, to be refused.
        assert_eq!(stages, ["eu", "nosuch"]);
        let e = only_groups(t.clone(), Vec::new(), &["uss".into()]).unwrap_err();
        assert!(
            e.to_string()
                .contains("`uss` is no target's group (groups: canary, eu, us)"),
            "{e}"
        );
        assert_eq!(only_groups(t, Vec::new(), &[]).unwrap().0.len(), 3);
    }

    #[test]
    fn stages_follow_the_order_given_then_first_appearance() {
        let t = parse_lines(
            "sqlite:///a.db group=b\nsqlite:///b.db group=canary\nsqlite:///c.db group=b\nsqlite:///d.db group=c\n",
            &cwd(),
        )
        .unwrap();
        let s = stages(&t, &["canary".into()]).unwrap();
        let names: Vec<_> = s.iter().map(|(g, m)| (g.as_str(), m.clone())).collect();
        assert_eq!(
            names,
            vec![("canary", vec![1]), ("b", vec![0, 2]), ("c", vec![3])]
        );
        assert!(stages(&t, &["canray".into()]).is_err());
    }
}
