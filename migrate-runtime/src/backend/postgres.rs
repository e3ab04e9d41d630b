//! PostgreSQL: a session advisory lock as the run lock, transactional DDL, and
//! the schema read from the catalogs of the current schema.

use super::{lock_key, lock_row, Backend, Capabilities, Object, RunLock, TryLock};
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

/// Takes the lock row (a connection through a pooler), then gives it back
/// if a direct run holds the advisory lock: that run goes first.
fn take_row(conn: &mut AnyConnection, version_table: &str, keys: Keys) -> Result<TryLock> {
    lock_row::create(conn, &Postgres, version_table)?;
    let holder = lock_row::holder(None);
    let Some(took) = lock_row::insert(conn, Dialect::Postgres, version_table, &holder, None)?
    else {
        return Ok(TryLock::Busy(format!(
            "the lock row in {} (a connection through a pooler)",
            lock_row::table(version_table)
        )));
    };
    let direct = conn.query_text(&format!(
        "SELECT CAST(count(*) AS TEXT) AS v FROM pg_locks WHERE {} AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        keys.held("")
    ))?;
    if direct.first().and_then(|v| v.as_deref()) != Some("0") {
        lock_row::release(conn, Dialect::Postgres, version_table, &holder)?;
        return Ok(TryLock::Busy(keys.name()));
    }
    Ok(TryLock::Taken(
        RunLock::Row {
            holder,
            restore: None,
        },
        took.over,
    ))
}

/// The advisory lock keys of `version_table`. A session whose schema was
/// chosen with `use_schema` (a fleet's tenant) takes the key of that schema
/// only, so that tenants of one database do not wait for each other. Every
/// other session takes the key every earlier version took, whatever its
/// search_path, so that a rolling deploy's old and new replicas still exclude
/// each other; and, when its current schema is not `public` (a search_path
/// set by its URL or role), that schema's key too, so that it excludes a
/// fleet's run on the same schema.
fn schema_keys(conn: &mut AnyConnection, version_table: &str) -> Result<Keys> {
    let row = conn
        .query_text(
            "SELECT coalesce(current_setting('migrate.schema', true), '') || chr(31) || \
             coalesce(current_schema(), '') AS v",
        )?
        .into_iter()
        .flatten()
        .next()
        .unwrap_or_default();
    let (chosen, current) = row.split_once('\u{1f}').unwrap_or((row.as_str(), ""));
    let of = |schema: &str| lock_key(&format!("{schema}.{version_table}"));
    Ok(match chosen {
        // Not chosen: the old key, and this schema's.
        "" => Keys {
            main: lock_key(version_table),
            schema: (!current.is_empty() && current != "public").then(|| of(current)),
        },
        // `schema=public` is the schema every ordinary run migrates: its key.
        "public" => Keys {
            main: lock_key(version_table),
            schema: None,
        },
        s => Keys {
            main: of(s),
            schema: None,
        },
    })
}

/// The statement that releases the advisory locks on `keys`.
fn unlock_sql(keys: impl IntoIterator<Item = i64>) -> String {
    let calls: Vec<String> = keys
        .into_iter()
        .map(|k| format!("pg_advisory_unlock({k})"))
        .collect();
    format!("SELECT {}", calls.join(", "))
}

/// The advisory lock keys a session takes (see [`schema_keys`]).
#[derive(Debug, Clone, Copy)]
struct Keys {
    main: i64,
    schema: Option<i64>,
}

impl Keys {
    fn all(self) -> impl Iterator<Item = i64> {
        std::iter::once(self.main).chain(self.schema)
    }

    /// An expression that takes every key, or none (it gives back the first
    /// when the second is busy): true when taken.
    fn try_sql(self) -> String {
        match self.schema {
            None => format!("pg_try_advisory_lock({})", self.main),
            Some(k) => format!(
                "CASE WHEN pg_try_advisory_lock({m}) THEN \
                 CASE WHEN pg_try_advisory_lock({k}) THEN true ELSE NOT pg_advisory_unlock({m}) END \
                 ELSE false END",
                m = self.main
            ),
        }
    }

