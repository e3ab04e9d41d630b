//! The benchmark runner. One command measures, in one run on one machine, this
//! project against Alembic (installed into a virtualenv from PyPI) and against the
//! raw SQL fed to the database's own client:
//!
//! ```text
//! cargo run --release -p migrate-bench -- all                 # SQLite, N=200 and 1000
//! cargo run --release -p migrate-bench --features postgres -- all --postgres postgres://postgres@127.0.0.1/test
//! cargo run --release -p migrate-bench -- rebuild --rows 1000000
//! ```
//!
//! The `chain` command also runs the Rust tools a user would pick instead,
//! sqlx-cli and refinery_cli (installed from crates.io into `target/bench/tools`
//! on first use; `--no-peers` skips them), on the same SQL as the raw rows.
//!
//! Times are wall-clock seconds over repetitions (min, median, max); ratios use the
//! minimums. See BENCHMARKS.md for figures.

mod chain;
mod gen;
mod peers;
mod startup;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use migrate_runtime::prelude::*;
use migrate_runtime::Migrator;

struct Opts {
    /// Runtimes to compare (`startup`): the workspace's, or the given checkouts.
    runtimes: Vec<PathBuf>,
    ns: Vec<usize>,
    reps: usize,
    postgres: Option<String>,
    alembic: bool,
    /// Also run sqlx-cli and refinery_cli on the same SQL (`chain`; off with `--no-peers`).
    peers: bool,
    rows: usize,
    shared: PathBuf,
    out: PathBuf,
}

fn usage() -> ! {
    eprintln!("usage: bench <all|chain|rebuild|autogen|startup|write> [--n 200,1000] [--reps 5] [--rows 1000000] [--postgres URL] [--no-alembic] [--no-peers] [--shared DIR] [--runtime DIR ...]");
    std::process::exit(2)
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn parse_opts(args: &[String]) -> Opts {
    let mut o = Opts {
        runtimes: Vec::new(),
        ns: vec![200, 1000],
        reps: 5,
        postgres: None,
        alembic: true,
        peers: true,
        rows: 1_000_000,
        shared: workspace().join("../shared/bench"),
        out: workspace().join("target/bench"),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--n" => {
                o.ns = val()
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect()
            }
            "--runtime" => o.runtimes.push(PathBuf::from(val())),
            "--reps" => o.reps = val().parse().unwrap_or_else(|_| usage()),
            "--rows" => o.rows = val().parse().unwrap_or_else(|_| usage()),
            "--postgres" => o.postgres = Some(val()),
            "--no-alembic" => o.alembic = false,
            "--no-peers" => o.peers = false,
            "--shared" => o.shared = PathBuf::from(val()),
            _ => usage(),
        }
    }
    o
}

/// min, median, max
#[derive(Clone, Copy)]
struct Stats(f64, f64, f64);

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let s = |d: Duration| d.as_secs_f64();
    Stats(s(v[0]), s(v[v.len() / 2]), s(v[v.len() - 1]))
}

fn time(reps: usize, mut setup: impl FnMut(), mut run: impl FnMut()) -> Stats {
    let mut v = Vec::with_capacity(reps);
    for _ in 0..reps {
        setup();
        let t = Instant::now();
        run();
        v.push(t.elapsed());
    }
    stats(v)
}

