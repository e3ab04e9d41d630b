//! A baseline from a live database (`revision --from-database`): one migration
//! whose upgrade recreates every table of the database, and whose downgrade
//! drops them.
//!
//! Typed operations wherever they recreate the table exactly: a column whose
//! type our rendering reads back as the database spells it, defaults as the
//! database prints them (`server_default`), keys, unique and check
//! constraints, foreign keys with their actions, plain and partial indexes.
//! Where they would not (a type with no typed column, a PostgreSQL `SERIAL`,
//! an expression index, a MySQL prefix index, a SQLite `WITHOUT ROWID`
//! table...), the table or the index is recreated from the DDL the database
//! reports, with a comment saying why: exact first, typed where possible.
//!
//! The order: referenced tables first. On PostgreSQL and MySQL the foreign
//! keys come after every table and index (cycles need it, and MySQL makes an
//! index of its own for a key that finds none), on SQLite inside `CREATE
//! TABLE` (it cannot add one later, and does not check the referenced table
//! exists when creating).

use std::collections::BTreeSet;

use crate::autogen::code::{comment, list, lit};
use crate::autogen::diff::Changes;
use crate::autogen::types::{db_kind, live_type, precision, reported, type_code};
use crate::dialect::Dialect;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::schema::live::ColumnInfo;
use crate::schema::shape::{ForeignKeyShape, RawConstraint, TableShape};

/// The baseline migration for `tables` (every table of a database, as
/// `Backend::shape` reads them), as upgrade and downgrade statements.
pub(crate) fn baseline(d: Dialect, tables: &[TableShape]) -> Changes {
    let mut ch = Changes::default();
    let order = creation_order(tables);
    let mut deferred: Vec<(&TableShape, &ForeignKeyShape)> = Vec::new();
    // PostgreSQL enum types, before the tables that use them.
    let mut types: Vec<&(String, String)> = Vec::new();
    for t in tables {
        for ty in &t.types {
            if !types.iter().any(|(n, _)| *n == ty.0) {
                types.push(ty);
            }
        }
    }
    for (_, ddl) in &types {
        ch.upgrade.push(format!("op.execute({});", lit(ddl)));
    }
    for &i in &order {
        let t = &tables[i];
        let typed = if t.untyped.is_some() {
            Err(t.untyped.clone().unwrap_or_default())
        } else {
            typed_table(d, t)
        };
        match typed {
            Ok(code) => {
                ch.upgrade.push(code);
                if d != Dialect::Sqlite {
                    deferred.extend(t.foreign_keys.iter().map(|fk| (t, fk)));
                }
                ch.upgrade.extend(after_create(d, t));
            }
            Err(why) => {
                ch.upgrade.extend(untyped_table(d, t, &why));
                if d != Dialect::Sqlite {
                    deferred.extend(t.foreign_keys.iter().map(|fk| (t, fk)));
                }
                if d == Dialect::Postgres {
                    ch.upgrade.extend(separate_constraints(d, t));
                }
            }
        }
        if !(t.untyped.is_some() && d == Dialect::Mysql) {
            ch.upgrade.extend(indexes(d, t));
        }
        ch.summary.push(format!("recreate table {}", t.name));
    }
    for (t, fk) in &deferred {
        let name = fk
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_{}_fkey", t.name, fk.columns.join("_")));
        let mut code = format!(
            "op.create_foreign_key({}, {}, {}, {}, {})",
            lit(&name),
            lit(&t.name),
            lit(&fk.ref_table),
            list(&fk.columns),
            list(&fk.ref_columns)
        );
        code.push_str(&actions(d, fk));
        code.push(';');
        ch.upgrade.push(code);
        ch.downgrade.push(format!(
            "op.drop_constraint({}, {}, ConstraintKind::ForeignKey);",
            lit(&name),
            lit(&t.name)
        ));
    }
    // Foreign keys the database's definition keeps (`DEFERRABLE`, `MATCH
    // FULL`) come last too, for the same reasons.
    for &i in &order {
        let t = &tables[i];
        for c in t.raw_constraints.iter().filter(|c| is_foreign_key(c)) {
            ch.upgrade.push(raw_constraint(d, t, c));
            ch.downgrade.push(format!(
                "op.drop_constraint({}, {}, ConstraintKind::ForeignKey);",
                lit(&c.name),
                lit(&t.name)
            ));
        }
    }
    for &i in order.iter().rev() {
        ch.downgrade
            .push(format!("op.drop_table({});", lit(&tables[i].name)));
    }
    for (name, _) in types.iter().rev() {
        ch.downgrade.push(format!(
            "op.execute({});",
            lit(&format!("DROP TYPE {name}"))
        ));
    }
    ch
}

