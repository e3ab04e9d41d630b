//! `cargo run -p tracker --bin migrate -- upgrade head`: the migration CLI for this service.

fn main() {
    migrate_runtime::cli::main(&tracker::MIGRATIONS)
}
