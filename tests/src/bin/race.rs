//! Helper process for the concurrency and kill tests: `race <url> [slow_at] [notx_at]`
//! upgrades the counting chain to head and prints Alembic's line per migration.

use migrate_tests::{inject, Faults};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(url) = args.next() else {
        eprintln!("usage: race <url> [slow_at] [notx_at]");
        std::process::exit(2);
    };
    let mut at = || args.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let _faults = inject(Faults {
        slow_at: at(),
        notx_at: at(),
        ..Faults::default()
    });
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
