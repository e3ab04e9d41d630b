//! The `migrate` command line.
