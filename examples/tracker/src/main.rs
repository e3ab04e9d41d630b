//! The tracker service: applies pending migrations at start-up, then records a
//! few submissions and prints a leaderboard.
//!
//! `cargo run -p tracker` uses `sqlite:///tracker.db` unless `DATABASE_URL`
//! (or `.env`) names another database.

use std::process::ExitCode;

use diesel::prelude::*;
use migrate_runtime::AnyConnection;
use tracker::schema::{problems, submissions, users};

/// Runs the same diesel code on whichever backend the connection is.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql($c) => $body,
            #[allow(unreachable_patterns)]
            _ => Err(diesel::result::Error::NotFound),
        }
    };
}

fn database_url() -> String {
    if let Ok(u) = std::env::var("DATABASE_URL") {
        return u;
    }
    if let Ok(iter) = dotenvy_free_env_file() {
        return iter;
    }
    "sqlite:///tracker.db".to_owned()
}

/// Reads `DATABASE_URL=` from `./.env` without another dependency.
fn dotenvy_free_env_file() -> Result<String, ()> {
    let text = std::fs::read_to_string(".env").map_err(|_| ())?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("DATABASE_URL="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .next()
        .ok_or(())
}

/// A user's name and how many distinct problems they solved.
type Row = (String, i64);

fn work(conn: &mut AnyConnection) -> diesel::QueryResult<Vec<Row>> {
    on_backend!(conn, |c| {
        c.transaction(|c| {
            let name = format!("user{}", users::table.count().get_result::<i64>(c)? + 1);
            diesel::insert_into(users::table)
                .values((
                    users::name.eq(&name),
                    users::email.eq(format!("{name}@example.com")),
                ))
                .execute(c)?;
            let user_id: i32 = users::table
                .filter(users::name.eq(&name))
                .select(users::id)
                .first(c)?;
            let easy: Vec<i32> = problems::table
                .filter(problems::difficulty.eq("easy"))
                .select(problems::id)
                .load(c)?;
            for (i, problem_id) in easy.iter().enumerate() {
                let verdict = if i % 2 == 0 {
                    "accepted"
                } else {
                    "wrong_answer"
                };
                diesel::insert_into(submissions::table)
                    .values((
                        submissions::user_id.eq(user_id),
                        submissions::problem_id.eq(problem_id),
                        submissions::verdict.eq(verdict),
                    ))
                    .execute(c)?;
            }
            let accepted: Vec<(String, i32)> = submissions::table
                .inner_join(users::table)
                .filter(submissions::verdict.eq("accepted"))
                .select((users::name, submissions::problem_id))
                .distinct()
                .load(c)?;
            let mut board: Vec<Row> = Vec::new();
            for (name, _) in accepted {
                match board.iter_mut().find(|(n, _)| *n == name) {
                    Some(row) => row.1 += 1,
                    None => board.push((name, 1)),
                }
            }
            board.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            Ok(board)
        })
    })
}

fn main() -> ExitCode {
    let url = database_url();
    match migrate_runtime::upgrade_to_head(&tracker::MIGRATIONS, &url) {
        Ok(rev) => eprintln!(
            "Database at revision {}",
            rev.as_deref().unwrap_or("<base>")
        ),
        Err(e) => {
            eprintln!("ERROR: {e}");
            if let Some(h) = e.hint() {
                eprintln!("  hint: {h}");
            }
            return ExitCode::FAILURE;
        }
    }
    let mut conn = match AnyConnection::establish(&url) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ERROR: {e}");
            return ExitCode::FAILURE;
        }
    };
    match work(&mut conn) {
        Ok(board) => {
            println!("Leaderboard (problems solved):");
            for (name, solved) in board {
                println!("  {name:<12} {solved}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ERROR: {e}");
            ExitCode::FAILURE
        }
    }
}