    /// The statement that releases them.
    fn unlock_sql(self) -> String {
        unlock_sql(self.all())
    }

    /// The pg_locks condition of any of them held (`alias` as in [`advisory`]).
    fn held(self, alias: &str) -> String {
        let any: Vec<String> = self
            .all()
            .map(|k| format!("({})", advisory(k, alias)))
            .collect();
        format!("({})", any.join(" OR "))
    }

    /// How messages name the lock.
    fn name(self) -> String {
        match self.schema {
            None => format!("the advisory lock {}", self.main),
            Some(k) => format!("the advisory locks {} and {k}", self.main),
        }
    }
}

/// Whether the connection goes through a proxy or pooler (see `proxy.rs`);
/// `MIGRATE_PG_LOCK=row` (or `advisory`) decides where detection cannot: a
/// pooler that reaches the server over a Unix socket, a system without /proc.
fn proxied(conn: &mut AnyConnection) -> Result<bool> {
    Ok(match std::env::var("MIGRATE_PG_LOCK").ok().as_deref() {
        Some("row") => true,
        Some("advisory") => false,
        _ => {
            let port = conn.query_text("SELECT CAST(inet_client_port() AS TEXT) AS v")?;
            match port.into_iter().flatten().next() {
                // A Unix socket: taken as direct (see MIGRATE_PG_LOCK).
                None => false,
                Some(p) => p
                    .parse::<u16>()
                    .ok()
                    .and_then(super::proxy::client_port_is_ours)
                    .is_some_and(|ours| !ours),
            }
        }
    })
}