/// Tables in an order where each comes after the tables it references
/// (its own name aside); tables in a cycle keep the order of their names.
fn creation_order(tables: &[TableShape]) -> Vec<usize> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::new();
    let mut left: Vec<usize> = (0..tables.len()).collect();
    left.sort_by(|&a, &b| tables[a].name.cmp(&tables[b].name));
    while !left.is_empty() {
        let ready = left.iter().position(|&i| {
            tables[i].foreign_keys.iter().all(|fk| {
                fk.ref_table == tables[i].name
                    || done.contains(fk.ref_table.as_str())
                    || !tables.iter().any(|t| t.name == fk.ref_table)
            })
        });
        // A cycle: take the first by name, its keys come later anyway.
        let at = ready.unwrap_or(0);
        let i = left.remove(at);
        done.insert(tables[i].name.as_str());
        order.push(i);
    }
    order
}

fn action_code(a: &str) -> Option<&'static str> {
    Some(match a.to_ascii_uppercase().as_str() {
        "CASCADE" => "Action::Cascade",
        "SET NULL" => "Action::SetNull",
        "SET DEFAULT" => "Action::SetDefault",
        "RESTRICT" => "Action::Restrict",
        "NO ACTION" => "Action::NoAction",
        _ => return None,
    })
}

/// `.on_delete(..).on_update(..)`: every action on MySQL, where leaving it
/// out means `RESTRICT`; elsewhere all but the default `NO ACTION`.
fn actions(d: Dialect, fk: &ForeignKeyShape) -> String {
    let mut s = String::new();
    for (method, a) in [("on_delete", &fk.on_delete), ("on_update", &fk.on_update)] {
        if d != Dialect::Mysql && a.eq_ignore_ascii_case("NO ACTION") {
            continue;
        }
        if let Some(code) = action_code(a) {
            s.push_str(&format!(".{method}({code})"));
        }
    }
    s
}

/// Whether the primary key is written on the table itself by our rendering
/// (unnamed, or with the name PostgreSQL would give it).
fn default_pk_name(d: Dialect, t: &TableShape) -> bool {
    match t.primary_key.as_ref().and_then(|k| k.name.as_deref()) {
        Some(n) => d != Dialect::Postgres || n == format!("{}_pkey", t.name),
        None => true,
    }
}

/// The check MariaDB adds to a JSON column (stored as `longtext`).
fn is_json_check(t: &TableShape, column: &str) -> bool {
    t.checks
        .iter()
        .any(|(n, e)| n == column && e == &format!("json_valid(`{column}`)"))
}

