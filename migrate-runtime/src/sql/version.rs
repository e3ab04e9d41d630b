//! Statements that manage the version table, in Alembic's shape.

use crate::dialect::Dialect;

/// The default version table name, Alembic's.
pub const DEFAULT_VERSION_TABLE: &str = "alembic_version";

/// `CREATE TABLE IF NOT EXISTS <table> (version_num VARCHAR(32) NOT NULL PRIMARY KEY)`, Alembic's shape.
pub fn create(d: Dialect, table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    version_num VARCHAR(32) NOT NULL,\n    CONSTRAINT {} PRIMARY KEY (version_num)\n)",
        d.quote_ident(table),
        d.quote_ident(&format!("{table}_pkc"))
    )
}

/// Moves the version from `from` to `to` (`None` is base, no row).
pub fn set(d: Dialect, table: &str, from: Option<&str>, to: Option<&str>) -> Option<String> {
    let t = d.quote_ident(table);
    match (from, to) {
        (None, None) => None,
        (None, Some(to)) => Some(format!(
            "INSERT INTO {t} (version_num) VALUES ({})",
            d.quote_str(to)
        )),
        (Some(from), None) => Some(format!(
            "DELETE FROM {t} WHERE version_num = {}",
            d.quote_str(from)
        )),
        (Some(from), Some(to)) => Some(format!(
            "UPDATE {t} SET version_num = {} WHERE version_num = {}",
            d.quote_str(to),
            d.quote_str(from)
        )),
    }
}
