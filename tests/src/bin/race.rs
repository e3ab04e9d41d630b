//! Helper process for the concurrency and kill tests: `race <url> [slow_at] [notx_at]`
//! upgrades the counting chain to head and prints Alembic's line per migration.

use std::sync::atomic::Ordering;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: race <url> [slow_at] [notx_at]");
        std::process::exit(2);
    };
    if let Some(n) = args.next().and_then(|s| s.parse().ok()) {
        migrate_tests::SLOW_AT.store(n, Ordering::SeqCst);
    }
    if let Some(n) = args.next().and_then(|s| s.parse().ok()) {
        migrate_tests::NOTX_AT.store(n, Ordering::SeqCst);
    }
    let chain = migrate_tests::counting_chain();
    let result = migrate_runtime::AnyConnection::establish(&url).and_then(|mut conn| {
        migrate_runtime::Migrator::new(&chain)
            .on_step(|s| eprintln!("{}", s.log_line()))
            .upgrade(&mut conn, "head")
    });
    match result {
        Ok(_) => {}
        Err(e) => {
            eprintln!("ERROR: {e}");
            std::process::exit(1);
        }
    }
}
