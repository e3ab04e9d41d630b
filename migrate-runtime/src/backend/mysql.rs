//! MySQL and MariaDB: `GET_LOCK` as the run lock, DDL that commits implicitly,
//! live column definitions for `MODIFY`, and the schema from information_schema.

use super::{lock_row, Backend, Capabilities, Object, RunLock, TryLock};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::{ColumnInfo, TableInfo};
use crate::sql::ExistingColumn;
use crate::sqlite::rebuild::TableSource;

pub(crate) struct Mysql;

/// What a run waits for after an attempt at the Galera lock row lost to
/// another node's commit.
const LOST_CERTIFICATION: &str = "the Galera lock row (another node's run took it first)";

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

fn release_named(conn: &mut AnyConnection, version_table: &str) -> Result<()> {
    conn.query_text(&format!(
        "SELECT CAST(RELEASE_LOCK({}) AS CHAR) AS v",
        lock_name(version_table)
    ))
    .map(|_| ())
}

/// The Galera lock row this run took: its holder, the session's
/// `wsrep_sync_wait` before, and the row it took over, if any.
struct RowTaken {
    holder: String,
    sync_wait: String,
    over: Option<String>,
}

/// Takes the Galera lock row: `None` when another run holds it. Called with
/// this node's `GET_LOCK` held.
fn take_row(conn: &mut AnyConnection, version_table: &str) -> Result<Option<RowTaken>> {
    lock_row::create(conn, &Mysql, version_table)?;
    // The session's sync wait (put back at unlock), where this session is,
    // and the name of the GET_LOCK this run holds.
    let info = conn
        .query_text(&format!(
            "SELECT CAST(CONCAT_WS(CHAR(31), @@SESSION.wsrep_sync_wait, \
             CONCAT(@@hostname, ':', @@port, ' connection ', CONNECTION_ID()), {}) AS CHAR) AS v",
            lock_name(version_table)
        ))?
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_default();
    let parts: Vec<&str> = info.split('\u{1f}').collect();
    let (sync_wait, session, lock) = match parts.as_slice() {
        [w, s, l] => (*w, *s, *l),
        _ => ("0", info.as_str(), ""),
    };
    let view = cluster_view(conn);
    let holder = lock_row::holder(Some(&match &view {
        Some(v) => format!("{session}, node {}, lock {lock}", v.node),
        None => session.to_owned(),
    }));
    let stale = view.map(|v| stale_holder(&v, lock));
    // Reads (the version table, the ledger) wait until this node has applied
    // every write the cluster committed before them.
    conn.execute("SET SESSION wsrep_sync_wait = 1")?;
    let taken = lock_row::insert(
        conn,
        Dialect::Mysql,
        version_table,
        &holder,
        stale.as_deref(),
    );
    let back = |conn: &mut AnyConnection| {
        conn.execute(&format!("SET SESSION wsrep_sync_wait = {sync_wait}"))
    };
    match taken {
        Ok(Some(took)) => Ok(Some(RowTaken {
            holder,
            sync_wait: sync_wait.to_owned(),
            over: took.over,
        })),
        Ok(None) => back(conn).map(|()| None),
        Err(e) => Err(match back(conn) {
            Ok(()) => e,
            Err(c) => Error::cleanup(e, c),
        }),
    }
}

/// This node's place in the Galera cluster, as far as it can be read.
struct ClusterView {
    /// This node's cluster UUID (`wsrep_gcomm_uuid`).
    node: String,
    /// Every member's UUID, when the membership table could be read and
    /// agrees with the node's own view (a primary component of that size).
    members: Option<Vec<String>>,
}

