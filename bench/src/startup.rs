//! The small commands a deploy or a readiness probe runs on an up-to-date
//! database: `current`, a no-op `upgrade head`, `check`, and `--help`, for the
//! N-migration chain built against one or more runtimes (this checkout, or
//! `--runtime DIR` checkouts of other commits), measured in one run with the
//! runtimes interleaved so that the machine's drift hits them alike.
//!
//! ```text
//! cargo run --release -p migrate-bench -- startup --n 1000 --runtime /old/checkout/migrate-runtime --runtime migrate-runtime
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::{gen, sh, stats, workspace, Opts, Stats};

/// One chain binary: the runtime it was built against and its database URLs.
struct Build {
    label: String,
    bin: PathBuf,
    sqlite: String,
    postgres: Option<String>,
}

fn build(o: &Opts, n: usize, runtime: &Path, i: usize) -> Build {
    let base = o.out.join(format!("startup/n{n}/r{i}"));
    let wl = o.out.join(format!("startup/n{n}/workload"));
    if !wl.join("workload.json").exists() {
        sh(Command::new("python3")
            .arg(o.shared.join("gen.py"))
            .arg(n.to_string())
            .arg("--out")
            .arg(&wl));
    }
    let krate = base.join(format!("chain_n{n}"));
    let features: Vec<&str> = if cfg!(feature = "postgres") && o.postgres.is_some() {
        vec!["sqlite", "postgres"]
    } else {
        vec!["sqlite"]
    };
    if let Err(e) = gen::write_crate(&wl.join("workload.json"), &krate, runtime, &features) {
        panic!("generating the crate: {e}");
    }
    let target = base.join("target");
    sh(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--quiet"])
            .current_dir(&krate)
            .env("CARGO_TARGET_DIR", &target),
    );
    let bin = target.join(format!("release/bench_chain_n{n}"));
    let db = base.join("bench.db");
    let _ = std::fs::remove_file(&db);
    let sqlite = format!("sqlite:///{}", db.display());
    sh(Command::new(&bin).args(["--url", &sqlite, "upgrade", "head"]));
    let postgres = o.postgres.as_ref().map(|server| {
        let url = fresh_postgres(server, &format!("bench_startup_{n}_{i}"));
        sh(Command::new(&bin).args(["--url", &url, "upgrade", "head"]));
        url
    });
    Build {
        label: runtime.display().to_string(),
        bin,
        sqlite,
        postgres,
    }
}

/// A new, empty database on the server (dropped first if a run left it).
fn fresh_postgres(server: &str, name: &str) -> String {
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        sh(Command::new("psql").args(["-q", "-X", server, "-c", &sql]));
    }
    let (base, _) = server.rsplit_once('/').unwrap_or((server, ""));
    format!("{base}/{name}")
}

/// One run; `None` when the build has no such command (an older runtime).
fn once(bin: &Path, args: &[&str]) -> Option<Duration> {
    let t = Instant::now();
    if args.first() == Some(&"lint") {
        // The generated chains drop and retype columns: lint reports them
        // (exit 1), which is what it should do; only the time counts here.
        let out = Command::new(bin)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{bin:?} lint: {e}"));
        match out.status.code() {
            Some(0 | 1) => {}
            Some(2) => return None,
            _ => panic!("{bin:?} lint: {out:?}"),
        }
    } else {
        sh(Command::new(bin).args(args));
    }
    Some(t.elapsed())
}

pub(crate) fn startup_bench(o: &Opts) {
    let runtimes = if o.runtimes.is_empty() {
        vec![workspace().join("migrate-runtime")]
    } else {
        o.runtimes.clone()
    };
    let reps = o.reps.max(20);
    for &n in &o.ns {
        let builds: Vec<Build> = runtimes
            .iter()
            .enumerate()
            .map(|(i, r)| build(o, n, r, i))
            .collect();
        let mut works: Vec<(String, Vec<Vec<String>>)> = Vec::new();
        for b in &builds {
            let mut cmds = vec![
                ("`current`, SQLite", vec!["--url", &b.sqlite, "current"]),
                (
                    "no-op `upgrade head`, SQLite",
                    vec!["--url", &b.sqlite, "upgrade", "head"],
                ),
                ("`check`, SQLite", vec!["--url", &b.sqlite, "check"]),
                ("`--help`", vec!["--help"]),
                ("`lint`, three dialects (no database)", vec!["lint"]),
            ];
            if let Some(pg) = &b.postgres {
                cmds.push(("`current`, PostgreSQL", vec!["--url", pg, "current"]));
                cmds.push((
                    "no-op `upgrade head`, PostgreSQL",
                    vec!["--url", pg, "upgrade", "head"],
                ));
            }
            for (k, (work, args)) in cmds.into_iter().enumerate() {
                if works.len() <= k {
                    works.push((work.to_owned(), Vec::new()));
                }
                works[k]
                    .1
                    .push(args.into_iter().map(str::to_owned).collect());
            }
        }
        println!("\n### N = {n}: small commands on an up-to-date database (s, min / median / max of {reps})\n");
        let labels: Vec<&str> = builds.iter().map(|b| b.label.as_str()).collect();
        println!("| work | {} |", labels.join(" | "));
        println!("|---|{}", "---:|".repeat(labels.len()));
        for (work, per_build) in &works {
            // Interleaved: one run of each build per repetition.
            let mut times: Vec<Option<Vec<Duration>>> = vec![Some(Vec::new()); builds.len()];
            for _ in 0..reps {
                for (i, b) in builds.iter().enumerate() {
                    let args: Vec<&str> = per_build[i].iter().map(String::as_str).collect();
                    if let Some(ts) = times[i].as_mut() {
                        match once(&b.bin, &args) {
                            Some(t) => ts.push(t),
                            None => times[i] = None,
                        }
                    }
                }
            }
            let cells: Vec<String> = times
                .into_iter()
                .map(|t| match t {
                    Some(t) => {
                        let Stats(min, med, max) = stats(t);
                        format!("{min:.4} / {med:.4} / {max:.4}")
                    }
                    None => "(no such command)".to_owned(),
                })
                .collect();
            println!("| {work} | {} |", cells.join(" | "));
        }
    }
}
