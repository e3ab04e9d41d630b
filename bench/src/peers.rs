//! The Rust tools a user would pick instead of this one, run on the same SQL as
//! the raw rows: sqlx-cli's `sqlx migrate` and refinery_cli's `refinery migrate`.
//!
//! Both are installed from crates.io into `target/bench/tools` on first use,
//! pinned to one version each so that figures of different days compare. Their
//! migration files are cut from the workload's raw autocommit scripts (the same
//! statements `sqlite3` and `psql` run in the raw rows) at gen.py's
//! `-- revision I: REV KIND` markers, with the Alembic version-table statements
//! taken out, since each tool keeps its own table. The files go under
//! `target/bench/n<N>/peers`, never into the checkout.
//!
//! Every timed run is followed by a check that the tool did the work: the
//! tables (with their columns) and indexes it leaves must be the raw script's,
//! and its own version table must list every migration (or none, after a
//! downgrade). A run that fails, or a check that does not hold, prints as a
//! failed cell with the reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::chain::cargo_cmd;
use crate::{stats, try_sh, Cell, Opts, Stats};

/// A migration CLI from crates.io.
struct Tool {
    krate: &'static str,
    version: &'static str,
    bin: &'static str,
    /// The fewest features that run SQLite and PostgreSQL here.
    features: &'static str,
}

/// sqlx-cli: `sqlite` is SQLite compiled in (libsqlite3-sys `bundled`), as in
/// our own build; PostgreSQL needs no TLS feature to reach a local server
/// (with `sslmode=prefer`, the default, sqlx skips TLS when none is compiled in).
const SQLX: Tool = Tool {
    krate: "sqlx-cli",
    version: "0.9.0",
    bin: "sqlx",
    features: "sqlite,postgres",
};

/// refinery_cli: its `postgresql` feature always brings native TLS (OpenSSL);
/// there is no PostgreSQL feature without it. `sqlite-bundled` compiles SQLite
/// in (the same libsqlite3-sys 0.38 as our build) rather than linking the
/// system's 3.40.
const REFINERY: Tool = Tool {
    krate: "refinery_cli",
    version: "0.10.0",
    bin: "refinery",
    features: "postgresql,sqlite-bundled",
};

/// Shown where refinery would need a downgrade.
pub(crate) const NO_DOWN: &str = "refinery has no down migrations";
/// Shown where sqlx would need one transaction over the whole run.
pub(crate) const NO_ONE_TX: &str =
    "sqlx-cli runs each migration in its own transaction and has no option for one over the run";

/// The installed tools, or why one could not be installed.
pub(crate) struct Tools {
    sqlx: Result<PathBuf, String>,
    refinery: Result<PathBuf, String>,
}

/// Installs both tools unless `--no-peers` was given (then `None`). A tool
/// already installed at its version is not built again; one that fails to
/// install is reported in its cells, and the other rows are still measured.
pub(crate) fn install(o: &Opts) -> Option<Tools> {
    if !o.peers {
        return None;
    }
    let root = o.out.join("tools");
    let tools = Tools {
        sqlx: install_one(&root, &SQLX),
        refinery: install_one(&root, &REFINERY),
    };
    for (t, r) in [(&SQLX, &tools.sqlx), (&REFINERY, &tools.refinery)] {
        match r {
            Ok(bin) => println!(
                "{} {} (features {}): {}",
                t.krate,
                t.version,
                t.features,
                bin.display()
            ),
            Err(e) => println!("{} {}: not available: {e}", t.krate, t.version),
        }
    }
    Some(tools)
}

/// The version a tool binary reports (`sqlx-cli 0.9.0`, `refinery_cli 0.10.0`).
fn installed_version(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .map(str::to_owned)
}