fn sh(cmd: &mut Command) {
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if !out.status.success() {
        panic!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Like [`sh`], but a failure is returned (the command's first lines of stderr)
/// instead of ending the run: a peer tool that cannot do some work gets a
/// "failed" cell and the other rows are still measured.
fn try_sh(cmd: &mut Command) -> std::result::Result<(), String> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut why: String = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect::<Vec<_>>()
        .join(" / ");
    if why.chars().count() > 300 {
        why = why.chars().take(300).collect::<String>() + "...";
    }
    if why.is_empty() {
        why = out.status.to_string();
    }
    Err(why)
}

fn sqlite3(db: &Path, script: &Path) -> Command {
    let mut c = Command::new("sqlite3");
    c.arg("-bail")
        .arg(db)
        .stdin(std::fs::File::open(script).unwrap_or_else(|e| panic!("{}: {e}", script.display())));
    c
}

struct Row {
    work: String,
    ours: Stats,
    raw: Option<Stats>,
    alembic: Option<Stats>,
    /// sqlx-cli and refinery_cli on the same SQL as `raw`, where the row has them.
    peers: Option<Peers>,
}

/// The peer tools' figures for one row.
#[derive(Clone)]
struct Peers {
    sqlx: Cell,
    refinery: Cell,
}

/// A peer tool's figure: a time, a mode the tool does not have, or a failure
/// with its reason (printed in the table, so that a run the tool could not do
/// shows as such instead of disappearing).
#[derive(Clone)]
enum Cell {
    Time(Stats),
    /// The tool has no such mode; the reason goes under the table.
    Na(&'static str),
    Failed(String),
}

impl Cell {
    fn stats(&self) -> Option<Stats> {
        match self {
            Cell::Time(s) => Some(*s),
            _ => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Time(s) => fmt(Some(*s)),
            Cell::Na(_) => "n/a".into(),
            // A reason may hold `|`, which would end the Markdown cell.
            Cell::Failed(why) => format!("failed: {}", why.replace('|', "\\|")),
        }
    }
}

fn fmt(s: Option<Stats>) -> String {
    s.map_or("-".into(), |Stats(min, med, max)| {
        format!("{min:.3} / {med:.3} / {max:.3}")
    })
}

/// Prints the rows as a Markdown table. The peer columns appear only when some
/// row has them, so that `--no-peers` prints the table it printed before.
fn print_table(title: &str, rows: &[Row]) {
    use std::io::Write as _;
    let with_peers = rows.iter().any(|r| r.peers.is_some());
    println!("\n### {title}\n");
    if with_peers {
        println!(
            "| work | ours (min / median / max, s) | raw SQL | Alembic | sqlx | refinery | ours / raw | Alembic / ours | ours / sqlx | ours / refinery |"
        );
        println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!(
            "| work | ours (min / median / max, s) | raw SQL | Alembic | ours / raw | Alembic / ours |"
        );
        println!("|---|---:|---:|---:|---:|---:|");
    }
    let ratio = |a: Option<Stats>, b: Option<Stats>| match (a, b) {
        (Some(a), Some(b)) if b.0 > 0.0 => format!("{:.2}x", a.0 / b.0),
        _ => "-".into(),
    };
    let mut notes: Vec<String> = Vec::new();
    for r in rows {
        let mut line = format!(
            "| {} | {} | {} | {}",
            r.work,
            fmt(Some(r.ours)),
            fmt(r.raw),
            fmt(r.alembic)
        );
        if with_peers {
            let (sqlx, refinery) = match &r.peers {
                Some(p) => {
                    for (tool, c) in [("sqlx", &p.sqlx), ("refinery", &p.refinery)] {
                        if let Cell::Na(why) = c {
                            let note = format!("n/a ({tool}): {why}");
                            if !notes.contains(&note) {
                                notes.push(note);
                            }
                        }
                    }
                    (p.sqlx.text(), p.refinery.text())
                }
                None => ("-".into(), "-".into()),
            };
            line.push_str(&format!(" | {sqlx} | {refinery}"));
        }
        line.push_str(&format!(
            " | {} | {}",
            ratio(Some(r.ours), r.raw),
            ratio(r.alembic, Some(r.ours))
        ));
        if with_peers {
            let peer = |f: fn(&Peers) -> &Cell| r.peers.as_ref().and_then(|p| f(p).stats());
            line.push_str(&format!(
                " | {} | {}",
                ratio(Some(r.ours), peer(|p| &p.sqlx)),
                ratio(Some(r.ours), peer(|p| &p.refinery))
            ));
        }
        println!("{line} |");
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("{n}");
        }
    }
    let _ = std::io::stdout().flush();
}

fn alembic_venv(o: &Opts) -> Option<PathBuf> {
    if !o.alembic {
        return None;
    }
    let venv = o.out.join("venv");
    let bin = venv.join("bin/alembic");
    if !bin.exists() {
        eprintln!("installing Alembic into {}", venv.display());
        let ok = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "-r"])
                .arg(o.shared.join("requirements.txt"))
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("Alembic could not be installed; its columns stay empty");
            return None;
        }
    }
    Some(bin)
}