/// The pg_locks condition of a session advisory lock on a 64-bit key: its
/// high half is `classid`, its low half `objid`, and `objsubid` is 1.
/// `alias` qualifies the columns (`l.` or nothing).
fn advisory(key: i64, alias: &str) -> String {
    format!(
        "{alias}locktype = 'advisory' AND {alias}objsubid = 1 \
         AND {alias}classid = CAST({} AS oid) AND {alias}objid = CAST({} AS oid)",
        (key as u64) >> 32,
        (key as u64) & 0xffff_ffff
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
            session_locks: true,
            one_ddl_per_transaction: false,
        }
    }

    fn table_exists_query(&self, table: &str) -> String {
        format!(
            "SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = {}",
            q(table)
        )
    }

    fn exists(&self, conn: &mut AnyConnection, object: Object<'_>) -> Result<Option<bool>> {
        let sql = match object {
            Object::Table(t) => return self.table_exists(conn, t).map(Some),
            Object::Column { table, column } => format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = {} AND column_name = {}",
                q(table),
                q(column)
            ),
            // Index names are unique in a schema: the table is not needed. An
            // index that a cut-short CREATE INDEX CONCURRENTLY left invalid is
            // not one: the operation runs again (and fails, naming it).
            Object::Index { name, .. } => format!(
                "SELECT CAST(COUNT(*) AS TEXT) AS v FROM pg_catalog.pg_index i \
                 JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND c.relname = {} \
                 AND i.indisvalid AND i.indisready",
                q(name)
            ),
            Object::Constraint { table, .. } | Object::PrimaryKey(table) => {
                let which = match object {
                    Object::Constraint { name, .. } => format!("constraint_name = {}", q(name)),
                    _ => "constraint_type = 'PRIMARY KEY'".to_owned(),
                };
                format!(
                    "SELECT CAST(COUNT(*) AS TEXT) AS v FROM information_schema.table_constraints \
                     WHERE constraint_schema = current_schema() AND table_name = {} AND {which}",
                    q(table)
                )
            }
        };
        Ok(Some(super::count_of(conn, &sql)? > 0))
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

    /// A session advisory lock, over a direct connection. Through a proxy or
    /// pooler (the server sees the client at a port that is not this
    /// process's: see `proxy.rs`), a row in `<version table>_lock` with a
    /// lease instead, which holds whichever server session runs the
    /// statements.
    fn try_lock(&self, conn: &mut AnyConnection, version_table: &str) -> Result<TryLock> {
        let keys = schema_keys(conn, version_table)?;
        let proxied = proxied(conn)?;
        if proxied {
            return take_row(conn, version_table, keys);
        }
        // With whether a lock table exists: runs through a pooler use it, and
        // a direct run must not start while one of them holds it.
        let got = conn.query_text(&format!(
            "SELECT CAST({} AS TEXT) || ':' || \
             CAST(to_regclass(quote_ident(current_schema()) || '.' || quote_ident({})) IS NOT NULL AS TEXT) AS v",
            keys.try_sql(),
            q(&lock_row::table(version_table))
        ))?;
        let text = got.into_iter().flatten().next().unwrap_or_default();
        if !text.starts_with("true:") {
            return Ok(TryLock::Busy(keys.name()));
        }
        if text == "true:true" {
            // An expired row goes (its run, if alive, finds it gone at its next
            // renewal and stops); a live one means a pooled run holds the lock.
            let live = lock_row::held_by_anyone(conn, Dialect::Postgres, version_table);
            let busy = match live {
                Ok(held) => held,
                // The advisory lock is never left held on a failed check.
                Err(e) => {
                    return Err(match conn.execute(&keys.unlock_sql()) {
                        Ok(()) => e,
                        Err(c) => Error::cleanup(e, c),
                    })
                }
            };
            if busy {
                conn.execute(&keys.unlock_sql())?;
                return Ok(TryLock::Busy(format!(
                    "the lock row in {} (a run through a pooler)",
                    lock_row::table(version_table)
                )));
            }
        }
        Ok(TryLock::Taken(
            RunLock::Advisory(keys.all().collect()),
            None,
        ))
    }

    /// `SET search_path` for the session, checked: PostgreSQL accepts a
    /// schema that does not exist and then has no current schema at all.
    /// Refused through a pooler, where the next transaction may run on a
    /// server session that never saw the SET.
    fn use_schema(&self, conn: &mut AnyConnection, schema: &str) -> Result<()> {
        if proxied(conn)? {
            return Err(Error::Schema(format!(
                "schema `{schema}` through a pooler: a transaction pooler runs each transaction on any server session, where this session's search_path does not hold; connect to the server directly for schema-per-tenant targets"
            )));
        }
        // `migrate.schema` marks the session for schema_keys: a custom
        // setting, on the server, for as long as the session lives.
        conn.execute(&format!(
            "SET search_path TO {}; SET migrate.schema = {}",
            Dialect::Postgres.quote_ident(schema),
            q(schema)
        ))?;
        let current = conn
            .query_text("SELECT CAST(current_schema() AS TEXT) AS v")?
            .into_iter()
            .flatten()
            .next();
        if current.as_deref() != Some(schema) {
            return Err(Error::Schema(format!(
                "schema `{schema}` does not exist in this database: create it first (CREATE SCHEMA)"
            )));
        }
        Ok(())
    }

    fn lock_wait_setting(&self, conn: &mut AnyConnection) -> Result<Option<String>> {
        Ok(conn
            .query_text("SELECT current_setting('lock_timeout') AS v")?
            .into_iter()
            .flatten()
            .next())
    }

    fn set_lock_wait(
        &self,
        conn: &mut AnyConnection,
        timeout: Option<std::time::Duration>,
        local: bool,
    ) -> Result<()> {
        let scope = if local { "LOCAL " } else { "" };
        conn.execute(&match timeout {
            Some(t) => format!("SET {scope}lock_timeout = '{}ms'", t.as_millis().max(1)),
            None => format!("SET {scope}lock_timeout = DEFAULT"),
        })
    }

    fn set_statement_timeout(
        &self,
        conn: &mut AnyConnection,
        timeout: Option<std::time::Duration>,
    ) -> Result<()> {
        conn.execute(&match timeout {
            Some(t) => format!("SET LOCAL statement_timeout = '{}ms'", t.as_millis().max(1)),
            None => "SET LOCAL statement_timeout = DEFAULT".to_owned(),
        })
    }

    fn restore_lock_wait(&self, conn: &mut AnyConnection, saved: &str) -> Result<()> {
        conn.execute(&format!("SET lock_timeout = {}", q(saved)))
    }

    fn is_lock_timeout(&self, e: &Error) -> bool {
        // SQLSTATE 55P03; diesel passes on the message, not the code.
        let mut cur = Some(e);
        while let Some(err) = cur {
            if let Error::Database(d) = err {
                return d
                    .to_string()
                    .contains("canceling statement due to lock timeout");
            }
            cur = match err {
                Error::MigrationFailed { source, .. } => Some(source),
                Error::Cleanup { source, .. } => Some(source),
                _ => None,
            };
        }
        false
    }

    fn lock_blockers(&self, conn: &mut AnyConnection, table: &str) -> Result<Option<String>> {
        Ok(conn
            .query_text(&format!(
                "SELECT string_agg(DISTINCT 'pid ' || a.pid \
                 || coalesce(' (' || nullif(a.application_name, '') || ')', '') \
                 || coalesce(', ' || a.state, '') \
                 || coalesce(', transaction open since ' || to_char(a.xact_start AT TIME ZONE 'UTC', 'HH24:MI:SS') || ' UTC', '') \
                 || ', ' || l.mode || ': ' || left(coalesce(a.query, ''), 60), '; ') AS v \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.relation = to_regclass(quote_ident(current_schema()) || '.' || quote_ident({})) \
                 AND l.granted AND l.pid <> pg_backend_pid()",
                q(table)
            ))?
            .into_iter()
            .flatten()
            .next())
    }

    fn lock_holder(&self, conn: &mut AnyConnection, version_table: &str) -> Result<Option<String>> {
        if let Some(h) = lock_row::holder_of(conn, self, version_table)? {
            return Ok(Some(h));
        }
        let keys = schema_keys(conn, version_table)?;
        Ok(conn
            .query_text(&format!(
                "SELECT 'pid ' || a.pid \
                 || coalesce(', application ' || quote_literal(nullif(a.application_name, '')), '') \
                 || coalesce(', user ' || a.usename, '') \
                 || coalesce(', from ' || host(a.client_addr), ', local') \
                 || coalesce(', ' || a.state, '') \
                 || coalesce(' since ' || to_char(a.state_change AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC', '') AS v \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE {} AND l.granted \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
                keys.held("l.")
            ))?
            .into_iter()
            .flatten()
            .next())
    }

    fn unlock(&self, conn: &mut AnyConnection, version_table: &str, lock: RunLock) -> Result<()> {
        match lock {
            RunLock::Row { holder, .. } => {
                lock_row::release(conn, Dialect::Postgres, version_table, &holder)
            }
            RunLock::Advisory(keys) => conn.execute(&unlock_sql(keys)),
            // try_lock takes nothing else here.
            RunLock::Session | RunLock::File { .. } | RunLock::PerStep(_) => Ok(()),
        }
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
                return Err(super::unreadable(&r));
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
            let [name, def] = &r[..] else {
                return Err(super::unreadable(&r));
            };
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
            let [name, def] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            info.constraints.insert(format!("{name}: {def}"));
        }
        Ok(info)
    }
}