fn install_one(root: &Path, t: &Tool) -> Result<PathBuf, String> {
    let bin = root.join("bin").join(t.bin);
    if installed_version(&bin).as_deref() == Some(t.version) {
        return Ok(bin);
    }
    eprintln!(
        "installing {} {} into {}",
        t.krate,
        t.version,
        root.display()
    );
    let start = Instant::now();
    // `--locked`: the tool's own lock file, so that its dependencies are the
    // ones its release was tested with. A bare version installs exactly it.
    let status = cargo_cmd()
        .args(["install", "--locked", "--root"])
        .arg(root)
        .args([
            "--version",
            t.version,
            "--no-default-features",
            "--features",
        ])
        .args([t.features, t.krate])
        .status()
        .map_err(|e| format!("cargo install {}: {e}", t.krate))?;
    if !status.success() {
        return Err(format!(
            "cargo install {} {} failed ({status})",
            t.krate, t.version
        ));
    }
    eprintln!(
        "installed {} {} in {:.0} s",
        t.krate,
        t.version,
        start.elapsed().as_secs_f64()
    );
    match installed_version(&bin) {
        Some(v) if v == t.version => Ok(bin),
        v => Err(format!(
            "{} reports version {v:?} after the install, not {}",
            bin.display(),
            t.version
        )),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The folder of its files, and the raw scripts they are cut from.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Dialect::Sqlite => ("sqlite", "sqlite_upgrade.sql", "sqlite_downgrade.sql"),
            Dialect::Postgres => (
                "postgresql",
                "postgresql_upgrade.sql",
                "postgresql_downgrade.sql",
            ),
        }
    }
}

/// One revision's statements, as the raw script runs them.
struct Block {
    index: usize,
    revision: String,
    kind: String,
    statements: Vec<String>,
}

/// The statements that keep Alembic's version table in a revision, which the
/// raw scripts run and the peer tools must not (each keeps its own).
fn is_version_statement(stmt: &str) -> bool {
    [
        "INSERT INTO alembic_version ",
        "UPDATE alembic_version ",
        "DELETE FROM alembic_version ",
    ]
    .iter()
    .any(|p| stmt.starts_with(p))
}

/// Cuts a raw autocommit script into its revisions. gen.py writes each
/// statement as lines ending with `;` on the last one, and each revision after
/// a `-- revision I: REV KIND` line. Anything else than that shape (a
/// transaction statement, a version-table statement that is not one of the four
/// known ones, a statement before the first revision other than the version
/// table) is an error: the files must hold the raw rows' work, no more, no less.
fn raw_blocks(script: &Path) -> Result<Vec<Block>, String> {
    let text = std::fs::read_to_string(script)
        .map_err(|e| format!("reading {}: {e}", script.display()))?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut stmt = String::new();
    for line in text.lines() {
        if stmt.is_empty() {
            if let Some(label) = line.strip_prefix("-- revision ") {
                let mut words = label.split_whitespace();
                let index = words
                    .next()
                    .and_then(|i| i.strip_suffix(':'))
                    .and_then(|i| i.parse().ok());
                let (Some(index), Some(revision), Some(kind), None) =
                    (index, words.next(), words.next(), words.next())
                else {
                    return Err(format!("unexpected revision marker {line:?}"));
                };
                blocks.push(Block {
                    index,
                    revision: revision.to_owned(),
                    kind: kind.to_owned(),
                    statements: Vec::new(),
                });
                continue;
            }
            if line.trim().is_empty() || line.starts_with("--") {
                continue;
            }
        }
        stmt.push_str(line);
        if !line.ends_with(';') {
            stmt.push('\n');
            continue;
        }
        let s = std::mem::take(&mut stmt);
        let upper = s.trim().to_ascii_uppercase();
        if matches!(upper.as_str(), "BEGIN;" | "COMMIT;" | "ROLLBACK;") {
            return Err(format!(
                "{}: a transaction statement; the files are cut from the autocommit script",
                script.display()
            ));
        }
        // The version table itself is created before the first revision.
        let creates_version_table =
            blocks.is_empty() && s.starts_with("CREATE TABLE alembic_version ");
        if creates_version_table || (!blocks.is_empty() && is_version_statement(&s)) {
            continue;
        }
        if s.contains("alembic_version") {
            return Err(format!(
                "{}: a statement on alembic_version of an unknown form: {s}",
                script.display()
            ));
        }
        match blocks.last_mut() {
            Some(b) => b.statements.push(s),
            None => {
                return Err(format!(
                    "{}: a statement before the first revision: {s}",
                    script.display()
                ))
            }
        }
    }
    if !stmt.trim().is_empty() {
        return Err(format!(
            "{}: the script ends inside a statement",
            script.display()
        ));
    }
    Ok(blocks)
}

fn file_text(b: &Block) -> String {
    // The marker comment first: it names the revision, and no tool reads it as
    // a directive (sqlx only looks for `-- no-transaction`).
    let mut t = format!("-- revision {}: {} {}\n", b.index, b.revision, b.kind);
    for s in &b.statements {
        let _ = writeln!(t, "{s}");
    }
    t
}

