//! MySQL and MariaDB: `GET_LOCK` as the run lock, DDL that commits implicitly,
//! live column definitions for `MODIFY`, and the schema from information_schema.

use super::{Backend, Capabilities, RunLock, TryLock};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::{ColumnInfo, TableInfo};
use crate::sql::ExistingColumn;
use crate::sqlite::rebuild::TableSource;

pub(crate) struct Mysql;

fn q(s: &str) -> String {
    Dialect::Mysql.quote_str(s)
}

/// The lock's name: GET_LOCK names are limited to 64 characters, so the
/// database and table names are hashed into it.
fn lock_name(version_table: &str) -> String {
    format!(
        "CONCAT('migrate:', SHA1(CONCAT(DATABASE(), ':', {})))",
        q(version_table)
    )
}

impl Backend for Mysql {
    fn dialect(&self) -> Dialect {
        Dialect::Mysql
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: false,
            rebuilds_tables: false,
        }
    }

    fn table_exists(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        let sql = format!(
            "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = {}",
            q(table)
        );
        Ok(!conn.query_text(&sql)?.is_empty())
    }

    fn text(&self, expr: &str) -> String {
        format!("CAST({expr} AS CHAR)")
    }

    fn joined(&self, exprs: &[&str]) -> String {
        let parts: Vec<String> = exprs
            .iter()
            .map(|e| format!("IFNULL(CAST({e} AS CHAR), CHAR(30))"))
            .collect();
        format!("CONCAT({})", parts.join(", CHAR(31), "))
    }

    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock> {
        let got = conn.query_text(&format!(
            "SELECT CAST(GET_LOCK({}, 0) AS CHAR) AS v",
            lock_name(version_table)
        ))?;
        Ok(match got.first().and_then(|v| v.as_deref()) {
            Some("1") => TryLock::Taken(RunLock::Session),
            _ => TryLock::Busy("its named lock (GET_LOCK)".into()),
        })
    }

    fn limit_lock_waits(
        &self,
        conn: &mut AnyConnection,
        timeout: std::time::Duration,
        _in_transaction: bool,
    ) -> Result<()> {
        // Metadata locks, which DDL waits for; MySQL counts whole seconds.
        conn.execute(&format!(
            "SET SESSION lock_wait_timeout = {}",
            timeout.as_secs().max(1)
        ))
    }

    fn is_lock_timeout(&self, e: &Error) -> bool {
        e.to_string().contains("Lock wait timeout exceeded")
    }

    /// Metadata locks are not listed without performance_schema; the sessions
    /// with an open transaction are what holds them.
    fn lock_blockers(&self, conn: &mut AnyConnection, _table: &str) -> Result<Option<String>> {
        Ok(conn
            .query_text(
                "SELECT CAST(GROUP_CONCAT(CONCAT('connection ', p.ID, ' (', p.USER, ', transaction open ', \
                 TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), ' s)') SEPARATOR '; ') AS CHAR) AS v \
                 FROM information_schema.INNODB_TRX t \
                 JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id \
                 WHERE p.ID <> CONNECTION_ID()",
            )?
            .into_iter()
            .flatten()
            .next())
    }

    fn lock_holder(&self, conn: &mut AnyConnection, version_table: &str) -> Result<Option<String>> {
        Ok(conn
            .query_text(&format!(
                "SELECT CAST(CONCAT('connection ', p.ID, ', user ', p.USER, '@', p.HOST, \
                 ', ', p.COMMAND, ' for ', p.TIME, ' s') AS CHAR) AS v \
                 FROM information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK({})",
                lock_name(version_table)
            ))?
            .into_iter()
            .flatten()
            .next())
    }

    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, _lock: RunLock) -> Result<()> {
        conn.query_text(&format!(
            "SELECT CAST(RELEASE_LOCK({}) AS CHAR) AS v",
            lock_name(version_table)
        ))
        .map(|_| ())
    }

    fn existing_column(
        &self,
        conn: &mut AnyConnection,
        table: &str,
        column: &str,
    ) -> Result<Option<ExistingColumn>> {
        let sql = format!(
            "SELECT CONCAT_WS(CHAR(31), COLUMN_TYPE, IS_NULLABLE, IFNULL(EXTRA, ''), \
             IF(COLUMN_DEFAULT IS NULL, 'N', 'Y'), IFNULL(COLUMN_DEFAULT, ''), \
             IF(VERSION() LIKE '%MariaDB%', 'M', 'O'), IFNULL(CHARACTER_SET_NAME, ''), \
             IFNULL(COLLATION_NAME, ''), IFNULL(COLUMN_COMMENT, '')) AS v \
             FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = {} AND column_name = {}",
            q(table),
            q(column)
        );
        let Some(Some(row)) = conn.query_text(&sql)?.into_iter().next() else {
            return Ok(None);
        };
        let parts: Vec<&str> = row.split('\u{1f}').collect();
        let [ty, nullable, extra, has_default, default, flavour, charset, collation, comment] =
            parts.as_slice()
        else {
            return Err(Error::Introspection(format!(
                "unexpected column description of {table}.{column}: {row:?}"
            )));
        };
        let extra = extra.to_ascii_lowercase();
        let default_sql = if *has_default == "Y" {
            // MariaDB reports defaults as SQL (quoted literals, NULL, expressions);
            // MySQL reports the bare value and flags expressions in EXTRA.
            if *flavour == "M" {
                (*default != "NULL").then(|| (*default).to_owned())
            } else if extra.contains("default_generated") {
                Some(format!("({default})"))
            } else {
                Some(q(default))
            }
        } else {
            None
        };
        Ok(Some(ExistingColumn {
            column_type: (*ty).to_owned(),
            nullable: *nullable == "YES",
            default_sql,
            auto_increment: extra.contains("auto_increment"),
            // MODIFY would reset these to the table's defaults: restate them.
            charset: (!charset.is_empty() && !collation.is_empty())
                .then(|| format!("CHARACTER SET {charset} COLLATE {collation}")),
            on_update: extra
                .find("on update ")
                .map(|i| extra[i..].trim().to_uppercase()),
            comment: (!comment.is_empty()).then(|| Dialect::quote_plain_mysql(comment)),
        }))
    }

    fn table_source(&self, _conn: &mut AnyConnection, table: &str) -> Result<TableSource> {
        Err(Error::Unsupported {
            operation: format!("rebuild of table {table}"),
            dialect: Dialect::Mysql,
            reason: "MySQL alters tables in place".into(),
        })
    }

    fn tables(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        Ok(conn
            .query_text(
                "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
                 WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'",
            )?
            .into_iter()
            .flatten()
            .collect())
    }

    #[cfg(feature = "introspect")]
    fn describe_table(&self, conn: &mut AnyConnection, table: &str) -> Result<TableInfo> {
        let mut info = TableInfo::default();
        let qt = q(table);
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), COLUMN_NAME, COLUMN_TYPE, \
                 IF(IS_NULLABLE = 'YES', '1', '0'), IFNULL(COLUMN_DEFAULT, CHAR(30)), EXTRA) AS v \
                 FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = {qt} ORDER BY ORDINAL_POSITION"
            ),
        )? {
            let [name, ty, nullable, default, extra] = &r[..] else {
                continue;
            };
            let default = super::nullable_field(default).filter(|d| d != "NULL");
            let ty = ty.to_ascii_lowercase();
            info.columns.push(ColumnInfo {
                name: name.clone(),
                sql_type: if extra.is_empty() {
                    ty
                } else {
                    format!("{ty} {}", extra.to_ascii_lowercase())
                },
                nullable: nullable == "1",
                default,
            });
        }
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), INDEX_NAME, NON_UNIQUE, \
                 GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', ')) AS v \
                 FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = {qt} \
                 GROUP BY INDEX_NAME, NON_UNIQUE"
            ),
        )? {
            let [name, non_unique, cols] = &r[..] else {
                continue;
            };
            if name == "PRIMARY" {
                info.constraints.insert(format!("PRIMARY KEY ({cols})"));
            } else {
                let unique = if non_unique == "0" { "UNIQUE " } else { "" };
                info.indexes.insert(format!("{name}: {unique}({cols})"));
            }
        }
        describe_constraints(conn, &qt, &mut info)?;
        Ok(info)
    }
}

