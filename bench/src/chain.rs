//! The chain benchmark: a generated crate of N migrations, its build cost, and
//! upgrade, downgrade, `current`, `history` and offline runs against raw SQL,
//! Alembic and the peer Rust tools (sqlx-cli, refinery_cli; see `peers`), on
//! SQLite and (with the `postgres` feature) PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::peers::{self, Dialect, Work};
use crate::{gen, print_table, sh, sqlite3, time, workspace, Cell, Opts, Peers, Row};

fn cargo_build(dir: &Path, target: &Path) -> Duration {
    let t = Instant::now();
    sh(cargo_cmd()
        .args(["build", "--release", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target));
    t.elapsed()
}

/// Cargo as it ran this bench (`CARGO`), or the one on the path.
pub(crate) fn cargo_cmd() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

pub(crate) fn chain_bench(o: &Opts, alembic: Option<&Path>, tools: Option<&peers::Tools>) {
    let target = o.out.join("target");
    let mut build_rows = Vec::new();
    for &n in &o.ns {
        let base = o.out.join(format!("n{n}"));
        let wl = base.join("workload");
        let (full, incremental) = build_chain(o, n, &base, &target);
        build_rows.push((n, full, incremental));
        let bin = target.join(format!("release/bench_chain_n{n}"));
        let set = tools.map(|t| peers::Set::new(t, &wl, &base.join("peers"), n));
        let db = base.join("bench.db");
        let rows = sqlite_rows(o.reps, n, &bin, &wl, &db, alembic, set.as_ref());
        print_table(&format!("N = {n}, SQLite"), &rows);
        if let Some(pg) = &o.postgres {
            let mut pg_rows = Vec::new();
            postgres_rows(
                &mut pg_rows,
                pg,
                n,
                &bin,
                &wl,
                alembic,
                o.reps,
                set.as_ref(),
            );
            print_table(&format!("N = {n}, PostgreSQL"), &pg_rows);
        }
    }
    println!("\n### Build cost of the generated crate (release)\n");
    println!("| migrations | crate build (deps prebuilt) | incremental rebuild after adding one migration |");
    println!("|---:|---:|---:|");
    for (n, full, inc) in build_rows {
        println!(
            "| {n} | {:.2} s | {:.2} s |",
            full.as_secs_f64(),
            inc.as_secs_f64()
        );
    }
}

/// Writes the chain crate of each `--n` under `target/bench/write/chain_n<N>`,
/// without building it.
pub fn write_chains(o: &Opts) {
    for &n in &o.ns {
        let base = o.out.join("write").join(format!("n{n}"));
        println!("{}", generate(o, n, &base, &["sqlite"]).display());
    }
}

/// Generates the workload of `n` migrations under `base` and the chain crate
/// from it, with `features`; returns the crate's directory.
fn generate(o: &Opts, n: usize, base: &Path, features: &[&str]) -> PathBuf {
    let wl = base.join("workload");
    sh(Command::new("python3")
        .arg(o.shared.join("gen.py"))
        .arg(n.to_string())
        .arg("--out")
        .arg(&wl));
    let krate = base.join(format!("chain_n{n}"));
    if let Err(e) = gen::write_crate(
        &wl.join("workload.json"),
        &krate,
        &workspace().join("migrate-runtime"),
        features,
    ) {
        panic!("generating the crate: {e}");
    }
    krate
}

/// Generates the workload and the chain crate of `n` migrations under `base` and
/// builds it: the crate's own build time, and the incremental rebuild after one
/// more migration file.
fn build_chain(o: &Opts, n: usize, base: &Path, target: &Path) -> (Duration, Duration) {
    let features: Vec<&str> = if cfg!(feature = "postgres") {
        vec!["sqlite", "postgres"]
    } else {
        vec!["sqlite"]
    };
    let wl = base.join("workload");
    let krate = generate(o, n, base, &features);
    // Dependencies first, so that the next figures are the chain crate's own.
    cargo_build(&krate, target);
    sh(cargo_cmd()
        .args([
            "clean",
            "--release",
            "--quiet",
            "-p",
            &format!("bench_chain_n{n}"),
        ])
        .current_dir(&krate)
        .env("CARGO_TARGET_DIR", target));
    let full = cargo_build(&krate, target);
    let extra = krate.join("migrations/ffffffffffff_one_more.rs");
    std::fs::write(&extra, one_more_migration(&wl)).expect("write extra migration");
    let incremental = cargo_build(&krate, target);
    let _ = std::fs::remove_file(&extra);
    cargo_build(&krate, target);
    (full, incremental)
}

/// A migration after the workload's head, to time an incremental rebuild.
fn one_more_migration(wl: &Path) -> String {
    let w: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(wl.join("workload.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    let last = w["revisions"]
        .as_array()
        .and_then(|r| r.last())
        .and_then(|r| r["revision"].as_str())
        .unwrap_or_default()
        .to_owned();
    format!("use migrate_runtime::prelude::*;\n\n#[migration(revision = \"ffffffffffff\", down_revision = \"{last}\")]\nfn upgrade(op: &mut Op) -> Result<()> {{\n    op.create_table(\"one_more\").column(col::<Integer>(\"id\"));\n    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n    op.drop_table(\"one_more\");\n    Ok(())\n}}\n")
}

/// The SQLite rows: upgrade and downgrade (a transaction per migration and one
/// transaction), `current`, `history` and the offline script, against raw SQL
/// and Alembic where they do the same; with `peers`, sqlx-cli and refinery_cli
/// in the same rows, and two rows only they have: downgrade base as one command
/// per migration, and a no-op upgrade at head.
fn sqlite_rows(
    r: usize,
    n: usize,
    bin: &Path,
    wl: &Path,
    db: &Path,
    alembic: Option<&Path>,
    peers: Option<&peers::Set>,
) -> Vec<Row> {
    let url = format!("sqlite:///{}", db.display());
    let rm = || {
        let _ = std::fs::remove_file(db);
    };
    let ours = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--url").arg(&url).args(args);
        c
    };
    let raw = |f: &str| wl.join("raw").join(f);
    let al = |args: &[&str]| {
        alembic.map(|a| {
            let mut c = Command::new(a);
            c.arg("-c")
                .arg(wl.join("alembic/alembic.ini"))
                .args(args)
                .env("BENCH_DB_URL", &url);
            c
        })
    };
    let at_head = || {
        rm();
        sh(&mut sqlite3(db, &raw("sqlite_upgrade_tx.sql")));
    };
    // Ours downgrades a database its own upgrade made: one the raw script
    // made would be adopted first (a ledger row written for every revision),
    // which a database it manages never pays again.
    let ours_at_head = || {
        rm();
        sh(&mut ours(&["upgrade", "head", "--one-transaction"]));
    };
    let query = |sql: &str| sqlite_query(db, sql);
    // What the raw script leaves, which each peer's upgrade must leave too.
    let head = match peers {
        Some(_) => {
            at_head();
            peers::schema(Dialect::Sqlite, &query)
        }
        None => Err("no peers".into()),
    };
    // refinery opens the file without creating it: the reset leaves an empty
    // file (an empty database to SQLite), which sqlx takes as well.
    let reset = || {
        rm();
        if let Err(e) = std::fs::File::create(db) {
            eprintln!("{}: {e}", db.display());
        }
    };
    // Both tools take `sqlite://` and an absolute path (refinery would read the
    // four slashes of our URL as a relative path).
    let peer_url = || format!("sqlite://{}", db.display());
    let pdb = peers::Db {
        dialect: Dialect::Sqlite,
        reset: &reset,
        url: &peer_url,
        query: &query,
        head: &head,
    };
    let mut rows = Vec::new();
    // Each row's peers are measured right after its own other columns, so that
    // the machine's drift over the run falls on the figures of a row alike.
    let mut row = Row {
        work: format!("SQLite upgrade head, N={n}, a transaction per migration"),
        ours: time(r, rm, || sh(&mut ours(&["upgrade", "head"]))),
        raw: Some(time(r, rm, || {
            sh(&mut sqlite3(db, &raw("sqlite_upgrade_perrev.sql")))
        })),
        alembic: None,
        peers: None,
    };
    row.peers = peers.map(|p| Peers {
        sqlx: p.sqlx(&pdb, r, Work::Upgrade),
        refinery: p.refinery(&pdb, r, Work::Upgrade, false),
    });
    rows.push(row);
    let mut row = Row {
        work: format!("SQLite upgrade head, N={n}, one transaction"),
        ours: time(r, rm, || {
            sh(&mut ours(&["upgrade", "head", "--one-transaction"]))
        }),
        raw: Some(time(r, rm, || {
            sh(&mut sqlite3(db, &raw("sqlite_upgrade_tx.sql")))
        })),
        alembic: al(&["upgrade", "head"]).map(|mut c| time(r, rm, || sh(&mut c))),
        peers: None,
    };
    row.peers = peers.map(|p| Peers {
        sqlx: Cell::Na(peers::NO_ONE_TX),
        refinery: p.refinery(&pdb, r, Work::Upgrade, true),
    });
    rows.push(row);
    let mut row = Row {
        work: format!("SQLite downgrade base, N={n}, a transaction per migration"),
        ours: time(r, ours_at_head, || sh(&mut ours(&["downgrade", "base"]))),
        raw: Some(time(r, at_head, || {
            sh(&mut sqlite3(db, &raw("sqlite_downgrade_perrev.sql")))
        })),
        alembic: None,
        peers: None,
    };
    row.peers = peers.map(|p| Peers {
        sqlx: p.sqlx(&pdb, r, Work::Downgrade),
        refinery: Cell::Na(peers::NO_DOWN),
    });
    rows.push(row);
    let mut row = Row {
        work: format!("SQLite downgrade base, N={n}, one transaction"),
        ours: time(r, ours_at_head, || {
            sh(&mut ours(&["downgrade", "base", "--one-transaction"]))
        }),
        raw: Some(time(r, at_head, || {
            sh(&mut sqlite3(db, &raw("sqlite_downgrade_tx.sql")))
        })),
        alembic: al(&["downgrade", "base"]).map(|mut c| time(r, at_head, || sh(&mut c))),
        peers: None,
    };
    row.peers = peers.map(|_| Peers {
        sqlx: Cell::Na(peers::NO_ONE_TX),
        refinery: Cell::Na(peers::NO_DOWN),
    });
    rows.push(row);
    if let Some(p) = peers {
        // sqlx's `migrate revert` undoes one migration a call unless given a
        // target: a user without `--target-version 0` runs it N times. Ours
        // the same way: `downgrade -1`, N times.
        rows.push(Row {
            work: format!(
                "SQLite downgrade base, N={n}, one command per migration (ours `downgrade -1`, sqlx `migrate revert`, N times each)"
            ),
            ours: time(r, ours_at_head, || {
                for _ in 0..n {
                    sh(&mut ours(&["downgrade", "-1"]));
                }
            }),
            raw: None,
            alembic: None,
            peers: Some(Peers {
                sqlx: p.sqlx(&pdb, r, Work::DowngradeStepwise),
                refinery: Cell::Na(peers::NO_DOWN),
            }),
        });
        at_head();
        rows.push(Row {
            work: format!("no-op `upgrade head` on an up-to-date SQLite database, N={n}"),
            ours: time(r.max(10), || {}, || sh(&mut ours(&["upgrade", "head"]))),
            raw: None,
            alembic: al(&["upgrade", "head"]).map(|mut c| time(r, || {}, || sh(&mut c))),
            peers: Some(Peers {
                sqlx: p.sqlx(&pdb, r, Work::Noop),
                refinery: p.refinery(&pdb, r, Work::Noop, false),
            }),
        });
    }
    at_head();
    let reps_small = r.max(10);
    rows.push(Row {
        work: format!("`current` on an up-to-date SQLite database, N={n}"),
        ours: time(reps_small, || {}, || sh(&mut ours(&["current"]))),
        raw: None,
        alembic: al(&["current"]).map(|mut c| time(r, || {}, || sh(&mut c))),
        peers: None,
    });
    rows.push(Row {
        work: format!("`history`, N={n}"),
        ours: time(reps_small, || {}, || sh(&mut ours(&["history"]))),
        raw: None,
        alembic: al(&["history"]).map(|mut c| time(r, || {}, || sh(&mut c))),
        peers: None,
    });
    rows.push(Row {
        work: format!("offline `upgrade head --sql`, N={n}"),
        ours: time(
            reps_small,
            || {},
            || sh(&mut ours(&["upgrade", "head", "--sql"])),
        ),
        raw: None,
        alembic: al(&["upgrade", "head", "--sql"]).map(|mut c| time(r, || {}, || sh(&mut c))),
        peers: None,
    });
    rows
}

/// One query through the `sqlite3` client, its rows one a line.
fn sqlite_query(db: &Path, sql: &str) -> Result<String, String> {
    let out = Command::new("sqlite3")
        .arg("-bail")
        .arg(db)
        .arg(sql)
        .output()
        .map_err(|e| format!("sqlite3: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "sqlite3: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The PostgreSQL rows, each on a fresh database of the server: upgrade (a
/// transaction per migration and one transaction), downgrade in one
/// transaction and `current`; with `peers`, sqlx-cli and refinery_cli in the
/// same rows, a downgrade base with a transaction per migration (ours, raw
/// autocommit, sqlx) and a no-op upgrade at head.
#[cfg(feature = "postgres")]
#[allow(clippy::too_many_arguments)]
fn postgres_rows(
    rows: &mut Vec<Row>,
    server: &str,
    n: usize,
    bin: &Path,
    wl: &Path,
    alembic: Option<&Path>,
    r: usize,
    peers: Option<&peers::Set>,
) {
    use migrate_runtime::testing::TempDatabase;
    use std::cell::RefCell;
    let db: RefCell<Option<TempDatabase>> = RefCell::new(None);
    let fresh = || {
        *db.borrow_mut() = None;
        *db.borrow_mut() =
            Some(TempDatabase::create(server).expect("create a PostgreSQL database"));
    };
    let url = || {
        db.borrow()
            .as_ref()
            .map(|d| d.url().to_owned())
            .unwrap_or_default()
    };
    let raw = |f: &str| wl.join("raw").join(f);
    let psql = |f: &str, one_tx: bool| {
        let mut c = Command::new("psql");
        c.args(["-q", "-v", "ON_ERROR_STOP=1"]);
        if one_tx {
            c.arg("-1");
        }
        c.arg("-f").arg(raw(f)).arg(url());
        c
    };
    let ours = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--url").arg(url()).args(args);
        c
    };
    let al = |args: &[&str]| {
        alembic.map(|a| {
            let mut c = Command::new(a);
            c.arg("-c")
                .arg(wl.join("alembic/alembic.ini"))
                .args(args)
                .env(
                    "BENCH_DB_URL",
                    url().replacen("postgres://", "postgresql+psycopg2://", 1),
                );
            c
        })
    };
    let at_head = || {
        fresh();
        sh(&mut psql("postgresql_upgrade.sql", true));
    };
    // As on SQLite: ours downgrades what its own upgrade made.
    let ours_at_head = || {
        fresh();
        sh(&mut ours(&["upgrade", "head", "--one-transaction"]));
    };
    let query = |sql: &str| {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .arg(url())
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "psql: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let head = match peers {
        Some(_) => {
            at_head();
            peers::schema(Dialect::Postgres, &query)
        }
        None => Err("no peers".into()),
    };
    let pdb = peers::Db {
        dialect: Dialect::Postgres,
        reset: &fresh,
        url: &url,
        query: &query,
        head: &head,
    };
    let mut row = Row {
        work: format!(
            "PostgreSQL upgrade head, N={n}, a transaction per migration (raw: autocommit)"
        ),
        ours: time(r, fresh, || sh(&mut ours(&["upgrade", "head"]))),
        raw: Some(time(r, fresh, || {
            sh(&mut psql("postgresql_upgrade.sql", false))
        })),
        alembic: None,
        peers: None,
    };
    row.peers = peers.map(|p| Peers {
        sqlx: p.sqlx(&pdb, r, Work::Upgrade),
        refinery: p.refinery(&pdb, r, Work::Upgrade, false),
    });
    rows.push(row);
    let mut row = Row {
        work: format!("PostgreSQL upgrade head, N={n}, one transaction"),
        ours: time(r, fresh, || {
            sh(&mut ours(&["upgrade", "head", "--one-transaction"]))
        }),
        raw: Some(time(r, fresh, || {
            sh(&mut psql("postgresql_upgrade.sql", true))
        })),
        alembic: al(&["upgrade", "head"]).map(|_| {
            time(r, fresh, || {
                sh(&mut al(&["upgrade", "head"]).expect("alembic"))
            })
        }),
        peers: None,
    };
    row.peers = peers.map(|p| Peers {
        sqlx: Cell::Na(peers::NO_ONE_TX),
        refinery: p.refinery(&pdb, r, Work::Upgrade, true),
    });
    rows.push(row);
    if let Some(p) = peers {
        rows.push(Row {
            work: format!(
                "PostgreSQL downgrade base, N={n}, a transaction per migration (raw: autocommit)"
            ),
            ours: time(r, ours_at_head, || sh(&mut ours(&["downgrade", "base"]))),
            raw: Some(time(r, at_head, || {
                sh(&mut psql("postgresql_downgrade.sql", false))
            })),
            alembic: None,
            peers: Some(Peers {
                sqlx: p.sqlx(&pdb, r, Work::Downgrade),
                refinery: Cell::Na(peers::NO_DOWN),
            }),
        });
    }
    let mut row = Row {
        work: format!("PostgreSQL downgrade base, N={n}, one transaction"),
        ours: time(r, ours_at_head, || {
            sh(&mut ours(&["downgrade", "base", "--one-transaction"]))
        }),
        raw: Some(time(r, at_head, || {
            sh(&mut psql("postgresql_downgrade.sql", true))
        })),
        alembic: al(&["downgrade", "base"]).map(|_| {
            time(r, at_head, || {
                sh(&mut al(&["downgrade", "base"]).expect("alembic"))
            })
        }),
        peers: None,
    };
    row.peers = peers.map(|_| Peers {
        sqlx: Cell::Na(peers::NO_ONE_TX),
        refinery: Cell::Na(peers::NO_DOWN),
    });
    rows.push(row);
    if let Some(p) = peers {
        at_head();
        let noop = Peers {
            sqlx: p.sqlx(&pdb, r, Work::Noop),
            refinery: p.refinery(&pdb, r, Work::Noop, false),
        };
        // The peers' rows left their own database behind.
        at_head();
        rows.push(Row {
            work: format!("no-op `upgrade head` on an up-to-date PostgreSQL database, N={n}"),
            ours: time(r.max(10), || {}, || sh(&mut ours(&["upgrade", "head"]))),
            raw: None,
            alembic: al(&["upgrade", "head"]).map(|mut c| time(r, || {}, || sh(&mut c))),
            peers: Some(noop.clone()),
        });
        // libpq negotiates TLS when the server offers it (`sslmode=prefer`,
        // its default); neither peer does (sqlx has no TLS compiled in,
        // refinery does not use it from the URL). The same work without it:
        let plain = || {
            let u = url();
            let sep = if u.contains('?') { '&' } else { '?' };
            format!("{u}{sep}sslmode=disable")
        };
        rows.push(Row {
            work: format!(
                "no-op `upgrade head`, N={n}, ours with `sslmode=disable` (the peers use no TLS)"
            ),
            ours: time(
                r.max(10),
                || {},
                || {
                    sh(Command::new(bin)
                        .arg("--url")
                        .arg(plain())
                        .args(["upgrade", "head"]))
                },
            ),
            raw: None,
            alembic: None,
            // The same figures as the row above: the peers' work is the same.
            peers: Some(noop),
        });
    }
    at_head();
    rows.push(Row {
        work: format!("`current` on an up-to-date PostgreSQL database, N={n}"),
        ours: time(r.max(10), || {}, || sh(&mut ours(&["current"]))),
        raw: None,
        alembic: al(&["current"]).map(|mut c| time(r, || {}, || sh(&mut c))),
        peers: None,
    });
}

#[cfg(not(feature = "postgres"))]
#[allow(clippy::too_many_arguments)]
fn postgres_rows(
    _: &mut Vec<Row>,
    _: &str,
    _: usize,
    _: &Path,
    _: &Path,
    _: Option<&Path>,
    _: usize,
    _: Option<&peers::Set>,
) {
    eprintln!("--postgres needs the bench built with --features postgres");
}
