//! The revision-chain model shared by the `#[migration]` macros and the runtime.
//!
//! A proc-macro crate cannot depend on the crate that re-exports it, so the rules
//! that decide whether a set of migrations forms one valid chain live here, and
//! both the compile-time collector and the runtime (`revision`, `check`) call the
//! same code: a chain the compiler accepted is a chain the runtime accepts.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod chain;
pub mod id;
pub mod names;
pub mod sql;

pub use chain::{order_chain, ChainError, ChainNode};
pub use id::{validate_revision_id, IdError, MAX_REVISION_LEN};
pub use names::{check_file_name, slugify, FileNameError};
pub use sql::changes_rows_only;