fn big_table(db: &Path, rows: usize) {
    let _ = std::fs::remove_file(db);
    let sql = format!(
        "CREATE TABLE big (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d TEXT);\n\
         CREATE INDEX ix_big_a ON big (a);\nCREATE INDEX ix_big_b ON big (b);\n\
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})\n\
         INSERT INTO big (id, a, b, c, d) SELECT i, i % 1000, 'name ' || i, i * 0.5, 'payload ' || i FROM n;\n"
    );
    let script = db.with_extension("setup.sql");
    std::fs::write(&script, sql).expect("write setup");
    sh(&mut sqlite3(db, &script));
}

fn drop_d(op: &mut Op) -> Result<()> {
    op.drop_column("big", "d");
    Ok(())
}
fn require_d(op: &mut Op) -> Result<()> {
    op.alter_column("big", "d").nullable(false);
    Ok(())
}
fn nothing(_: &mut Op) -> Result<()> {
    Ok(())
}

fn rebuild_bench(o: &Opts) {
    std::fs::create_dir_all(&o.out).expect("bench dir");
    let template = o.out.join("big_template.db");
    let db = o.out.join("big.db");
    eprintln!("building a {}-row table with two indexes", o.rows);
    big_table(&template, o.rows);
    let fresh = || {
        std::fs::copy(&template, &db).expect("copy template");
    };
    let url = format!("sqlite:///{}", db.display());
    let run_ours = |f: fn(&mut Op) -> Result<()>| {
        let chain = Chain::new(vec![Migration::new("b1", None, "change", f, Some(nothing))])
            .expect("chain");
        let mut conn = AnyConnection::establish(&url).expect("open");
        Migrator::new(&chain)
            .upgrade(&mut conn, "head")
            .expect("migrate");
    };
    let script = |name: &str, sql: &str| {
        let p = o.out.join(name);
        std::fs::write(&p, sql).expect("write script");
        p
    };
    let move_copy = script(
        "move_and_copy.sql",
        "PRAGMA foreign_keys = OFF;\nBEGIN;\nCREATE TABLE big_new (id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL, d TEXT NOT NULL);\n\
         INSERT INTO big_new (id, a, b, c, d) SELECT id, a, b, c, d FROM big;\nDROP TABLE big;\nALTER TABLE big_new RENAME TO big;\n\
         CREATE INDEX ix_big_a ON big (a);\nCREATE INDEX ix_big_b ON big (b);\nCOMMIT;\n",
    );
    let native = script("native_drop.sql", "ALTER TABLE big DROP COLUMN d;\n");
    let r = o.reps.min(5);
    let rows = vec![
        Row {
            work: format!("rebuild (alter_column NOT NULL), {} rows, 2 indexes; raw = hand-written move and copy", o.rows),
            ours: time(r, fresh, || run_ours(require_d)),
            raw: Some(time(r, fresh, || sh(&mut sqlite3(&db, &move_copy)))),
            alembic: None,
            peers: None,
        },
        Row {
            work: format!("drop_column (native where safe), {} rows; raw = ALTER TABLE DROP COLUMN", o.rows),
            ours: time(r, fresh, || run_ours(drop_d)),
            raw: Some(time(r, fresh, || sh(&mut sqlite3(&db, &native)))),
            alembic: None,
            peers: None,
        },
    ];
    print_table("SQLite table rebuild", &rows);
}

fn noop(_: &mut Op) -> Result<()> {
    Ok(())
}

