//! SQLite's own needs: reading and editing `CREATE TABLE` text, and the table
//! rebuild ("move and copy") for the changes its `ALTER TABLE` cannot make.

mod column;
pub mod ddl;
pub mod rebuild;
pub mod tokens;
