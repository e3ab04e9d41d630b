//! `migrate-init [DIR]`: sets a service's crate up for migrations before any
//! exists (see [`migrate_runtime::cli::init`]).

fn main() {
    std::process::exit(migrate_runtime::cli::init_main(std::env::args_os()))
}