/// A name as PostgreSQL prints it in a definition: bare when it is plain
/// lower case. A keyword is printed quoted there; the definitions then
/// differ and the baseline keeps the database's own, which is still exact.
#[cfg(feature = "autogen")]
fn printed(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_owned()
    } else {
        Dialect::Postgres.quote_ident(name)
    }
}

#[cfg(feature = "autogen")]
fn printed_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| printed(n))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(feature = "autogen")]
fn fk_action(code: &str) -> &'static str {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
}

#[cfg(feature = "autogen")]
impl Postgres {
    /// [`Backend::shape`] for PostgreSQL. Each key, constraint and index is
    /// taken apart from the catalog, then put together again the way our
    /// rendering would write it: only when that equals what PostgreSQL
    /// prints (`pg_get_constraintdef`, `pg_get_indexdef`) is it typed;
    /// otherwise the database's own definition is kept.
    pub(super) fn read_shape(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<crate::schema::shape::TableShape> {
        use crate::schema::shape::{ForeignKeyShape, IndexShape, Key, RawConstraint, TableShape};
        let info = self.describe_table(conn, table)?;
        let rc = regclass(table);
        let mut shape = TableShape {
            name: table.to_owned(),
            generated: info
                .columns
                .iter()
                .filter(|c| c.sql_type.ends_with(" identity"))
                .map(|c| c.name.clone())
                .collect(),
            columns: info.columns,
            ..TableShape::default()
        };
        // What the catalog's description leaves out: ALWAYS identities,
        // stored generated columns, collations other than the type's, and
        // types of the user's (enums are recreated; other kinds cannot be).
        for r in rows(
            conn,
            &format!(
                "SELECT a.attname || chr(31) || a.attidentity::text || chr(31) || a.attgenerated::text || chr(31) || \
                 CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation \
                 THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co \
                 JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = a.attcollation) ELSE '' END || chr(31) || \
                 CASE WHEN tn.nspname IN ('pg_catalog', 'information_schema') THEN '' ELSE t.typtype::text END || chr(31) || \
                 format_type(a.atttypid, NULL) || chr(31) || \
                 coalesce((SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) \
                 FROM pg_enum e WHERE e.enumtypid = t.oid), '') AS v \
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
                 JOIN pg_namespace tn ON tn.oid = t.typnamespace \
                 WHERE a.attrelid = {rc} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
            ),
        )? {
            let [name, identity, generated, collation, kind, type_name, labels] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            if identity == "a" {
                shape.always_identity.push(name.clone());
                shape.untyped = Some(format!("column {name} is GENERATED ALWAYS AS IDENTITY"));
            }
            if generated == "s" {
                let expr = shape
                    .columns
                    .iter()
                    .find(|c| &c.name == name)
                    .and_then(|c| c.default.clone())
                    .unwrap_or_default();
                shape.generated_as.push((name.clone(), expr));
                shape.untyped = Some(format!("column {name} is generated"));
            }
            if !collation.is_empty() {
                shape.collations.push((name.clone(), collation.clone()));
                shape.untyped = Some(format!("column {name} has the collation {collation}"));
            }
            match kind.as_str() {
                "" => {}
                "e" => {
                    if !shape.types.iter().any(|(n, _)| n == type_name) {
                        shape.types.push((
                            type_name.clone(),
                            format!("CREATE TYPE {type_name} AS ENUM ({labels})"),
                        ));
                    }
                }
                // The element type of an array of enums is the enum's.
                _ => {
                    return Err(Error::Usage(format!(
                        "column {table}.{name} has the type {type_name}, a domain, composite, range or array type of the database's own: a baseline cannot recreate it (create the type with op.execute in the migration, or write the baseline by hand)"
                    )))
                }
            }
        }
        let names = |key: &str, rel: &str| {
            format!(
                "coalesce((SELECT string_agg(a.attname, chr(29) ORDER BY k.n) \
                 FROM unnest({key}) WITH ORDINALITY AS k(num, n) \
                 JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.num), '')"
            )
        };
        for r in rows(
            conn,
            &format!(
                "SELECT c.conname || chr(31) || c.contype::text || chr(31) || pg_get_constraintdef(c.oid) \
                 || chr(31) || {} || chr(31) || coalesce((SELECT r.relname FROM pg_class r \
                 WHERE r.oid = c.confrelid AND r.relnamespace = c.connamespace), chr(30)) \
                 || chr(31) || {} || chr(31) || c.confupdtype::text || chr(31) || c.confdeltype::text AS v \
                 FROM pg_constraint c WHERE c.conrelid = {rc} AND c.contype IN ('p', 'u', 'f', 'c', 'x') \
                 ORDER BY c.conname",
                names("c.conkey", "c.conrelid"),
                names("c.confkey", "c.confrelid"),
            ),
        )? {
            let [name, kind, def, cols, rt, rcols, upd, del] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            let split = |s: &str| -> Vec<String> {
                s.split('\u{1d}')
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            };
            let columns = split(cols);
            let typed = match kind.as_str() {
                "p" if *def == format!("PRIMARY KEY ({})", printed_list(&columns)) => {
                    shape.primary_key = Some(Key {
                        name: Some(name.clone()),
                        columns,
                    });
                    true
                }
                "u" if *def == format!("UNIQUE ({})", printed_list(&columns)) => {
                    shape.uniques.push(Key {
                        name: Some(name.clone()),
                        columns,
                    });
                    true
                }
                "f" if rt != "\u{1e}" => {
                    let fk = ForeignKeyShape {
                        name: Some(name.clone()),
                        ref_table: rt.clone(),
                        ref_columns: split(rcols),
                        on_update: fk_action(upd).to_owned(),
                        on_delete: fk_action(del).to_owned(),
                        columns,
                    };
                    let mut expected = format!(
                        "FOREIGN KEY ({}) REFERENCES {}({})",
                        printed_list(&fk.columns),
                        printed(&fk.ref_table),
                        printed_list(&fk.ref_columns)
                    );
                    for (word, a) in [("UPDATE", &fk.on_update), ("DELETE", &fk.on_delete)] {
                        if a != "NO ACTION" {
                            expected.push_str(&format!(" ON {word} {a}"));
                        }
                    }
                    let same = *def == expected;
                    if same {
                        shape.foreign_keys.push(fk);
                    }
                    same
                }
                "c" => match def
                    .strip_prefix("CHECK (")
                    .and_then(|d| d.strip_suffix(')'))
                    .filter(|inner| !inner.contains("NO INHERIT") && !def.ends_with("NOT VALID"))
                {
                    Some(inner) => {
                        shape.checks.push((name.clone(), inner.to_owned()));
                        true
                    }
                    None => false,
                },
                _ => false,
            };
            if !typed {
                shape.raw_constraints.push(RawConstraint {
                    name: name.clone(),
                    definition: def.clone(),
                });
            }
        }
        for r in rows(
            conn,
            &format!(
                "SELECT i.relname || chr(31) || pg_get_indexdef(i.oid) || chr(31) || \
                 CASE WHEN x.indisunique THEN '1' ELSE '0' END || chr(31) || am.amname || chr(31) || \
                 CASE WHEN x.indnkeyatts = x.indnatts THEN '1' ELSE '0' END || chr(31) || \
                 coalesce((SELECT string_agg(coalesce(a.attname, chr(30)), chr(29) ORDER BY k.n) \
                 FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(num, n) \
                 LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.num), '') || chr(31) || \
                 coalesce(pg_get_expr(x.indpred, x.indrelid), chr(30)) || chr(31) || \
                 quote_ident(current_schema()) AS v \
                 FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_am am ON am.oid = i.relam \
                 WHERE x.indrelid = {rc} AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                 WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')) \
                 ORDER BY i.relname"
            ),
        )? {
            let [name, def, unique, method, no_include, cols, pred, schema] = &r[..] else {
                return Err(super::unreadable(&r));
            };
            let columns: Vec<String> = cols.split('\u{1d}').map(str::to_owned).collect();
            let predicate = nullable_field(pred);
            let mut expected = format!(
                "CREATE {}INDEX {} ON {schema}.{} USING btree ({})",
                if unique == "1" { "UNIQUE " } else { "" },
                printed(name),
                printed(table),
                printed_list(&columns)
            );
            if let Some(p) = &predicate {
                expected.push_str(&format!(" WHERE {p}"));
            }
            let typed = *def == expected && method == "btree" && no_include == "1";
            shape.indexes.push(IndexShape {
                name: name.clone(),
                columns: if typed { columns } else { Vec::new() },
                unique: unique == "1",
                predicate,
                // The table of the copy is wherever the migration runs.
                raw: (!typed).then(|| def.replacen(&format!(" ON {schema}."), " ON ", 1)),
            });
        }
        Ok(shape)
    }
}
