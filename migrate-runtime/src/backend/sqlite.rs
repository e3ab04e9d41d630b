//! SQLite: an OS file lock as the run lock, table rebuilds with foreign key
//! enforcement off, and the schema read from `sqlite_master` and pragmas.

use super::{lock_key, Backend, Capabilities, Object, RunLock, TryLock};
#[cfg(feature = "introspect")]
use super::{nullable_field, rows};
use crate::db::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
#[cfg(feature = "introspect")]
use crate::schema::live::{ColumnInfo, TableInfo};
use crate::sqlite::rebuild::TableSource;

pub(crate) struct Sqlite;

fn q(s: &str) -> String {
    Dialect::Sqlite.quote_str(s)
}

impl Sqlite {
    /// The lock file of `version_table`'s run lock beside the database file;
    /// `None` for an in-memory database, which no other process can reach.
    fn lock_path(conn: &mut AnyConnection, version_table: &str) -> Result<Option<String>> {
        let path = Self::first_text(
            conn,
            "SELECT file AS v FROM pragma_database_list WHERE name = 'main'",
        )?
        .unwrap_or_default();
        if path.is_empty() {
            return Ok(None);
        }
        // One lock per version table, as on PostgreSQL and MySQL: two chains
        // sharing a database file do not wait for each other.
        let suffix = if version_table == crate::sql::version::DEFAULT_VERSION_TABLE {
            String::new()
        } else {
            format!("-{:016x}", lock_key(version_table))
        };
        Ok(Some(format!("{path}-migrate{suffix}.lock")))
    }

    fn foreign_keys_on(conn: &mut AnyConnection) -> Result<bool> {
        Ok(conn
            .query_text("SELECT CAST(foreign_keys AS TEXT) AS v FROM pragma_foreign_keys")?
            .first()
            .and_then(|v| v.as_deref())
            == Some("1"))
    }

    fn first_text(conn: &mut AnyConnection, sql: &str) -> Result<Option<String>> {
        Ok(conn.query_text(sql)?.into_iter().flatten().next())
    }
}

