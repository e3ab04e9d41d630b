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

/// The ledger's name: the version table's, with `_log` (Alembic's own table
/// stays exactly its shape; the ledger lives beside it).
pub fn ledger_table(version_table: &str) -> String {
    format!("{version_table}_log")
}

/// `CREATE TABLE <version table>_log`: one row per revision applied here.
pub fn ledger_create(d: Dialect, version_table: &str) -> String {
    let t = ledger_table(version_table);
    format!(
        "CREATE TABLE IF NOT EXISTS {} (\n    revision VARCHAR(32) NOT NULL,\n    parent VARCHAR(32),\n    checksum VARCHAR(80),\n    state VARCHAR(16) NOT NULL,\n    ops_done INTEGER NOT NULL,\n    ops_total INTEGER NOT NULL,\n    done_digest VARCHAR(32),\n    seq BIGINT NOT NULL,\n    applied_at VARCHAR(32) NOT NULL,\n    duration_ms BIGINT,\n    note VARCHAR(1000),\n    CONSTRAINT {} PRIMARY KEY (revision)\n)",
        d.quote_ident(&t),
        d.quote_ident(&format!("{t}_pkc"))
    )
}

/// What an offline script records in the ledger for a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerRecord {
    /// It ran in the script.
    Applied,
    /// The script starts above it: it was applied before.
    Adopted,
    /// It was reverted in the script.
    Removed,
}

/// The statement an offline script writes for `revision`: its ledger row
/// (the next `seq`, the database's own clock), unless it has one already, or
/// its removal.
pub fn ledger_offline(
    d: Dialect,
    version_table: &str,
    (revision, parent, checksum): (&str, Option<&str>, Option<&str>),
    record: LedgerRecord,
) -> String {
    let t = d.quote_ident(&ledger_table(version_table));
    let rev = d.quote_str(revision);
    let (state, note) = match record {
        LedgerRecord::Removed => return format!("DELETE FROM {t} WHERE revision = {rev}"),
        LedgerRecord::Applied => ("applied", "applied by an offline script"),
        LedgerRecord::Adopted => ("adopted", "adopted: an offline script started above it"),
    };
    let now = match d {
        Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%S', 'now')",
        Dialect::Postgres => "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
        Dialect::Mysql => "DATE_FORMAT(UTC_TIMESTAMP(), '%Y-%m-%d %H:%i:%s')",
    };
    let opt = |s: Option<&str>| s.map_or_else(|| "NULL".to_owned(), |s| d.quote_str(s));
    // The derived table has one row whatever the ledger holds; NOT EXISTS keeps
    // a second run of the script from adding the row twice.
    format!(
        "INSERT INTO {t} (revision, parent, checksum, state, ops_done, ops_total, seq, applied_at, duration_ms, note) \
         SELECT {rev}, {}, {}, '{state}', 0, 0, n.seq, {now}, NULL, '{note}' \
         FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM {t}) n \
         WHERE NOT EXISTS (SELECT 1 FROM {t} WHERE revision = {rev})",
        opt(parent),
        opt(checksum),
    )
}
