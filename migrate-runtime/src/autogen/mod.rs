//! Autogenerate: compare diesel's `table!` declarations (the models) with the
//! live database and write the operations that close the gap.
//!
//! What is compared: tables, columns, column types (kind and `#[max_length]`),
//! nullability, primary keys of new tables, and foreign keys from `joinable!`.
//! Indexes, unique constraints, checks and defaults cannot be expressed in
//! `table!` and are left alone: write those operations by hand.
//!
//! What cannot be inferred is never guessed: a column (or table) that disappears
//! while another of the same shape appears is written as drop + add, with a
//! comment flagging a possible rename; `--rename old=new` turns it into one.

mod baseline;
pub(crate) mod code;
mod diff;
pub(crate) mod models;
pub(crate) mod print;
mod types;

pub(crate) use baseline::baseline;
pub use diff::{diff, Changes, Rename};
pub use models::parse_models;
