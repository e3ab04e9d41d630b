//! Reading a live database's schema: tables, columns, indexes and constraints,
//! in a form that compares across runs (round-trip tests, `check`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::conn::AnyConnection;
use crate::dialect::Dialect;
use crate::Result;

/// A column as the database reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// Type as the database spells it, lower case (`integer`, `character varying(255)`, `varchar(255)`).
    pub sql_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default expression, as the database reports it.
    pub default: Option<String>,
}

/// A table as the database reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableInfo {
    /// Columns in order.
    pub columns: Vec<ColumnInfo>,
    /// Indexes, each described as `name: UNIQUE (a, b) WHERE ...`.
    pub indexes: BTreeSet<String>,
    /// Constraints (primary key, unique, foreign keys, checks), each described in one line.
    pub constraints: BTreeSet<String>,
}

impl TableInfo {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnInfo> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Every table of a database (the version table excluded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Tables by name.
    pub tables: BTreeMap<String, TableInfo>,
}

impl Schema {
    /// The table named `name`.
    pub fn table(&self, name: &str) -> Option<&TableInfo> {
        self.tables.get(name)
    }

    /// What differs from `expected`, one line each; empty when equal.
    pub fn diff(&self, expected: &Schema) -> Vec<String> {
        let mut out = Vec::new();
        for (name, exp) in &expected.tables {
            let Some(got) = self.tables.get(name) else {
                out.push(format!("table {name} is missing"));
                continue;
            };
            for c in &exp.columns {
                match got.column(&c.name) {
                    None => out.push(format!("table {name}: column {} is missing", c.name)),
                    Some(g) if g != c => out.push(format!(
                        "table {name}: column {} is {g:?}, expected {c:?}",
                        c.name
                    )),
                    _ => {}
                }
            }
            for c in &got.columns {
                if exp.column(&c.name).is_none() {
                    out.push(format!("table {name}: column {} is left over", c.name));
                }
            }
            let exp_names: Vec<&str> = exp.columns.iter().map(|c| c.name.as_str()).collect();
            let got_names: Vec<&str> = got.columns.iter().map(|c| c.name.as_str()).collect();
            if out.is_empty() && exp_names != got_names {
                out.push(format!(
                    "table {name}: columns are in order {got_names:?}, expected {exp_names:?}"
                ));
            }
            for i in exp.indexes.difference(&got.indexes) {
                out.push(format!("table {name}: index {i} is missing"));
            }
            for i in got.indexes.difference(&exp.indexes) {
                out.push(format!("table {name}: index {i} is left over"));
            }
            for c in exp.constraints.difference(&got.constraints) {
                out.push(format!("table {name}: constraint {c} is missing"));
            }
            for c in got.constraints.difference(&exp.constraints) {
                out.push(format!("table {name}: constraint {c} is left over"));
            }
        }
        for name in self.tables.keys() {
            if !expected.tables.contains_key(name) {
                out.push(format!("table {name} is left over"));
            }
        }
        out
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, t) in &self.tables {
            writeln!(f, "table {name}")?;
            for c in &t.columns {
                write!(
                    f,
                    "  {} {}{}",
                    c.name,
                    c.sql_type,
                    if c.nullable { "" } else { " NOT NULL" }
                )?;
                if let Some(d) = &c.default {
                    write!(f, " DEFAULT {d}")?;
                }
                writeln!(f)?;
            }
            for i in &t.indexes {
                writeln!(f, "  index {i}")?;
            }
            for c in &t.constraints {
                writeln!(f, "  constraint {c}")?;
            }
        }
        Ok(())
    }
}

const SEP: char = '\u{1f}';

fn rows(conn: &mut AnyConnection, sql: &str) -> Result<Vec<Vec<String>>> {
    Ok(conn
        .query_text(sql)?
        .into_iter()
        .map(|r| {
            r.unwrap_or_default()
                .split(SEP)
                .map(str::to_owned)
                .collect()
        })
        .collect())
}