/// Writes both tools' files for both dialects under `dir`:
/// `sqlx/<dialect>/<VVVV>_<kind>.up.sql` and `.down.sql`, and
/// `refinery/<dialect>/V<V>__<kind>.sql`, with version V = revision index + 1
/// (sqlx's `--target-version 0` means "before every migration").
fn write_files(wl: &Path, dir: &Path, n: usize) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(dir);
    for d in [Dialect::Sqlite, Dialect::Postgres] {
        let (name, up_script, down_script) = d.names();
        let up = raw_blocks(&wl.join("raw").join(up_script))?;
        let mut down = raw_blocks(&wl.join("raw").join(down_script))?;
        down.reverse();
        if up.len() != n || down.len() != n {
            return Err(format!(
                "{name}: {} upgrade and {} downgrade revisions in the raw scripts, expected {n}",
                up.len(),
                down.len()
            ));
        }
        let sqlx = dir.join("sqlx").join(name);
        let refinery = dir.join("refinery").join(name);
        for p in [&sqlx, &refinery] {
            std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        for (i, (u, dn)) in up.iter().zip(&down).enumerate() {
            if u.index != i || dn.index != i || u.revision != dn.revision {
                return Err(format!(
                    "{name}: revision {i} is out of order in the raw scripts"
                ));
            }
            // Both tools take the description from the file name: refinery
            // accepts only word characters there.
            if u.kind.is_empty()
                || !u
                    .kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(format!("{name}: revision kind {:?} is not a word", u.kind));
            }
            let v = i + 1;
            let write = |p: PathBuf, text: String| {
                std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))
            };
            write(sqlx.join(format!("{v:04}_{}.up.sql", u.kind)), file_text(u))?;
            write(
                sqlx.join(format!("{v:04}_{}.down.sql", u.kind)),
                file_text(dn),
            )?;
            write(refinery.join(format!("V{v}__{}.sql", u.kind)), file_text(u))?;
        }
    }
    Ok(())
}

/// A database the peer tools run on, with the same reset between repetitions
/// as the other rows of its table.
pub(crate) struct Db<'a> {
    pub(crate) dialect: Dialect,
    /// Empties the database.
    pub(crate) reset: &'a dyn Fn(),
    /// The current database's URL, in the form both tools take.
    pub(crate) url: &'a dyn Fn() -> String,
    /// Runs one query and returns its rows, one a line.
    pub(crate) query: &'a dyn Fn(&str) -> Result<String, String>,
    /// [`schema`] after the raw upgrade script: what a tool's upgrade must leave.
    pub(crate) head: &'a Result<Vec<String>, String>,
}

