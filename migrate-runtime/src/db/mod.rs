//! Reaching a database: connection URLs and the connection over every backend.

pub mod conn;
pub mod env;
pub mod url;