/// Autogenerate's comparison over a 300-table schema that matches the database:
/// this project's `check` (parse schema.rs, read the database, diff) against
/// Alembic's `check` on the equivalent SQLAlchemy model.
fn autogen_bench(o: &Opts, alembic: Option<&Path>) {
    let tables = 300;
    let dir = o.out.join("autogen");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mig/versions")).expect("autogen dir");
    let mut ddl = String::new();
    let mut schema_rs = String::new();
    let mut models = String::from(
        "from sqlalchemy import MetaData, Table, Column, Integer, String, Numeric, DateTime, Boolean, Text\nmetadata = MetaData()\n",
    );
    for i in 0..tables {
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, amount NUMERIC(12, 2) NOT NULL, created_at DATETIME NOT NULL, flag BOOLEAN NOT NULL, note TEXT);\n"
        ));
        schema_rs.push_str(&format!(
            "diesel::table! {{\n    t{i} (id) {{\n        id -> Integer,\n        #[max_length = 100]\n        name -> Varchar,\n        amount -> Numeric,\n        created_at -> Timestamp,\n        flag -> Bool,\n        note -> Nullable<Text>,\n    }}\n}}\n\n"
        ));
        models.push_str(&format!(
            "Table('t{i}', metadata, Column('id', Integer, primary_key=True), Column('name', String(100), nullable=False), Column('amount', Numeric(12, 2), nullable=False), Column('created_at', DateTime, nullable=False), Column('flag', Boolean, nullable=False), Column('note', Text))\n"
        ));
    }
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).expect("write");
    write("schema.sql", &ddl);
    write("schema.rs", &schema_rs);
    write("mig/models.py", &models);
    write("alembic.ini", "[alembic]\nscript_location = %(here)s/mig\n");
    write(
        "mig/env.py",
        "import os, sys\nsys.path.insert(0, os.path.dirname(__file__))\nfrom alembic import context\nfrom sqlalchemy import create_engine\nfrom models import metadata\nengine = create_engine(os.environ['BENCH_DB_URL'])\nwith engine.connect() as connection:\n    context.configure(connection=connection, target_metadata=metadata)\n    with context.begin_transaction():\n        context.run_migrations()\n",
    );
    write("mig/script.py.mako", "");
    let ours_db = dir.join("ours.db");
    let alembic_db = dir.join("alembic.db");
    for db in [&ours_db, &alembic_db] {
        sh(&mut sqlite3(db, &dir.join("schema.sql")));
    }
    let chain = Chain::new(vec![Migration::new(
        "bench_a1",
        None,
        "empty",
        noop,
        Some(noop),
    )])
    .expect("chain");
    let url = format!("sqlite:///{}", ours_db.display());
    {
        let mut conn = AnyConnection::establish(&url).expect("open");
        Migrator::new(&chain)
            .stamp(&mut conn, "head", false)
            .expect("stamp");
    }
    let schema_path = dir.join("schema.rs").display().to_string();
    let args = [
        "migrate",
        "--url",
        url.as_str(),
        "check",
        "--schema",
        schema_path.as_str(),
    ];
    assert_eq!(
        migrate_runtime::cli::run(&chain, args),
        0,
        "the generated schema.rs must match the database"
    );
    let ours = time(
        o.reps.max(5),
        || {},
        || {
            migrate_runtime::cli::run(&chain, args);
        },
    );
    let alembic_time = alembic.map(|a| {
        let mut c = Command::new(a);
        c.arg("-c").arg(dir.join("alembic.ini")).arg("check").env(
            "BENCH_DB_URL",
            format!("sqlite:///{}", alembic_db.display()),
        );
        time(o.reps, || {}, || sh(&mut c))
    });
    print_table(
        "Autogenerate comparison, 300 tables matching the database (`check`; ours in-process, Alembic as a command)",
        &[Row { work: format!("{tables} tables x 6 columns, SQLite"), ours, raw: None, alembic: alembic_time, peers: None }],
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { usage() };
    let o = parse_opts(&args[1..]);
    std::fs::create_dir_all(&o.out).expect("create target/bench");
    println!(
        "machine: {} cores; sqlite3 CLI {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        {
            let v = Command::new("sqlite3").arg("--version").output().map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .next()
                    .unwrap_or("?")
                    .to_owned()
            });
            v.unwrap_or_else(|_| "missing".into())
        }
    );
    match cmd.as_str() {
        "chain" => {
            let a = alembic_venv(&o);
            let tools = peers::install(&o);
            chain::chain_bench(&o, a.as_deref(), tools.as_ref());
        }
        "rebuild" => rebuild_bench(&o),
        "startup" => startup::startup_bench(&o),
        // The chain crates only, under target/bench/write: to build them by
        // hand (the compile-time schema check must pass on every one).
        "write" => chain::write_chains(&o),
        "autogen" => {
            let a = alembic_venv(&o);
            autogen_bench(&o, a.as_deref());
        }
        "all" => {
            let a = alembic_venv(&o);
            let tools = peers::install(&o);
            chain::chain_bench(&o, a.as_deref(), tools.as_ref());
            rebuild_bench(&o);
            autogen_bench(&o, a.as_deref());
        }
        _ => usage(),
    }
}