/// Reads the [`ClusterView`]. Any failure means no view, and then a lock row
/// is taken over only when its lease ends, as before: MySQL 8 has no
/// `information_schema.GLOBAL_STATUS`, `mysql.wsrep_cluster_members` exists
/// from MariaDB 10.4 on, and a user without a grant on it cannot see it.
fn cluster_view(conn: &mut AnyConnection) -> Option<ClusterView> {
    let status = conn
        .query_text(
            "SELECT CAST(CONCAT_WS(CHAR(31), \
             (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_GCOMM_UUID'), \
             (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE'), \
             (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_STATUS')) AS CHAR) AS v",
        )
        .ok()?
        .into_iter()
        .flatten()
        .next()?;
    let parts: Vec<&str> = status.split('\u{1f}').collect();
    let [node, size, state] = parts.as_slice() else {
        return None;
    };
    let node = valid_uuid(node)?.to_owned();
    let members = conn
        .query_text("SELECT CAST(node_uuid AS CHAR) AS v FROM mysql.wsrep_cluster_members")
        .ok()
        .map(|rows| rows.into_iter().flatten().collect::<Vec<String>>())
        .filter(|m| {
            *state == "Primary"
                && size.parse::<usize>().ok() == Some(m.len())
                && m.iter().all(|u| valid_uuid(u).is_some())
                && m.contains(&node)
        });
    Some(ClusterView { node, members })
}

/// A node's cluster UUID as Galera prints it, or `None`.
fn valid_uuid(s: &str) -> Option<&str> {
    let ok = s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    ok.then_some(s)
}

