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

/// `DATABASE_URL`, else `.env`, as `migrate` finds it; else the default.
fn database_url() -> migrate_runtime::Result<String> {
    match migrate_runtime::database_url() {
        Err(migrate_runtime::Error::NoUrl) => Ok("sqlite:///tracker.db".to_owned()),
        other => other,
    }
}

fn fail(e: &migrate_runtime::Error) -> ExitCode {
    eprintln!("ERROR: {e}");
    if let Some(h) = e.hint() {
        eprintln!("  hint: {h}");
    }
    ExitCode::FAILURE
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
    let url = match database_url() {
        Ok(u) => u,
        Err(e) => return fail(&e),
    };
    match migrate_runtime::upgrade_to_head(&tracker::MIGRATIONS, &url) {
        Ok(rev) => eprintln!(
            "Database at revision {}",
            rev.as_deref().unwrap_or("<base>")
        ),
        Err(e) => return fail(&e),
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
