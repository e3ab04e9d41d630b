//! No argument and no URL makes the `migrate` CLI panic or show a password.
//!
//! Generated command lines (targets, ranges, numbers at and past `i64`, SQLite
//! paths and server URLs with hostile user information) run the real binary
//! for `MIGRATE_FUZZ_SECS` seconds (3 by default; CI gives it 60). Every run
//! must exit 0, 1 or 2 without "panicked", and nothing it prints may hold the
//! password of the URL it was given. Server URLs point at closed loopback
//! ports, so nothing is looked up or reached; SQLite files go to a temporary
//! directory that is the working directory of every run.

use std::process::Command;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Every generated password starts with this, so a leak of any part of it that
/// the redaction missed is found by one search.
const MARK: &str = "Zq9";

fn number() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        (0u64..20).prop_map(|n| n.to_string()),
        Just("9223372036854775807".to_owned()),
        Just("9223372036854775808".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("99999999999999999999999999".to_owned()),
        "[0-9]{1,30}",
    ]
}

fn target() -> impl Strategy<Value = String> + Clone {
    let base = prop_oneof![
        Just(String::new()),
        Just("head".to_owned()),
        Just("base".to_owned()),
        Just("current".to_owned()),
        Just("heads".to_owned()),
        Just("7f71".to_owned()),
        Just("a1b2c3d4e5f6".to_owned()),
        "[0-9a-f]{1,12}",
    ];
    let step = prop_oneof![
        Just(String::new()),
        number().prop_map(|n| format!("+{n}")),
        number().prop_map(|n| format!("-{n}")),
        number().prop_map(|n| format!("++{n}")),
    ];
    prop_oneof![
        4 => (base, step).prop_map(|(b, s)| format!("{b}{s}")),
        1 => "\\PC{0,12}",
        1 => (target_simple(), target_simple()).prop_map(|(a, b)| format!("{a}:{b}")),
    ]
}

fn target_simple() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        Just(String::new()),
        Just("head".to_owned()),
        Just("base".to_owned()),
        Just("current".to_owned()),
        number().prop_map(|n| format!("-{n}")),
        number().prop_map(|n| format!("7f71+{n}")),
    ]
}

fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9@:/%?#&=' ,\\\\]{1,10}",
        1 => "[a-zé€\t]{1,6}",
        1 => "[a-z]{1,4}(://|@|\\?)[A-Za-z]{4,8}",
    ]
    .prop_map(|p| format!("{MARK}{p}"))
}

/// `text` with `%XX` decoded and the escapes `\t`, `\n`, `\r`, `\\`, `\"`
/// turned into a space: what a fragment looks like once a message encoded it.
fn unescape(text: &str) -> String {
    let b = text.as_bytes();
    let hex = |x: u8| (x as char).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1).copied(), b.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b'\\', Some(b't' | b'n' | b'r' | b'\\' | b'"'), _) => {
                out.push(b' ');
                i += 2;
            }
            (x, _, _) => {
                out.push(x);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What of a password must never show: its marked start (anywhere), and
/// every run of four or more letters and digits in it (a fragment a driver
/// may quote, looked for as a word of the output).
fn secrets(password: &str) -> Vec<String> {
    let mut out = vec![MARK.to_owned()];
    let rest = &password[MARK.len()..];
    out.extend(
        rest.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| w.len() >= 4)
            .map(str::to_owned),
    );
    out
}

/// A URL, and the password it holds, if any.
fn url() -> impl Strategy<Value = (String, Option<String>)> {
    let host = prop_oneof![
        Just("127.0.0.1:1"),
        Just("[::1]:1"),
        Just("127.0.0.1:99999999999999999999"),
        Just("127.0.0.1:-1"),
        Just("127.0.0.1:"),
        Just(""),
    ];
    let scheme = prop_oneof![
        Just("postgres"),
        Just("postgresql+asyncpg"),
        Just("mysql"),
        Just("mariadb"),
    ];
    let path = prop_oneof![Just("/db"), Just(""), Just("/"), Just("/d%zzb")];
    let query = prop_oneof![
        Just(String::new()),
        Just("?sslmode=disable".to_owned()),
        password().prop_map(|p| format!("?user=u&password={p}")),
    ];
    let server = (scheme, "[a-z%@:]{0,4}", password(), host, path, query).prop_map(
        |(scheme, user, pass, host, path, query)| {
            let url = format!("{scheme}://{user}:{pass}@{host}{path}{query}");
            (url, Some(pass))
        },
    );
    let conninfo = (password(), 0..4usize).prop_map(|(p, shape)| {
        let quoted = p.replace('\\', "\\\\").replace('\'', "\\'");
        let url = match shape {
            0 => format!("host=127.0.0.1 port=1 user=u password='{quoted}' dbname=x"),
            // Mistakes: an unclosed quote, a setting without `=`, no quotes.
            1 => format!("host=127.0.0.1 port=1 password='{quoted} dbname=x"),
            2 => format!("host=127.0.0.1 port=1 password='{quoted}' dbname"),
            _ => format!("host=127.0.0.1 port=1 password = {p} dbname=x"),
        };
        (url, Some(p))
    });
    let sqlite = prop_oneof![
        Just("sqlite://".to_owned()),
        Just("sqlite:///app.db".to_owned()),
        Just("sqlite:///app.db?mode=ro".to_owned()),
        Just("sqlite:///no/such/dir/app.db".to_owned()),
        Just("sqlite:/abs".to_owned()),
        Just("/dev/null".to_owned()),
        Just("./".to_owned()),
        "[a-z./:?=]{0,12}",
    ]
    .prop_map(|u| (u, None));
    prop_oneof![3 => server, 1 => conninfo, 2 => sqlite]
}