/// When a lock row's holder is gone before its lease ends, for a run on the
/// node of `view` that holds that node's `GET_LOCK` named `lock`:
/// - the holder ran on this node under the same lock name: it held that
///   `GET_LOCK` for its whole run, and this run has it now, so its session
///   has ended (the name is matched too: with `lower_case_table_names`, two
///   spellings of a version table share one row but not one `GET_LOCK`);
/// - the holder ran on a node that is not a member of the primary component
///   this node sees (killed, or cut off, where it can commit nothing).
fn stale_holder(view: &ClusterView, lock: &str) -> String {
    let mine = format!(
        "holder LIKE {}",
        q(&format!("%, node {}, lock {lock}, %", view.node))
    );
    let Some(members) = &view.members else {
        return mine;
    };
    let elsewhere: Vec<String> = members
        .iter()
        .map(|m| format!(" AND holder NOT LIKE {}", q(&format!("%, node {m}, %"))))
        .collect();
    format!(
        "{mine} OR (holder LIKE '%, node ________-____-____-____-____________, %'{})",
        elsewhere.concat()
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
            session_locks: true,
            one_ddl_per_transaction: false,
        }
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!(
            "SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = {}",
            q(table)
        )
    }

    fn exists(&self, conn: &mut AnyConnection, object: Object<'_>) -> Result<Option<bool>> {
        let (from, filter) = match object {
            Object::Table(t) => return self.table_exists(conn, t).map(Some),
            Object::Column { table, column } => (
                "information_schema.columns",
                format!("table_name = {} AND column_name = {}", q(table), q(column)),
            ),
            Object::Index { table, name } => (
                "information_schema.statistics",
                format!("table_name = {} AND index_name = {}", q(table), q(name)),
            ),
            Object::Constraint { table, name } => (
                "information_schema.table_constraints",
                format!(
                    "table_name = {} AND constraint_name = {}",
                    q(table),
                    q(name)
                ),
            ),
            Object::PrimaryKey(table) => (
                "information_schema.table_constraints",
                format!(
                    "table_name = {} AND constraint_type = 'PRIMARY KEY'",
                    q(table)
                ),
            ),
        };
        let sql = format!(
            "SELECT CAST(COUNT(*) AS CHAR) AS v FROM {from} WHERE table_schema = DATABASE() AND {filter}"
        );
        Ok(Some(super::count_of(conn, &sql)? > 0))
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

    /// `GET_LOCK`, plus on a Galera node (`wsrep_on`), where `GET_LOCK` holds
    /// on that node only, a row in `<version table>_lock` that replicates: two
    /// nodes inserting it at once are certified in order, the second commit
    /// fails with a deadlock (1213) and counts as the lock being busy. The row
    /// has a lease, renewed before each migration, so that a run killed with
    /// its node does not hold the cluster for ever.
    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock> {
        let name = lock_name(version_table);
        // One round trip on MariaDB: the session's lock wait (put back at
        // unlock), whether this is a Galera node, and GET_LOCK itself.
        let probe = conn.query_text(&format!(
            "SELECT CAST(CONCAT(@@wsrep_on, ':', IFNULL(GET_LOCK({name}, 0), 0)) AS CHAR) AS v"
        ));
        let row = match probe {
            Ok(v) => v,
            // MySQL has no wsrep variables: no Galera.
            Err(e) if e.to_string().contains("Unknown system variable") => conn.query_text(
                &format!("SELECT CAST(CONCAT('0:', IFNULL(GET_LOCK({name}, 0), 0)) AS CHAR) AS v"),
            )?,
            // A lost certification of an earlier attempt of this session,
            // told now (the statement did not run, GET_LOCK neither).
            Err(e) if lock_row::deadlock(&e) => {
                return Ok(TryLock::Busy(LOST_CERTIFICATION.into()))
            }
            Err(e) => return Err(e),
        };
        let text = row.into_iter().flatten().next().unwrap_or_default();
        let (galera, got) = match text.split_once(':') {
            Some((w, g)) => (matches!(w, "1" | "ON"), g == "1"),
            None => (false, false),
        };
        if !got {
            return Ok(TryLock::Busy("its named lock (GET_LOCK)".into()));
        }
        if !galera {
            return Ok(TryLock::Taken(RunLock::Session, None));
        }
        match take_row(conn, version_table) {
            Ok(Some(RowTaken {
                holder,
                sync_wait,
                over,
            })) => {
                let sync_wait = sync_wait.parse::<u32>().unwrap_or(0);
                let restore = Some(format!("SET SESSION wsrep_sync_wait = {sync_wait}"));
                Ok(TryLock::Taken(RunLock::Row { holder, restore }, over))
            }
            Ok(None) => {
                release_named(conn, version_table)?;
                Ok(TryLock::Busy(format!(
                    "the lock row in {} (Galera)",
                    lock_row::table(version_table)
                )))
            }
            // Another node's commit won while this attempt ran (Galera may
            // tell it at any statement after): nothing of it holds, and the
            // next poll tries again.
            Err(e) if lock_row::deadlock(&e) => {
                release_named(conn, version_table)?;
                Ok(TryLock::Busy(LOST_CERTIFICATION.into()))
            }
            Err(e) => Err(match release_named(conn, version_table) {
                Ok(()) => e,
                Err(c) => Error::cleanup(e, c),
            }),
        }
    }

    fn lock_wait_setting(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        Ok(conn
            .query_text("SELECT CAST(@@SESSION.lock_wait_timeout AS CHAR) AS v")?
            .into_iter()
            .flatten()
            .next())
    }

    /// Metadata locks, which DDL waits for; MySQL counts whole seconds and has
    /// no transaction-local settings.
    fn set_lock_wait(
        &self,
        conn: &mut AnyConnection,
        timeout: Option<std::time::Duration>,
        _local: bool,
    ) -> Result<()> {
        conn.execute(&match timeout {
            Some(t) => format!("SET SESSION lock_wait_timeout = {}", t.as_secs().max(1)),
            None => "SET SESSION lock_wait_timeout = DEFAULT".to_owned(),
        })
    }

    fn restore_lock_wait(&self, conn: &mut AnyConnection, saved: &str) -> Result<()> {
        match saved.parse::<u64>() {
            Ok(n) => conn.execute(&format!("SET SESSION lock_wait_timeout = {n}")),
            Err(_) => conn.execute("SET SESSION lock_wait_timeout = DEFAULT"),
        }
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
        if let Some(h) = lock_row::holder_of(conn, self, version_table)? {
            return Ok(Some(h));
        }
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

    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, lock: RunLock) -> Result<()> {
        let (row, restore) = match lock {
            RunLock::Row { holder, restore } => (Some(holder), restore),
            RunLock::Session => (None, None),
            RunLock::Advisory(_) | RunLock::File { .. } | RunLock::PerStep(_) => (None, None),
        };
        let deleted = match &row {
            Some(holder) => lock_row::release(conn, Dialect::Mysql, version_table, holder),
            None => Ok(()),
        };
        // Each is attempted whatever the others did; the first failure is reported.
        let restored = restore.map_or(Ok(()), |sql| conn.execute(&sql));
        let released = release_named(conn, version_table);
        deleted.and(restored).and(released)
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

    #[cfg(feature = "autogen")]
    fn shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape> {
        self.read_shape(conn, table)
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
                return Err(super::unreadable(&r));
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
                return Err(super::unreadable(&r));
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
                return Err(super::unreadable(&r));
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
        let [name, clause] = &r[..] else {
            return Err(super::unreadable(&r));
        };
        info.constraints.insert(format!("{name}: CHECK ({clause})"));
    }
    Ok(())
}

/// The one row of `SHOW CREATE TABLE`, whose columns cannot be renamed `v`.
#[cfg(all(feature = "autogen", feature = "mysql"))]
#[derive(diesel::QueryableByName)]
struct CreateTableRow {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "Create Table")]
    ddl: String,
}