/// `col::<T>("name")...` for one column, or why no typed column recreates it.
fn column_code(d: Dialect, t: &TableShape, c: &ColumnInfo) -> Result<String, String> {
    let generated = t.generated.iter().any(|g| g == &c.name);
    let pk_cols = t
        .primary_key
        .as_ref()
        .map(|k| k.columns.as_slice())
        .unwrap_or(&[]);
    let single_pk = pk_cols.len() == 1 && pk_cols[0] == c.name && default_pk_name(d, t);
    let live = live_type(d, c);
    if d == Dialect::Mysql
        && [
            " unsigned",
            " zerofill",
            " on update",
            " virtual",
            " stored",
            " invisible",
            " default_generated",
        ]
        .iter()
        .any(|w| live.contains(w))
    {
        return Err(format!("column {} is {live}", c.name));
    }
    let probe = ColumnInfo {
        sql_type: live.clone(),
        ..c.clone()
    };
    let (kind, length) = db_kind(d, &probe);
    let kind = match kind {
        Some(ColumnKind::Text)
            if d == Dialect::Mysql && live == "longtext" && is_json_check(t, &c.name) =>
        {
            ColumnKind::Json
        }
        Some(k) => k,
        None => {
            return Err(format!(
                "column {} has type {live}, which no typed column is",
                c.name
            ))
        }
    };
    let ty = ColumnType {
        kind,
        length,
        precision: if kind == ColumnKind::Numeric {
            precision(&live)
        } else {
            None
        },
    };
    if !reported(d, &ty, generated && single_pk).contains(&live) {
        return Err(format!(
            "column {} has type {live}, which no typed column renders exactly",
            c.name
        ));
    }
    if let Some(def) = &c.default {
        if def.starts_with("nextval(") {
            return Err(format!("column {} is a SERIAL ({def})", c.name));
        }
    }
    let ty_name = type_code(kind, length);
    let ty_name = if c.nullable && !single_pk {
        format!("Nullable<{ty_name}>")
    } else {
        ty_name
    };
    let mut code = format!("col::<{ty_name}>({})", lit(&c.name));
    if let Some(n) = ty.length {
        code.push_str(&format!(".length({n})"));
    }
    if let Some((p, s)) = ty.precision {
        code.push_str(&format!(".precision({p}, {s})"));
    }
    if single_pk {
        code.push_str(".primary_key()");
        if c.nullable {
            // SQLite lets a primary key that is not an INTEGER hold NULL.
            code.push_str(".nullable()");
        }
    }
    if generated {
        code.push_str(".autoincrement()");
    }
    if let Some(def) = &c.default {
        code.push_str(&format!(".server_default({})", lit(def)));
    }
    Ok(code)
}

/// `op.create_table(..)` with typed columns and the table's own constraints,
/// or why it cannot be typed.
fn typed_table(d: Dialect, t: &TableShape) -> Result<String, String> {
    let mut code = format!("op.create_table({})", lit(&t.name));
    for c in &t.columns {
        code.push_str(&format!("\n        .column({})", column_code(d, t, c)?));
    }
    if let Some(pk) = &t.primary_key {
        if pk.columns.len() > 1 && default_pk_name(d, t) {
            code.push_str(&format!("\n        .primary_key({})", list(&pk.columns)));
        }
    }
    for (i, u) in t.uniques.iter().enumerate() {
        // SQLite keeps no names of unique constraints: any name recreates it.
        let name = u
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_uq_{}", t.name, i + 1));
        code.push_str(&format!(
            "\n        .unique({}, {})",
            lit(&name),
            list(&u.columns)
        ));
    }
    for (name, expr) in &t.checks {
        if d == Dialect::Mysql && is_json_check(t, name) {
            continue;
        }
        code.push_str(&format!("\n        .check({}, {})", lit(name), lit(expr)));
    }
    if d == Dialect::Sqlite {
        for fk in &t.foreign_keys {
            let mut f = format!(
                "ForeignKey::new({}, {}, {})",
                list(&fk.columns),
                lit(&fk.ref_table),
                list(&fk.ref_columns)
            );
            if let Some(n) = &fk.name {
                f.push_str(&format!(".name({})", lit(n)));
            }
            f.push_str(&actions(d, fk));
            code.push_str(&format!("\n        .foreign_key({f})"));
        }
    }
    code.push(';');
    Ok(code)
}

/// What a typed table needs after `create_table`: a primary key with a name
/// of its own, constraints kept as the database prints them.
fn after_create(d: Dialect, t: &TableShape) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pk) = &t.primary_key {
        if !default_pk_name(d, t) {
            out.push(format!(
                "op.create_primary_key({}, {}, {});",
                lit(pk.name.as_deref().unwrap_or_default()),
                lit(&t.name),
                list(&pk.columns)
            ));
        }
    }
    out.extend(raw_constraints(d, t));
    out
}

fn is_foreign_key(c: &RawConstraint) -> bool {
    c.definition.starts_with("FOREIGN KEY")
}

/// The constraints kept as the database prints them, foreign keys aside.
fn raw_constraints(d: Dialect, t: &TableShape) -> Vec<String> {
    t.raw_constraints
        .iter()
        .filter(|c| !is_foreign_key(c))
        .map(|c| raw_constraint(d, t, c))
        .collect()
}