fn command() -> impl Strategy<Value = Vec<String>> {
    let t = target();
    prop_oneof![
        t.clone().prop_map(|t| vec![
            "upgrade".into(),
            "--sql".into(),
            "--dialect".into(),
            "sqlite".into(),
            t
        ]),
        t.clone().prop_map(|t| vec![
            "downgrade".into(),
            "--sql".into(),
            "--dialect".into(),
            "postgresql".into(),
            t
        ]),
        t.clone().prop_map(|t| vec!["upgrade".into(), t]),
        t.clone().prop_map(|t| vec!["downgrade".into(), t]),
        t.clone().prop_map(|t| vec!["stamp".into(), t]),
        t.clone()
            .prop_map(|t| vec!["upgrade".into(), "--plan".into(), t]),
        t.clone()
            .prop_map(|t| vec!["history".into(), "-r".into(), t]),
        t.clone().prop_map(|t| vec!["show".into(), t]),
        t.prop_map(|t| vec![
            "upgrade".into(),
            "--backup".into(),
            "--backup-keep".into(),
            t
        ]),
        (
            number(),
            prop_oneof![
                Just(""),
                Just("s"),
                Just("ms"),
                Just("m"),
                Just("h"),
                Just("x")
            ]
        )
            .prop_map(|(n, u)| vec![
                "--lock-wait".into(),
                format!("{n}{u}"),
                "stamp".into(),
                "head".into()
            ]),
        Just(vec!["current".into(), "-v".into()]),
        Just(vec!["check".into()]),
        Just(vec!["history".into(), "-i".into()]),
        proptest::collection::vec("\\PC{0,8}", 0..4),
    ]
}

fn run_one(
    dir: &std::path::Path,
    url: &(String, Option<String>),
    args: &[String],
) -> Result<(), TestCaseError> {
    let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .arg("--url")
        .arg(&url.0)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("PGCONNECT_TIMEOUT", "2")
        .output()
        .map_err(|e| TestCaseError::fail(format!("cannot run migrate: {e}")))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let code = out.status.code();
    prop_assert!(
        matches!(code, Some(0..=2)) && !text.contains("panicked"),
        "exit {code:?} for --url {:?} {args:?}:\n{text}",
        url.0
    );
    if let Some(p) = &url.1 {
        // The mark anywhere, and a fragment of six or more characters; a
        // shorter one as a word of the output (a random "nnec" is in every
        // "connection"), read with percent-encoding and escapes undone so
        // that `%20cdef` or `\tcdef` still show `cdef`.
        let plain = unescape(&text);
        let words: std::collections::BTreeSet<&str> =
            plain.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for secret in secrets(p) {
            let shows = match secret == MARK || secret.len() >= 6 {
                true => text.contains(&secret) || plain.contains(&secret),
                false => words.contains(secret.as_str()),
            };
            prop_assert!(
                !shows,
                "{secret:?} of the password shows for --url {:?} {args:?}:\n{text}",
                url.0
            );
        }
    }
    Ok(())
}

#[test]
fn no_command_line_panics_or_shows_a_password() {
    let budget = std::env::var("MIGRATE_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(3), Duration::from_secs);
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let runs = std::cell::Cell::new(0u64);
    while start.elapsed() < budget {
        // A fresh runner per round: a new seed, and the failure it finds shrunk.
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&(url(), command()), |(url, args)| {
            runs.set(runs.get() + 1);
            run_one(dir.path(), &url, &args)
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
    let runs = runs.get();
    eprintln!(
        "{runs} command lines in {:.0?}, none panicked or showed a password",
        start.elapsed()
    );
}
