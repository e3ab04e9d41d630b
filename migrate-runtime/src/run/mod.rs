//! Running a chain: the planner and its two sinks, the executor on a live
//! database and the offline script.

pub(crate) mod backup;
pub(crate) mod diesel;
pub(crate) mod executor;
#[cfg(feature = "diesel-migrations")]
mod harness;
mod lease;
pub(crate) mod ledger;
pub(crate) mod lint;
pub(crate) mod offline;
pub(crate) mod plan;
pub(crate) mod preview;
mod resume;
mod retry;
pub(crate) mod startup;
pub(crate) mod step;