fn raw_constraint(d: Dialect, t: &TableShape, c: &RawConstraint) -> String {
    format!(
        "op.execute({});",
        lit(&format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            d.quote_ident(&t.name),
            d.quote_ident(&c.name),
            c.definition
        ))
    )
}

/// A PostgreSQL table recreated from its columns: its keys and constraints
/// as operations of their own.
fn separate_constraints(d: Dialect, t: &TableShape) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(pk) = &t.primary_key {
        let name = pk
            .name
            .clone()
            .unwrap_or_else(|| format!("{}_pkey", t.name));
        out.push(format!(
            "op.create_primary_key({}, {}, {});",
            lit(&name),
            lit(&t.name),
            list(&pk.columns)
        ));
    }
    for u in &t.uniques {
        let name = u.name.clone().unwrap_or_default();
        out.push(format!(
            "op.create_unique_constraint({}, {}, {});",
            lit(&name),
            lit(&t.name),
            list(&u.columns)
        ));
    }
    for (name, expr) in &t.checks {
        out.push(format!(
            "op.create_check_constraint({}, {}, {});",
            lit(name),
            lit(&t.name),
            lit(expr)
        ));
    }
    out.extend(raw_constraints(d, t));
    out
}

/// A table no typed `create_table` recreates exactly: its DDL as the
/// database has it (PostgreSQL: built from the catalog, columns only).
fn untyped_table(d: Dialect, t: &TableShape, why: &str) -> Vec<String> {
    let mut out = vec![format!(
        "// {} is recreated from its DDL: {}.",
        comment(&t.name),
        comment(why)
    )];
    let ddl = match d {
        Dialect::Postgres => {
            let (sequences, ddl) = postgres_ddl(t);
            for s in sequences {
                out.push(format!("op.execute({});", lit(&s)));
            }
            ddl
        }
        Dialect::Mysql => t
            .ddl
            .as_deref()
            .map(mysql_without_foreign_keys)
            .unwrap_or_default(),
        Dialect::Sqlite => t.ddl.clone().unwrap_or_default(),
    };
    out.push(format!("op.execute({});", lit(&ddl)));
    out
}

/// `CREATE TABLE` from PostgreSQL's catalog: each column with its type,
/// nullability and default; a sequence's default becomes `SERIAL` when the
/// sequence has the name `SERIAL` gives it, and is created first otherwise.
fn postgres_ddl(t: &TableShape) -> (Vec<String>, String) {
    let d = Dialect::Postgres;
    let mut sequences = Vec::new();
    let mut cols = Vec::new();
    for c in &t.columns {
        let ty = live_type(d, c);
        let mut default = c.default.clone();
        let mut ty_sql = ty.clone();
        if let Some(seq) = default
            .as_deref()
            .and_then(|s| s.strip_prefix("nextval('"))
            .and_then(|s| s.strip_suffix("'::regclass)"))
        {
            let serial = match ty.as_str() {
                "integer" => Some("serial"),
                "bigint" => Some("bigserial"),
                "smallint" => Some("smallserial"),
                _ => None,
            };
            if let (Some(s), true) = (serial, seq == format!("{}_{}_seq", t.name, c.name)) {
                ty_sql = s.to_owned();
                default = None;
            } else {
                sequences.push(format!("CREATE SEQUENCE IF NOT EXISTS {seq}"));
            }
        }
        let mut s = format!("{} {ty_sql}", d.quote_ident(&c.name));
        if let Some((_, coll)) = t.collations.iter().find(|(n, _)| n == &c.name) {
            s.push_str(&format!(" COLLATE {coll}"));
        }
        if t.always_identity.iter().any(|g| g == &c.name) {
            s.push_str(" GENERATED ALWAYS AS IDENTITY");
        } else if t.generated.iter().any(|g| g == &c.name) {
            s.push_str(" GENERATED BY DEFAULT AS IDENTITY");
        }
        if !c.nullable {
            s.push_str(" NOT NULL");
        }
        match t.generated_as.iter().find(|(n, _)| n == &c.name) {
            Some((_, expr)) => s.push_str(&format!(" GENERATED ALWAYS AS ({expr}) STORED")),
            None => {
                if let Some(def) = default {
                    s.push_str(&format!(" DEFAULT {def}"));
                }
            }
        }
        cols.push(s);
    }
    (
        sequences,
        format!(
            "CREATE TABLE {} (\n    {}\n)",
            d.quote_ident(&t.name),
            cols.join(",\n    ")
        ),
    )
}