/// Reads the schema of the connection's database, leaving out `version_table`.
pub fn schema(conn: &mut AnyConnection, version_table: &str) -> Result<Schema> {
    let d = conn.dialect();
    let q = |s: &str| d.quote_str(s);
    let mut schema = Schema::default();
    let tables: Vec<String> = match d {
        Dialect::Sqlite => conn.query_text("SELECT name AS v FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")?,
        Dialect::Postgres => conn.query_text("SELECT CAST(table_name AS TEXT) AS v FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")?,
        Dialect::Mysql => conn.query_text("SELECT CAST(table_name AS CHAR) AS v FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'")?,
    }
    .into_iter()
    .flatten()
    .filter(|t| t != version_table)
    .collect();
    for t in tables {
        let mut info = TableInfo::default();
        match d {
            Dialect::Sqlite => {
                for r in rows(conn, &format!("SELECT name || char(31) || lower(type) || char(31) || \"notnull\" || char(31) || ifnull(dflt_value, char(30)) || char(31) || pk AS v FROM pragma_table_info({}) ORDER BY cid", q(&t)))? {
                    let [name, ty, notnull, default, pk] = &r[..] else { continue };
                    info.columns.push(ColumnInfo {
                        name: name.clone(),
                        sql_type: ty.clone(),
                        // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL.
                        nullable: notnull == "0" && !(pk != "0" && ty == "integer"),
                        default: (default != "\u{1e}").then(|| default.clone()),
                    });
                    if pk != "0" {
                        info.constraints.insert(format!("primary key column {pk}: {name}"));
                    }
                }
                for r in rows(conn, &format!("SELECT il.name || char(31) || il.\"unique\" || char(31) || il.origin || char(31) || il.partial || char(31) || (SELECT group_concat(ii.name, ', ') FROM pragma_index_info(il.name) ii) AS v FROM pragma_index_list({}) il", q(&t)))? {
                    let [name, unique, origin, _partial, cols] = &r[..] else { continue };
                    let sql = conn.query_text(&format!("SELECT sql AS v FROM sqlite_master WHERE type = 'index' AND name = {}", q(name)))?;
                    let predicate = sql.into_iter().flatten().next().and_then(|s| {
                        let upper = s.to_ascii_uppercase();
                        upper.rfind(" WHERE ").map(|i| s[i + 7..].trim().to_owned())
                    });
                    let desc = format!(
                        "{}{}({cols}){}",
                        // Auto-named indexes of inline UNIQUE constraints differ between rebuilds.
                        if origin == "c" { format!("{name}: ") } else { format!("[{origin}] ") },
                        if unique == "1" { "UNIQUE " } else { "" },
                        predicate.map(|p| format!(" WHERE {p}")).unwrap_or_default()
                    );
                    info.indexes.insert(desc);
                }
                for r in rows(conn, &format!("SELECT \"table\" || char(31) || group_concat(\"from\", ', ') || char(31) || group_concat(\"to\", ', ') || char(31) || on_update || char(31) || on_delete AS v FROM pragma_foreign_key_list({}) GROUP BY id", q(&t)))? {
                    let [rt, from, to, upd, del] = &r[..] else { continue };
                    info.constraints.insert(format!("FOREIGN KEY ({from}) REFERENCES {rt} ({to}) ON UPDATE {upd} ON DELETE {del}"));
                }
                if let Some(sql) = conn
                    .query_text(&format!(
                        "SELECT sql AS v FROM sqlite_master WHERE type = 'table' AND name = {}",
                        q(&t)
                    ))?
                    .into_iter()
                    .flatten()
                    .next()
                {
                    for check in crate::sqlite_ddl::checks(&sql) {
                        info.constraints.insert(check);
                    }
                }
            }
            Dialect::Postgres => {
                for r in rows(conn, &format!(
                    "SELECT a.attname || chr(31) || format_type(a.atttypid, a.atttypmod) || chr(31) || CASE WHEN a.attnotnull THEN '0' ELSE '1' END || chr(31) || coalesce(pg_get_expr(ad.adbin, ad.adrelid), chr(30)) || chr(31) || CASE WHEN a.attidentity <> '' THEN 'identity' ELSE '' END AS v \
                     FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
                     WHERE a.attrelid = (quote_ident(current_schema()) || '.' || quote_ident({}))::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
                    q(&t)
                ))? {
                    let [name, ty, nullable, default, identity] = &r[..] else { continue };
                    info.columns.push(ColumnInfo {
                        name: name.clone(),
                        sql_type: if identity.is_empty() { ty.clone() } else { format!("{ty} identity") },
                        nullable: nullable == "1",
                        default: (default != "\u{1e}").then(|| default.clone()),
                    });
                }
                for r in rows(conn, &format!(
                    "SELECT i.relname || chr(31) || pg_get_indexdef(i.oid) AS v FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
                     WHERE x.indrelid = (quote_ident(current_schema()) || '.' || quote_ident({}))::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u'))",
                    q(&t)
                ))? {
                    let [name, def] = &r[..] else { continue };
                    let unique = if def.starts_with("CREATE UNIQUE") { "UNIQUE " } else { "" };
                    let def = def.split_once(" USING ").map_or(def.as_str(), |(_, rest)| rest);
                    info.indexes.insert(format!("{name}: {unique}{def}"));
                }
                for r in rows(conn, &format!(
                    "SELECT conname || chr(31) || pg_get_constraintdef(oid) AS v FROM pg_constraint \
                     WHERE conrelid = (quote_ident(current_schema()) || '.' || quote_ident({}))::regclass AND contype <> 'n'",
                    q(&t)
                ))? {
                    let [name, def] = &r[..] else { continue };
                    info.constraints.insert(format!("{name}: {def}"));
                }
            }
            Dialect::Mysql => {
                for r in rows(conn, &format!(
                    "SELECT CONCAT_WS(CHAR(31), COLUMN_NAME, COLUMN_TYPE, IF(IS_NULLABLE = 'YES', '1', '0'), IFNULL(COLUMN_DEFAULT, CHAR(30)), EXTRA) AS v \
                     FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = {} ORDER BY ORDINAL_POSITION",
                    q(&t)
                ))? {
                    let [name, ty, nullable, default, extra] = &r[..] else { continue };
                    let default = (default != "\u{1e}" && default != "NULL").then(|| default.clone());
                    info.columns.push(ColumnInfo {
                        name: name.clone(),
                        sql_type: if extra.is_empty() { ty.to_ascii_lowercase() } else { format!("{} {}", ty.to_ascii_lowercase(), extra.to_ascii_lowercase()) },
                        nullable: nullable == "1",
                        default,
                    });
                }
                for r in rows(conn, &format!(
                    "SELECT CONCAT_WS(CHAR(31), INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX SEPARATOR ', ')) AS v \
                     FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = {} GROUP BY INDEX_NAME, NON_UNIQUE",
                    q(&t)
                ))? {
                    let [name, non_unique, cols] = &r[..] else { continue };
                    if name == "PRIMARY" {
                        info.constraints.insert(format!("PRIMARY KEY ({cols})"));
                    } else {
                        info.indexes.insert(format!("{name}: {}({cols})", if non_unique == "0" { "UNIQUE " } else { "" }));
                    }
                }
                for r in rows(conn, &format!(
                    "SELECT CONCAT_WS(CHAR(31), rc.CONSTRAINT_NAME, GROUP_CONCAT(k.COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), rc.REFERENCED_TABLE_NAME, GROUP_CONCAT(k.REFERENCED_COLUMN_NAME ORDER BY k.ORDINAL_POSITION SEPARATOR ', '), rc.UPDATE_RULE, rc.DELETE_RULE) AS v \
                     FROM information_schema.referential_constraints rc JOIN information_schema.key_column_usage k \
                     ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND k.TABLE_NAME = rc.TABLE_NAME \
                     WHERE rc.CONSTRAINT_SCHEMA = DATABASE() AND rc.TABLE_NAME = {} GROUP BY rc.CONSTRAINT_NAME, rc.REFERENCED_TABLE_NAME, rc.UPDATE_RULE, rc.DELETE_RULE",
                    q(&t)
                ))? {
                    let [name, from, rt, to, upd, del] = &r[..] else { continue };
                    info.constraints.insert(format!("{name}: FOREIGN KEY ({from}) REFERENCES {rt} ({to}) ON UPDATE {upd} ON DELETE {del}"));
                }
                for r in rows(conn, &format!(
                    "SELECT CONCAT_WS(CHAR(31), CONSTRAINT_NAME, CHECK_CLAUSE) AS v FROM information_schema.check_constraints WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = {}",
                    q(&t)
                ))? {
                    let [name, clause] = &r[..] else { continue };
                    info.constraints.insert(format!("{name}: CHECK ({clause})"));
                }
            }
        }
        schema.tables.insert(t, info);
    }
    Ok(schema)
}