/// Splits a row of [`Sqlite::table_source`]'s query: `type`, the name's
/// length in characters, then the name followed by the SQL.
fn schema_row(row: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = row.split_once('\u{1f}')?;
    let (len, rest) = rest.split_once('\u{1f}')?;
    let len: usize = len.parse().ok()?;
    let at = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
    Some((kind, &rest[..at], &rest[at..]))
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            transactional_ddl: true,
            rebuilds_tables: true,
            session_locks: true,
            one_ddl_per_transaction: false,
        }
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!(
            "SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name = {}",
            q(table)
        )
    }

    /// Names compare as SQLite resolves them, ignoring ASCII case. A unique
    /// constraint added later is a unique index; other constraints are added
    /// and dropped by rebuilding the table, which commits with its ledger
    /// record and is never in doubt: not told.
    fn exists(&self, conn: &mut AnyConnection, object: Object<'_>) -> Result<Option<bool>> {
        let sql = match object {
            Object::Table(t) => format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM sqlite_master \
                 WHERE type = 'table' AND name = {} COLLATE NOCASE",
                q(t)
            ),
            Object::Column { table, column } => format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM pragma_table_info({}) \
                 WHERE name = {} COLLATE NOCASE",
                q(table),
                q(column)
            ),
            Object::Index { name, .. } => format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM sqlite_master \
                 WHERE type = 'index' AND name = {} COLLATE NOCASE",
                q(name)
            ),
            Object::Constraint { name, .. } => {
                let sql = format!(
                    "SELECT CAST(COUNT(*) AS TEXT) AS v FROM sqlite_master \
                     WHERE type = 'index' AND name = {} COLLATE NOCASE",
                    q(name)
                );
                // Found as an index: there. Not found: it may be written
                // inside the table's definition; not told.
                return Ok((super::count_of(conn, &sql)? > 0).then_some(true));
            }
            Object::PrimaryKey(_) => return Ok(None),
        };
        Ok(Some(super::count_of(conn, &sql)? > 0))
    }

    fn text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
    }

    fn joined(&self, exprs: &[&str]) -> String {
        let parts: Vec<String> = exprs
            .iter()
            .map(|e| format!("coalesce(CAST({e} AS TEXT), char(30))"))
            .collect();
        parts.join(" || char(31) || ")
    }

    /// SQLite has no advisory lock: a lock file beside the database file
    /// (`<db>-migrate.lock`, locked with the OS's file lock, released when the
    /// file is closed, also when the process dies) serializes runs the way
    /// PostgreSQL's advisory lock does. An in-memory database needs none. When
    /// the file cannot be created (a read-only directory), the run goes on with
    /// the per-step write lock only, which holds for migrations that run in a
    /// transaction; the executor refuses the others.
    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock> {
        let Some(lock_path) = Self::lock_path(conn, version_table)? else {
            return Ok(TryLock::Taken(RunLock::PerStep(None), None));
        };
        let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
        else {
            return Ok(TryLock::Taken(RunLock::PerStep(Some(lock_path)), None));
        };
        match file.try_lock() {
            Ok(()) => {
                // Who holds it, for runs that wait: read by `lock_holder`.
                use std::io::{Seek, Write};
                let me = format!(
                    "pid {} since {} UTC",
                    std::process::id(),
                    crate::clock::date_time()
                );
                let noted = file
                    .set_len(0)
                    .and_then(|()| file.rewind())
                    .and_then(|()| file.write_all(me.as_bytes()));
                // The note only helps a waiting run's message; the lock holds without it.
                drop(noted);
                Ok(TryLock::Taken(RunLock::File { _held: file }, None))
            }
            Err(std::fs::TryLockError::WouldBlock) => Ok(TryLock::Busy(lock_path)),
            // A file system without locks: fall back to the per-step write lock.
            Err(std::fs::TryLockError::Error(_)) => {
                Ok(TryLock::Taken(RunLock::PerStep(Some(lock_path)), None))
            }
        }
    }

    fn lock_holder(&self, conn: &mut AnyConnection, version_table: &str) -> Result<Option<String>> {
        let Some(path) = Self::lock_path(conn, version_table)? else {
            return Ok(None);
        };
        Ok(std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()))
    }

    fn unlock(&self, _conn: &mut AnyConnection, _version_table: &str, lock: RunLock) -> Result<()> {
        // Closing the file releases the lock.
        drop(lock);
        Ok(())
    }

    /// One query reads the table, its indexes and triggers, and whether
    /// `sqlite_sequence` exists: the planner calls this before every
    /// operation that may rebuild a table (a `drop_column` too, to tell
    /// whether SQLite's own `DROP COLUMN` can do it), and each query scans the
    /// whole schema table. The sequence is read only for a table declared
    /// `AUTOINCREMENT`, the only kind SQLite keeps one for.
    ///
    /// SQLite keeps an index's or a trigger's table name as its statement
    /// spelled it (`ON USERS` for `users`), and names match in any ASCII case
    /// there: they are matched so, or a rebuild would leave them out.
    fn table_source(&self, conn: &mut AnyConnection, table: &str) -> Result<TableSource> {
        let qt = q(table);
        // Each row: type, the name's length, then the name and the SQL, so a
        // name holding the separator is still read whole.
        let rows = conn.query_text(&format!(
            "SELECT type || char(31) || length(name) || char(31) || name || sql AS v \
             FROM sqlite_master \
             WHERE (tbl_name = {qt} COLLATE NOCASE AND sql IS NOT NULL \
             AND type IN ('table', 'index', 'trigger')) \
             OR (type = 'table' AND name = 'sqlite_sequence') ORDER BY type, name"
        ))?;
        let mut create_sql = None;
        let mut indexes = Vec::new();
        let mut triggers = Vec::new();
        let mut has_sequence_table = false;
        for row in rows.iter().flatten() {
            let Some((kind, name, sql)) = schema_row(row) else {
                continue;
            };
            if kind == "table" && name == "sqlite_sequence" {
                has_sequence_table = true;
            }
            match kind {
                // The name as given: another case is not this table, as before.
                "table" if name == table => create_sql = Some(sql.to_owned()),
                "index" => indexes.push((name.to_owned(), sql.to_owned())),
                "trigger" => triggers.push(sql.to_owned()),
                _ => {}
            }
        }
        let create_sql = create_sql.ok_or_else(|| Error::NoSuchTable(table.to_owned()))?;
        let sequence = if has_sequence_table
            && create_sql.to_ascii_lowercase().contains("autoincrement")
        {
            Self::first_text(
                conn,
                &format!("SELECT CAST(seq AS TEXT) AS v FROM sqlite_sequence WHERE name = {qt}"),
            )?
            .and_then(|s| s.parse().ok())
        } else {
            None
        };
        Ok(TableSource {
            create_sql,
            indexes,
            triggers,
            sequence,
        })
    }

    /// SQLite silently ignores the pragma inside a transaction, so that it went
    /// off is checked: a rebuild with enforcement on would run the ON DELETE
    /// actions of referencing tables when the old table is dropped.
    fn suspend_foreign_keys(&self, conn: &mut AnyConnection) -> Result<bool> {
        if !Self::foreign_keys_on(conn)? {
            return Ok(false);
        }
        conn.execute("PRAGMA foreign_keys = OFF")?;
        if Self::foreign_keys_on(conn)? {
            return Err(Error::ForeignKeysInTransaction);
        }
        Ok(true)
    }

    fn restore_foreign_keys(&self, conn: &mut AnyConnection) -> Result<()> {
        conn.execute("PRAGMA foreign_keys = ON")
    }

    /// Other tables are not checked: violations there are older than this migration.
    /// The copy dropped the old table's triggers (recreated as written) and
    /// left every view naming it alone. Renaming a scratch table makes SQLite
    /// parse and resolve every view and trigger of the schema, as its own
    /// `DROP COLUMN` does; one that names a column the rebuild removed fails
    /// there ("error in view v: no such column: val") and the rebuild rolls
    /// back, where it used to leave a view that cannot be read and a table
    /// that cannot take an INSERT. A view or trigger that was broken before,
    /// and reads another table, is left as it was (the views that read this
    /// table are then checked one by one).
    fn check_dependents(&self, conn: &mut AnyConnection, table: &str) -> Result<()> {
        const PROBE: &str = "\"_migrate_check_views_and_triggers\"";
        const PROBE_DONE: &str = "\"_migrate_checked_views_and_triggers\"";
        conn.execute(&format!(
            "DROP TABLE IF EXISTS {PROBE}; DROP TABLE IF EXISTS {PROBE_DONE}; CREATE TABLE {PROBE} (x)"
        ))?;
        let probe = conn.execute(&format!("ALTER TABLE {PROBE} RENAME TO {PROBE_DONE}"));
        conn.execute(&format!(
            "DROP TABLE IF EXISTS {PROBE}; DROP TABLE IF EXISTS {PROBE_DONE}"
        ))?;
        let Err(e) = probe else {
            return Ok(());
        };
        let text = e.to_string();
        let reads_table = |conn: &mut AnyConnection, name: &str| -> Result<bool> {
            let sql = Self::first_text(
                conn,
                &format!(
                    "SELECT sql AS v FROM sqlite_master WHERE name = {}",
                    q(name)
                ),
            )?;
            // Unreadable or not found: taken as reading it, to be safe.
            Ok(sql.is_none_or(|sql| {
                crate::sqlite::tokens::tokenize(&sql)
                    .map_or(true, |t| crate::sqlite::ddl::mentions_ident(&t, table))
            }))
        };
        let named = ["view", "trigger"].into_iter().find_map(|kind| {
            let rest = text.split(&format!("error in {kind} ")).nth(1)?;
            let (name, why) = rest.split_once(": ")?;
            Some((kind, name.to_owned(), why.to_owned()))
        });
        let broken = |kind: &str, name: &str, why: &str| {
            Error::Rebuild(format!(
                "rebuilding table {table} would break {kind} {name} ({why}); drop or change the {kind} in the migration first, as SQLite's own ALTER TABLE requires"
            ))
        };
        match named {
            Some((kind, name, why)) if reads_table(conn, &name)? => Err(broken(kind, &name, &why)),
            Some(_) => {
                // Broken before, elsewhere: check this table's views directly.
                let views =
                    conn.query_text("SELECT name AS v FROM sqlite_master WHERE type = 'view'")?;
                for v in views.into_iter().flatten() {
                    if !reads_table(conn, &v)? {
                        continue;
                    }
                    if let Err(e) = conn.query_text(&format!(
                        "SELECT NULL AS v FROM {} LIMIT 0",
                        Dialect::Sqlite.quote_ident(&v)
                    )) {
                        return Err(broken("view", &v, &e.to_string()));
                    }
                }
                Ok(())
            }
            None => Err(e),
        }
    }

    fn check_foreign_keys(&self, conn: &mut AnyConnection, rebuilt: &[String]) -> Result<()> {
        let mut tables: Vec<String> = rebuilt.to_vec();
        for t in rebuilt {
            let referencing = conn.query_text(&format!(
                "SELECT DISTINCT m.name AS v FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
                 WHERE m.type = 'table' AND f.\"table\" = {}",
                q(t)
            ))?;
            tables.extend(referencing.into_iter().flatten());
        }
        tables.sort();
        tables.dedup();
        // A table rebuilt earlier in a run may have been dropped since.
        let existing = self.tables(conn)?;
        tables.retain(|t| existing.contains(t));
        let mut bad = Vec::new();
        for t in &tables {
            bad.extend(conn.query_text(&format!(
                "SELECT \"table\" || ' row ' || ifnull(rowid, '?') || ' -> ' || parent AS v \
                 FROM pragma_foreign_key_check({})",
                q(t)
            ))?);
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(Error::ForeignKeyViolations(
                bad.into_iter().flatten().take(10).collect(),
            ))
        }
    }

    fn after_failed_rebuild(&self, conn: &mut AnyConnection) -> Result<()> {
        // A failed RENAME may leave the pragma on for this connection.
        conn.execute("PRAGMA legacy_alter_table = OFF")
    }

    fn tables(&self, conn: &mut AnyConnection) -> Result<Vec<String>> {
        Ok(conn
            .query_text(
                "SELECT name AS v FROM sqlite_master \
                 WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
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
        for r in rows(
            conn,
            &format!(
                "SELECT name || char(31) || lower(type) || char(31) || \"notnull\" || char(31) || \
                 ifnull(dflt_value, char(30)) || char(31) || pk AS v \
                 FROM pragma_table_info({qt}) ORDER BY cid"
            ),
        )? {
            let [name, ty, notnull, default, pk] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            info.columns.push(ColumnInfo {
                name: name.clone(),
                sql_type: ty.clone(),
                // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL.
                nullable: notnull == "0" && !(pk != "0" && ty == "integer"),
                default: nullable_field(default),
            });
            if pk != "0" {
                info.constraints
                    .insert(format!("primary key column {pk}: {name}"));
            }
        }
        describe_indexes(conn, &qt, &mut info)?;
        for r in rows(
            conn,
            &format!(
                "SELECT \"table\" || char(31) || group_concat(\"from\", ', ') || char(31) || \
                 ifnull(group_concat(\"to\", ', '), '') || char(31) || on_update || char(31) || on_delete AS v \
                 FROM pragma_foreign_key_list({qt}) GROUP BY id"
            ),
        )? {
            let [rt, from, to, upd, del] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            info.constraints.insert(format!(
                "FOREIGN KEY ({from}) REFERENCES {rt} ({to}) ON UPDATE {upd} ON DELETE {del}"
            ));
        }
        let sql = Self::first_text(
            conn,
            &format!("SELECT sql AS v FROM sqlite_master WHERE type = 'table' AND name = {qt}"),
        )?;
        if let Some(sql) = sql {
            for check in crate::sqlite::ddl::checks(&sql)? {
                info.constraints.insert(check);
            }
        }
        Ok(info)
    }
}

#[cfg(feature = "introspect")]
fn describe_indexes(conn: &mut AnyConnection, qt: &str, info: &mut TableInfo) -> Result<()> {
    for r in rows(
        conn,
        &format!(
            "SELECT il.name || char(31) || il.\"unique\" || char(31) || il.origin || char(31) || \
             il.partial || char(31) || \
             ifnull((SELECT group_concat(ii.name, ', ') FROM pragma_index_info(il.name) ii), '') AS v \
             FROM pragma_index_list({qt}) il"
        ),
    )? {
        let [name, unique, origin, _partial, cols] = &r[..] else {
            return Err(super::unreadable(&r));
        };
        let sql = Sqlite::first_text(
            conn,
            &format!(
                "SELECT sql AS v FROM sqlite_master WHERE type = 'index' AND name = {}",
                q(name)
            ),
        )?;
        let predicate = sql.and_then(|s| {
            let upper = s.to_ascii_uppercase();
            upper.rfind(" WHERE ").map(|i| s[i + 7..].trim().to_owned())
        });
        let desc = format!(
            "{}{}({cols}){}",
            // Auto-named indexes of inline UNIQUE constraints differ between rebuilds.
            if origin == "c" {
                format!("{name}: ")
            } else {
                format!("[{origin}] ")
            },
            if unique == "1" { "UNIQUE " } else { "" },
            predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default()
        );
        info.indexes.insert(desc);
    }
    Ok(())
}

#[cfg(feature = "autogen")]
impl Sqlite {
    /// [`Backend::shape`] for SQLite: pragmas for keys, indexes and foreign
    /// keys, `sqlite_master` for checks, `AUTOINCREMENT` and the DDL itself.
    pub(super) fn read_shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape> {
        use crate::schema::shape::{ForeignKeyShape, IndexShape, Key, TableShape};
        let info = self.describe_table(conn, table)?;
        let qt = q(table);
        let sql = Self::first_text(
            conn,
            &format!("SELECT sql AS v FROM sqlite_master WHERE type = 'table' AND name = {qt}"),
        )?
        .unwrap_or_default();
        let ddl = crate::sqlite::ddl::parse(&sql)?;
        let mut shape = TableShape {
            name: table.to_owned(),
            columns: info.columns,
            ddl: Some(sql.clone()),
            ..TableShape::default()
        };
        let pk: Vec<String> = rows(
            conn,
            &format!("SELECT name AS v FROM pragma_table_info({qt}) WHERE pk > 0 ORDER BY pk"),
        )?
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .collect();
        // AUTOINCREMENT as a word of the key column, not in a name or string.
        let autoincrement = ddl.columns.iter().any(|c| {
            pk.len() == 1 && c.name == pk[0] && c.rest.iter().any(|t| t.word("AUTOINCREMENT"))
        });
        if autoincrement {
            shape.generated = pk.clone();
        }
        if !pk.is_empty() {
            shape.primary_key = Some(Key {
                name: None,
                columns: pk,
            });
        }
        for r in rows(
            conn,
            &format!(
                "SELECT il.name || char(31) || il.\"unique\" || char(31) || il.origin || char(31) || \
                 ifnull((SELECT group_concat(ifnull(ii.name, char(30)), char(29)) \
                 FROM pragma_index_info(il.name) ii), '') || char(31) || \
                 ifnull((SELECT sql FROM sqlite_master WHERE type = 'index' AND name = il.name), '') \
                 || char(31) || il.partial || char(31) || (SELECT count(*) FROM pragma_index_xinfo(il.name) x \
                 WHERE x.key = 1 AND (x.\"desc\" = 1 OR x.coll <> 'BINARY')) AS v \
                 FROM pragma_index_list({qt}) il"
            ),
        )? {
            let [name, unique, origin, cols, isql, partial, ordered] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            let columns: Vec<String> = cols.split('\u{1d}').map(str::to_owned).collect();
            match origin.as_str() {
                "u" => shape.uniques.push(Key {
                    name: None,
                    columns,
                }),
                "c" => {
                    // Typed: plain columns, ascending, the default collation,
                    // not partial (a predicate is kept as the database has it).
                    let plain = !columns.iter().any(|c| c == "\u{1e}") && partial == "0" && ordered == "0";
                    shape.indexes.push(IndexShape {
                        name: name.clone(),
                        columns: if plain { columns } else { Vec::new() },
                        unique: unique == "1",
                        predicate: None,
                        raw: (!plain).then(|| isql.clone()),
                    });
                }
                _ => {}
            }
        }
        for r in rows(
            conn,
            &format!(
                "SELECT \"table\" || char(31) || group_concat(\"from\", char(29)) || char(31) || \
                 group_concat(ifnull(\"to\", char(30)), char(29)) || char(31) || on_update || \
                 char(31) || on_delete AS v FROM pragma_foreign_key_list({qt}) GROUP BY id"
            ),
        )? {
            let [rt, from, to, upd, del] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            if to.contains('\u{1e}') {
                shape.untyped = Some(format!("a foreign key to {rt} names no referenced column"));
            }
            shape.foreign_keys.push(ForeignKeyShape {
                name: None,
                columns: from.split('\u{1d}').map(str::to_owned).collect(),
                ref_table: rt.clone(),
                ref_columns: to.split('\u{1d}').map(str::to_owned).collect(),
                on_update: upd.clone(),
                on_delete: del.clone(),
            });
        }
        for c in crate::sqlite::ddl::checks(&sql)? {
            let named = c
                .split_once(": ")
                .filter(|(n, _)| !n.starts_with("column "))
                .and_then(|(n, body)| {
                    let inner = body.strip_prefix("CHECK")?.trim();
                    let inner = inner.strip_prefix('(')?.strip_suffix(')')?;
                    Some((n.to_owned(), inner.trim().to_owned()))
                });
            match named {
                Some(nc) => shape.checks.push(nc),
                None => shape.untyped = Some(format!("it has a check without a name ({c})")),
            }
        }
        // What a typed table has no words for: table options (`WITHOUT
        // ROWID`, `STRICT`), generated columns, collations, conflict clauses,
        // deferrable keys, a descending key.
        const UNTYPED: [&str; 6] = [
            "GENERATED",
            "AS",
            "COLLATE",
            "CONFLICT",
            "DEFERRABLE",
            "DESC",
        ];
        if !ddl.options.is_empty() {
            shape.untyped = Some("it has table options (WITHOUT ROWID, STRICT)".into());
        }
        for c in &ddl.columns {
            if let Some(w) = UNTYPED
                .into_iter()
                .find(|w| c.rest.iter().any(|t| t.word(w)))
            {
                shape.untyped = Some(format!("column {} has {w}", c.name));
            }
        }
        for c in &ddl.constraints {
            if let Some(w) = UNTYPED
                .into_iter()
                .find(|w| c.tokens.iter().any(|t| t.word(w)))
            {
                shape.untyped = Some(format!("a table constraint has {w}"));
            }
        }
        Ok(shape)
    }
}