/// MySQL's `SHOW CREATE TABLE` without its foreign keys (added after every
/// table, as for typed tables) and its next `AUTO_INCREMENT` value.
fn mysql_without_foreign_keys(ddl: &str) -> String {
    let lines: Vec<&str> = ddl.lines().collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return ddl.to_owned();
    };
    if lines.len() < 3 {
        return ddl.to_owned();
    }
    let body: Vec<&str> = lines[1..lines.len().saturating_sub(1)]
        .iter()
        .map(|l| l.trim_end().trim_end_matches(','))
        .filter(|l| {
            let t = l.trim_start();
            !(t.starts_with("CONSTRAINT ") && t.contains(" FOREIGN KEY "))
        })
        .collect();
    let tail: Vec<&str> = last
        .split(' ')
        .filter(|w| !w.starts_with("AUTO_INCREMENT="))
        .collect();
    format!("{first}\n{}\n{}", body.join(",\n"), tail.join(" "))
}

/// The indexes of `t` that are not keys or constraints.
fn indexes(d: Dialect, t: &TableShape) -> Vec<String> {
    let mut out = Vec::new();
    for i in &t.indexes {
        // MySQL makes this index itself when the foreign key is added.
        if d == Dialect::Mysql
            && t.foreign_keys
                .iter()
                .any(|fk| fk.name.as_deref() == Some(&i.name))
        {
            continue;
        }
        match &i.raw {
            Some(sql) => out.push(format!("op.execute({});", lit(sql))),
            None => {
                let mut code = format!(
                    "op.create_index({}, {}, {})",
                    lit(&i.name),
                    lit(&t.name),
                    list(&i.columns)
                );
                if i.unique {
                    code.push_str(".unique()");
                }
                if let Some(p) = &i.predicate {
                    code.push_str(&format!(".where_({})", lit(p)));
                }
                code.push(';');
                out.push(code);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_valid_rust_for_any_text() {
        assert_eq!(lit("users"), "\"users\"");
        assert_eq!(lit("a\"b"), "r#\"a\"b\"#");
        assert_eq!(lit("x \"# y"), "r##\"x \"# y\"##");
        assert_eq!(lit("a\u{7}"), "\"a\\u{7}\"");
    }

    #[test]
    fn mysql_ddl_loses_its_foreign_keys_and_counter_only() {
        let ddl = "CREATE TABLE `a` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `b` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `fk_b` (`b`),\n  CONSTRAINT `fk_b` FOREIGN KEY (`b`) REFERENCES `b` (`id`)\n) ENGINE=InnoDB AUTO_INCREMENT=5 DEFAULT CHARSET=utf8mb4";
        assert_eq!(
            mysql_without_foreign_keys(ddl),
            "CREATE TABLE `a` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n  `b` int(11) DEFAULT NULL,\n  PRIMARY KEY (`id`),\n  KEY `fk_b` (`b`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        );
    }

    #[test]
    fn referenced_tables_come_first_and_a_cycle_still_ends() {
        let fk = |to: &str| ForeignKeyShape {
            name: None,
            columns: vec!["x".into()],
            ref_table: to.into(),
            ref_columns: vec!["id".into()],
            on_update: "NO ACTION".into(),
            on_delete: "NO ACTION".into(),
        };
        let t = |name: &str, fks: Vec<ForeignKeyShape>| TableShape {
            name: name.into(),
            foreign_keys: fks,
            ..TableShape::default()
        };
        let tables = vec![
            t("a", vec![fk("b")]),
            t("b", vec![fk("c"), fk("b")]),
            t("c", vec![]),
            t("d", vec![fk("e")]),
            t("e", vec![fk("d")]),
        ];
        let names: Vec<&str> = creation_order(&tables)
            .into_iter()
            .map(|i| tables[i].name.as_str())
            .collect();
        assert_eq!(names, ["c", "b", "a", "d", "e"]);
    }
}