#[cfg(feature = "introspect")]
fn describe_constraints(conn: &mut AnyConnection, qt: &str, info: &mut TableInfo) -> Result<()> {
    for r in super::rows(
        conn,
        &format!(
            "SELECT CONCAT_WS(CHAR(31), rc.CONSTRAINT_NAME, \
             GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), \
             rc.REFERENCED_TABLE_NAME, \
             GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), \
             rc.UPDATE_RULE, rc.DELETE_RULE) AS v \
             FROM information_schema.referential_constraints rc \
             JOIN information_schema.key_column_usage k \
             ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME \
             AND k.TABLE_NAME = rc.TABLE_NAME \
             WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.TABLE_NAME = {qt} \
             GROUP BY rc.CONSTRAINT_NAME, rc.REFERENCED_TABLE_NAME, rc.UPDATE_RULE, rc.DELETE_RULE"
        ),
    )? {
        let [name, from, rt, to, upd, del] = &r[..] else {
            continue;
        };
        info.constraints.insert(format!(
            "{name}: FOREIGN KEY ({from}) REFERENCES {rt} ({to}) ON UPDATE {upd} ON DELETE {del}"
        ));
    }
    for r in super::rows(
        conn,
        &format!(
            "SELECT CONCAT_WS(CHAR(31), CONSTRAINT_NAME, CHECK_CLAUSE) AS v \
             FROM information_schema.check_constraints \
             WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {qt}"
        ),
    )? {
        let [name, clause] = &r[..] else { continue };
        info.constraints.insert(format!("{name}: CHECK ({clause})"));
    }
    Ok(())
}