/// A table's `CREATE TABLE` as MySQL prints it.
#[cfg(feature = "autogen")]
fn show_create_table(conn: &mut AnyConnection, table: &str) -> Result<Option<String>> {
    #[cfg(feature = "mysql")]
    if let Some(c) = conn.mysql() {
        use diesel::RunQueryDsl;
        let rows: Vec<CreateTableRow> = diesel::sql_query(format!(
            "SHOW CREATE TABLE {}",
            Dialect::Mysql.quote_ident(table)
        ))
        .load(c)?;
        return Ok(rows.into_iter().next().map(|r| r.ddl));
    }
    let _ = (conn, table);
    Ok(None)
}

#[cfg(feature = "autogen")]
impl Mysql {
    /// [`Backend::shape`] for MySQL: keys and indexes from
    /// `information_schema.statistics` (a unique index is MySQL's unique
    /// constraint), foreign keys and checks from their tables, and the
    /// table's own DDL for what the typed operations cannot say (prefix,
    /// descending, full-text or expression indexes, column attributes).
    pub(super) fn read_shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape> {
        use crate::schema::shape::{ForeignKeyShape, IndexShape, Key, TableShape};
        let info = self.describe_table(conn, table)?;
        let qt = q(table);
        let mut shape = TableShape {
            name: table.to_owned(),
            generated: info
                .columns
                .iter()
                .filter(|c| c.sql_type.contains(" auto_increment"))
                .map(|c| c.name.clone())
                .collect(),
            columns: info.columns,
            ddl: show_create_table(conn, table)?,
            ..TableShape::default()
        };
        // What typed operations leave to the server's defaults: an engine,
        // a collation (of the table or a column) or a comment of its own
        // keeps the table's own DDL, so that comparisons and uniqueness stay.
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), IFNULL(t.ENGINE, ''), IFNULL(t.TABLE_COLLATION, ''), \
                 IFNULL(s.DEFAULT_COLLATION_NAME, ''), @@default_storage_engine, IFNULL(t.TABLE_COMMENT, ''), \
                 IFNULL(t.CREATE_OPTIONS, ''), \
                 (SELECT COUNT(*) FROM information_schema.columns c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA \
                 AND c.TABLE_NAME = t.TABLE_NAME AND ((c.COLLATION_NAME IS NOT NULL AND \
                 c.COLLATION_NAME <> t.TABLE_COLLATION) OR c.COLUMN_COMMENT <> ''))) AS v \
                 FROM information_schema.tables t JOIN information_schema.schemata s \
                 ON s.SCHEMA_NAME = t.TABLE_SCHEMA WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME = {qt}"
            ),
        )? {
            let [engine, collation, db_collation, default_engine, comment, options, odd_columns] =
                &r[..]
            else {
                return Err(super::unreadable(&r));
            };
            let why = if !engine.eq_ignore_ascii_case(default_engine) {
                Some(format!("its engine is {engine}"))
            } else if collation != db_collation {
                Some(format!("its collation is {collation}, the database's {db_collation}"))
            } else if odd_columns != "0" {
                Some("a column has a collation or a comment of its own".to_owned())
            } else if !comment.is_empty() {
                Some("it has a comment".to_owned())
            } else if options.to_ascii_lowercase().contains("partitioned") {
                Some("it is partitioned".to_owned())
            } else {
                None
            };
            if why.is_some() {
                shape.untyped = why;
            }
        }
        let mut current: Option<(String, bool, Vec<String>)> = None;
        let mut indexes: Vec<(String, bool, Vec<String>)> = Vec::new();
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), INDEX_NAME, NON_UNIQUE, IFNULL(COLUMN_NAME, CHAR(30)), \
                 IFNULL(SUB_PART, CHAR(30)), IFNULL(COLLATION, CHAR(30)), INDEX_TYPE) AS v \
                 FROM information_schema.statistics \
                 WHERE table_schema = DATABASE() AND table_name = {qt} \
                 ORDER BY INDEX_NAME, SEQ_IN_INDEX"
            ),
        )? {
            let [name, non_unique, col, sub_part, collation, kind] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            if col == "\u{1e}" || sub_part != "\u{1e}" || collation == "D" || kind != "BTREE" {
                shape.untyped = Some(format!(
                    "index {name} is not on whole columns in ascending order, or not a b-tree"
                ));
            }
            match &mut current {
                Some((n, _, cols)) if n == name => cols.push(col.clone()),
                _ => {
                    indexes.extend(current.take());
                    current = Some((name.clone(), non_unique == "0", vec![col.clone()]));
                }
            }
        }
        indexes.extend(current);
        for (name, unique, columns) in indexes {
            if name == "PRIMARY" {
                shape.primary_key = Some(Key {
                    name: None,
                    columns,
                });
            } else if unique {
                shape.uniques.push(Key {
                    name: Some(name),
                    columns,
                });
            } else {
                shape.indexes.push(IndexShape {
                    name,
                    columns,
                    unique: false,
                    predicate: None,
                    raw: None,
                });
            }
        }
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), rc.CONSTRAINT_NAME, \
                 GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR 0x1d), \
                 rc.REFERENCED_TABLE_NAME, \
                 GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR 0x1d), \
                 rc.UPDATE_RULE, rc.DELETE_RULE, IF(rc.UNIQUE_CONSTRAINT_SCHEMA = DATABASE(), '1', '0')) AS v \
                 FROM information_schema.referential_constraints rc \
                 JOIN information_schema.key_column_usage k \
                 ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME \
                 AND k.TABLE_NAME = rc.TABLE_NAME \
                 WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.TABLE_NAME = {qt} \
                 GROUP BY rc.CONSTRAINT_NAME, rc.REFERENCED_TABLE_NAME, rc.UPDATE_RULE, rc.DELETE_RULE, \
                 rc.UNIQUE_CONSTRAINT_SCHEMA ORDER BY rc.CONSTRAINT_NAME"
            ),
        )? {
            let [name, from, rt, to, upd, del, here] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            if here != "1" {
                return Err(Error::Usage(format!(
                    "the foreign key {name} of {table} references a table of another database: a baseline cannot recreate it"
                )));
            }
            shape.foreign_keys.push(ForeignKeyShape {
                name: Some(name.clone()),
                columns: from.split('\u{1d}').map(str::to_owned).collect(),
                ref_table: rt.clone(),
                ref_columns: to.split('\u{1d}').map(str::to_owned).collect(),
                on_update: upd.clone(),
                on_delete: del.clone(),
            });
        }
        for r in super::rows(
            conn,
            &format!(
                "SELECT CONCAT_WS(CHAR(31), CONSTRAINT_NAME, CHECK_CLAUSE) AS v \
                 FROM information_schema.check_constraints \
                 WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {qt} ORDER BY CONSTRAINT_NAME"
            ),
        )? {
            let [name, clause] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            shape.checks.push((name.clone(), clause.clone()));
        }
        Ok(shape)
    }
}