/// Tables (with their columns) and indexes, sorted, less every tool's version
/// table and its index.
pub(crate) fn schema(
    dialect: Dialect,
    query: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Vec<String>, String> {
    let sql = match dialect {
        Dialect::Sqlite => {
            "SELECT m.type || ' ' || m.name || COALESCE(' (' || (SELECT group_concat(c.name, ', ') FROM pragma_table_info(m.name) c) || ')', '') \
             FROM sqlite_master m WHERE m.name NOT LIKE 'sqlite_%' ORDER BY 1"
        }
        Dialect::Postgres => {
            "SELECT 'table ' || table_name || ' (' || string_agg(column_name::text, ', ' ORDER BY ordinal_position) || ')' \
             FROM information_schema.columns WHERE table_schema = 'public' GROUP BY table_name \
             UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        }
    };
    let own = [
        "alembic_version",
        "_sqlx_migrations",
        "refinery_schema_history",
    ];
    let mut out: Vec<String> = query(sql)?
        .lines()
        .filter(|l| {
            let name = l.split_whitespace().nth(1).unwrap_or_default();
            !own.iter().any(|t| name.starts_with(t))
        })
        .map(str::to_owned)
        .collect();
    out.sort();
    Ok(out)
}

/// What one peer run is.
#[derive(Clone, Copy)]
pub(crate) enum Work {
    /// Empty database to head.
    Upgrade,
    /// Head to empty, in one command.
    Downgrade,
    /// Head to empty, one command per migration.
    DowngradeStepwise,
    /// An upgrade on a database already at head.
    Noop,
}

/// The peer tools for one workload: the tools and the files written for it.
pub(crate) struct Set<'a> {
    tools: &'a Tools,
    files: Result<PathBuf, String>,
    n: usize,
}

impl<'a> Set<'a> {
    /// Writes the files of the workload `wl` (of `n` revisions) under `dir`.
    pub(crate) fn new(tools: &'a Tools, wl: &Path, dir: &Path, n: usize) -> Self {
        let files = write_files(wl, dir, n).map(|()| dir.to_path_buf());
        if let Err(e) = &files {
            eprintln!("peer migration files: {e}");
        }
        Set { tools, files, n }
    }

    fn dir(&self, tool: &str, d: Dialect) -> Result<PathBuf, String> {
        let root = self.files.as_ref().map_err(Clone::clone)?;
        Ok(root.join(tool).join(d.names().0))
    }

    /// `sqlx migrate <args>` on the current database.
    fn sqlx_cmd(&self, db: &Db, args: &[&str]) -> Result<Command, String> {
        let bin = self.tools.sqlx.as_ref().map_err(Clone::clone)?;
        let mut c = Command::new(bin);
        c.arg("migrate")
            .args(args)
            .arg("--source")
            .arg(self.dir("sqlx", db.dialect)?)
            .arg("--database-url")
            .arg((db.url)())
            // Only the URL given here, never a `.env` found above the folder.
            .arg("--no-dotenv");
        Ok(c)
    }

    /// `refinery migrate` on the current database (its URL in an environment
    /// variable, refinery's way besides a config file).
    fn refinery_cmd(&self, db: &Db, grouped: bool) -> Result<Command, String> {
        let bin = self.tools.refinery.as_ref().map_err(Clone::clone)?;
        let mut c = Command::new(bin);
        c.args(["migrate", "-e", "BENCH_REFINERY_URL", "-p"])
            .arg(self.dir("refinery", db.dialect)?)
            .env("BENCH_REFINERY_URL", (db.url)());
        if grouped {
            c.arg("-g");
        }
        Ok(c)
    }

    /// sqlx-cli doing `work`: `migrate run`, or `migrate revert --target-version 0`
    /// (every migration, in one call), or `migrate revert` once per migration
    /// (its default: one migration a call).
    pub(crate) fn sqlx(&self, db: &Db, r: usize, work: Work) -> Cell {
        let run = || self.sqlx_cmd(db, &["run"]).and_then(|mut c| try_sh(&mut c));
        let timed = || match work {
            Work::Upgrade | Work::Noop => run(),
            Work::Downgrade => self
                .sqlx_cmd(db, &["revert", "--target-version", "0"])
                .and_then(|mut c| try_sh(&mut c)),
            Work::DowngradeStepwise => (0..self.n).try_for_each(|_| {
                self.sqlx_cmd(db, &["revert"])
                    .and_then(|mut c| try_sh(&mut c))
            }),
        };
        let count = "SELECT count(*) FROM _sqlx_migrations";
        self.measure(db, r, work, &run, &timed, count)
    }

    /// refinery_cli doing `work`: `migrate` (a transaction per migration, its
    /// default) or `migrate -g` (grouped: one transaction for the run).
    pub(crate) fn refinery(&self, db: &Db, r: usize, work: Work, grouped: bool) -> Cell {
        if matches!(work, Work::Downgrade | Work::DowngradeStepwise) {
            return Cell::Na(NO_DOWN);
        }
        let run = || {
            self.refinery_cmd(db, grouped)
                .and_then(|mut c| try_sh(&mut c))
        };
        let count = "SELECT count(*) FROM refinery_schema_history";
        self.measure(db, r, work, &run, &run, count)
    }

    /// Times `timed` over `r` repetitions (at least 10 for the no-op, like the
    /// other small commands) after the setup `work` needs (`upgrade` brings the
    /// database to head), then checks the database the last repetition left.
    fn measure(
        &self,
        db: &Db,
        r: usize,
        work: Work,
        upgrade: &dyn Fn() -> Result<(), String>,
        timed: &dyn Fn() -> Result<(), String>,
        count: &str,
    ) -> Cell {
        let to_head = || {
            (db.reset)();
            upgrade()
        };
        let result = match work {
            Work::Upgrade => try_time(
                r,
                || {
                    (db.reset)();
                    Ok(())
                },
                timed,
            ),
            Work::Downgrade | Work::DowngradeStepwise => try_time(r, to_head, timed),
            Work::Noop => to_head().and_then(|()| try_time(r.max(10), || Ok(()), timed)),
        };
        let stats = match result {
            Ok(s) => s,
            Err(e) => return Cell::Failed(e),
        };
        let (want_schema, want_count) = match work {
            Work::Upgrade | Work::Noop => match db.head {
                Ok(h) => (h.clone(), self.n),
                Err(e) => return Cell::Failed(format!("no reference schema: {e}")),
            },
            Work::Downgrade | Work::DowngradeStepwise => (Vec::new(), 0),
        };
        match check(db, &want_schema, want_count, count) {
            Ok(()) => Cell::Time(stats),
            Err(e) => Cell::Failed(e),
        }
    }
}

/// The database holds `want` (see [`schema`]) and the tool's version table
/// `want_count` rows.
fn check(db: &Db, want: &[String], want_count: usize, count: &str) -> Result<(), String> {
    let got = schema(db.dialect, db.query)?;
    if got != want {
        let missing = want.iter().filter(|w| !got.contains(w)).count();
        let extra = got.iter().filter(|g| !want.contains(g)).count();
        return Err(format!(
            "the schema left differs from the raw script's ({missing} objects missing, {extra} extra)"
        ));
    }
    let rows = (db.query)(count)?;
    if rows.trim() != want_count.to_string() {
        return Err(format!(
            "its version table has {} rows, expected {want_count}",
            rows.trim()
        ));
    }
    Ok(())
}

/// [`crate::time`] for commands that may fail: the first failure, of the setup
/// or of the timed run, ends the measurement with its reason.
fn try_time(
    reps: usize,
    mut setup: impl FnMut() -> Result<(), String>,
    run: &dyn Fn() -> Result<(), String>,
) -> Result<Stats, String> {
    let mut v: Vec<Duration> = Vec::with_capacity(reps);
    for _ in 0..reps {
        setup()?;
        let t = Instant::now();
        run()?;
        v.push(t.elapsed());
    }
    Ok(stats(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs [`raw_blocks`] on `text` written to a file of its own (the tests
    /// run in parallel threads of one process).
    fn blocks_of(text: &str) -> Result<Vec<Block>, String> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("peers_test_{}_{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let p = dir.join("script.sql");
        std::fs::write(&p, text).map_err(|e| e.to_string())?;
        let r = raw_blocks(&p);
        let _ = std::fs::remove_dir_all(&dir);
        r
    }

    const SCRIPT: &str = "-- gen.py n=2\n-- transaction mode: autocommit\n\n\
        CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\t\
        CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n);\n\
        -- revision 0: aaaaaaaaaaaa create_table\nCREATE TABLE t (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n);\n\
        INSERT INTO alembic_version (version_num) VALUES ('aaaaaaaaaaaa');\n\n\
        -- revision 1: bbbbbbbbbbbb add_column\nALTER TABLE t ADD COLUMN x TEXT;\n\
        UPDATE alembic_version SET version_num='bbbbbbbbbbbb' WHERE alembic_version.version_num = 'aaaaaaaaaaaa';\n\n";

    #[test]
    fn cuts_revisions_and_drops_the_version_table() {
        let b = blocks_of(SCRIPT).unwrap();
        assert_eq!(b.len(), 2);
        assert_eq!(
            (b[0].index, b[0].revision.as_str(), b[0].kind.as_str()),
            (0, "aaaaaaaaaaaa", "create_table")
        );
        assert_eq!(
            b[0].statements,
            ["CREATE TABLE t (\n\tid INTEGER NOT NULL, \n\tPRIMARY KEY (id)\n);"]
        );
        assert_eq!(b[1].statements, ["ALTER TABLE t ADD COLUMN x TEXT;"]);
        assert_eq!(
            file_text(&b[1]),
            "-- revision 1: bbbbbbbbbbbb add_column\nALTER TABLE t ADD COLUMN x TEXT;\n"
        );
    }

    #[test]
    fn refuses_what_would_change_the_work() {
        let with = |extra: &str| SCRIPT.replace("ALTER TABLE t ADD COLUMN x TEXT;\n", extra);
        for bad in [
            "BEGIN;\n",
            "SELECT * FROM alembic_version;\n",
            "CREATE TABLE alembic_version (x INTEGER);\n",
            "ALTER TABLE t ADD COLUMN x\n",
        ] {
            assert!(blocks_of(&with(bad)).is_err(), "{bad:?} was accepted");
        }
        assert!(blocks_of(&format!("CREATE TABLE early (id INTEGER);\n{SCRIPT}")).is_err());
    }
}
