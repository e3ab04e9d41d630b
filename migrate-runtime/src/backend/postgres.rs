//! PostgreSQL: a session advisory lock as the run lock, transactional DDL, and
//! the schema read from the catalogs of the current schema.

use super::{lock_key, Backend, Capabilities, RunLock};
#[cfg(feature = "introspect")]
use super::{nullable_field, rows};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::{ColumnInfo, TableInfo};
use crate::sqlite::rebuild::TableSource;

pub(crate) struct Postgres;

fn q(s: &str) -> String {
    Dialect::Postgres.quote_str(s)
}

/// The `regclass` of a table of the current schema, whatever its name holds.
#[cfg(feature = "introspect")]
fn regclass(table: &str) -> String {
    format!(
        "(quote_ident(current_schema()) || '.' || quote_ident({}))::regclass",
        q(table)
    )
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: true,
            rebuilds_tables: false,
        }
    }

    fn table_exists(&self, conn: &mut AnyConnection, table: &str) -> Result<bool> {
        let sql = format!(
            "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = {}",
            q(table)
        );
        Ok(!conn.query_text(&sql)?.is_empty())
    }

    fn text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }

    fn joined(&self, exprs: &[&str]) -> String {
        let parts: Vec<String> = exprs
            .iter()
            .map(|e| format!("coalesce(CAST({e} AS TEXT), chr(30))"))
            .collect();
        parts.join(" || chr(31) || ")
    }

    fn lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<RunLock> {
        conn.execute(&format!(
            "SELECT pg_advisory_lock({})",
            lock_key(version_table)
        ))?;
        Ok(RunLock::Session)
    }

    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, _lock: RunLock) -> Result<()> {
        conn.execute(&format!(
            "SELECT pg_advisory_unlock({})",
            lock_key(version_table)
        ))
    }

    fn table_source(&self, _conn: &mut AnyConnection, table: &str) -> Result<TableSource> {
        Err(Error::Unsupported {
            operation: format!("rebuild of table {table}"),
            dialect: Dialect::Postgres,
            reason: "PostgreSQL alters tables in place".into(),
        })
    }

    fn tables(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        Ok(conn
            .query_text(
                "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )?
            .into_iter()
            .flatten()
            .collect())
    }

    #[cfg(feature = "introspect")]
    fn describe_table(&self, conn: &mut AnyConnection, table: &str) -> Result<TableInfo> {
        let mut info = TableInfo::default();
        let rc = regclass(table);
        for r in rows(
            conn,
            &format!(
                "SELECT a.attname || chr(31) || format_type(a.atttypid, a.atttypmod) || chr(31) || \
                 CASE WHEN a.attnotnull THEN '0' ELSE '1' END || chr(31) || \
                 coalesce(pg_get_expr(ad.adbin, ad.adrelid), chr(30)) || chr(31) || \
                 CASE WHEN a.attidentity <> '' THEN 'identity' ELSE '' END AS v \
                 FROM pg_attribute a \
                 LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
                 WHERE a.attrelid = {rc} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
            ),
        )? {
            let [name, ty, nullable, default, identity] = &r[..] else {
                continue;
            };
            info.columns.push(ColumnInfo {
                name: name.clone(),
                sql_type: if identity.is_empty() {
                    ty.clone()
                } else {
                    format!("{ty} identity")
                },
                nullable: nullable == "1",
                default: nullable_field(default),
            });
        }
        for r in rows(
            conn,
            &format!(
                "SELECT i.relname || chr(31) || pg_get_indexdef(i.oid) AS v \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                 WHERE x.indrelid = {rc} AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                 WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))"
            ),
        )? {
            let [name, def] = &r[..] else { continue };
            let unique = if def.starts_with("CREATE UNIQUE") {
                "UNIQUE "
            } else {
                ""
            };
            let def = def
                .split_once(" USING ")
                .map_or(def.as_str(), |(_, rest)| rest);
            info.indexes.insert(format!("{name}: {unique}{def}"));
        }
        for r in rows(
            conn,
            &format!(
                "SELECT conname || chr(31) || pg_get_constraintdef(oid) AS v FROM pg_constraint \
                 WHERE conrelid = {rc} AND contype <> 'n'"
            ),
        )? {
            let [name, def] = &r[..] else { continue };
            info.constraints.insert(format!("{name}: {def}"));
        }
        Ok(info)
    }
}
