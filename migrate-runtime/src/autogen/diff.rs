//! Comparing the models with the live schema, and the migration code (upgrade,
//! downgrade, summary) that closes each difference.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::autogen::models::{ModelColumn, ModelTable, Models};
use crate::autogen::types::{
    col_code, db_column_code, db_column_type, db_kind, same_kind, set_type_code, sqlite_rowid,
    type_code,
};
use crate::dialect::Dialect;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::schema::live::{ColumnInfo, Schema, TableInfo};

/// The changes autogenerate found: Rust code for the upgrade and the downgrade,
/// and one line per change for `check`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Statements for `fn upgrade`, in order.
    pub upgrade: Vec<String>,
    /// Statements for `fn downgrade`, in order.
    pub downgrade: Vec<String>,
    /// A description of each change (Alembic's "New upgrade operations detected").
    pub summary: Vec<String>,
}

impl Changes {
    /// True when the models and the database agree.
    pub fn is_empty(&self) -> bool {
        self.summary.is_empty()
    }
}

/// A rename the user confirmed: `table=new_table` or `table.column=new_column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rename {
    /// A table rename.
    Table(String, String),
    /// A column rename within a table.
    Column(String, String, String),
}

impl std::str::FromStr for Rename {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let (old, new) = s
            .split_once('=')
            .ok_or_else(|| format!("invalid --rename `{s}`: expected old=new or table.old=new"))?;
        Ok(match old.split_once('.') {
            Some((t, c)) => Rename::Column(t.to_owned(), c.to_owned(), new.to_owned()),
            None => Rename::Table(old.to_owned(), new.to_owned()),
        })
    }
}

impl Changes {
    /// Records one change: its upgrade statement, the downgrade statement that
    /// undoes it (downgrades run in reverse order) and its summary line.
    fn record(&mut self, upgrade: String, downgrade: String, summary: String) {
        self.upgrade.push(upgrade);
        self.downgrade.insert(0, downgrade);
        self.summary.push(summary);
    }
}

/// Compares `models` with the database schema `db` (read with `live::schema`).
pub fn diff(d: Dialect, models: &Models, db: &Schema, renames: &[Rename]) -> Changes {
    let mut ch = Changes::default();
    let db_tables = rename_tables(models, db, renames, &mut ch);
    let new_tables: Vec<&ModelTable> = models
        .tables
        .values()
        .filter(|t| !db_tables.contains_key(&t.name))
        .collect();
    let gone_tables: Vec<String> = db_tables
        .keys()
        .filter(|t| !models.tables.contains_key(*t))
        .cloned()
        .collect();
    for t in &new_tables {
        let mut code = create_table_code(models, t);
        code.push_str(&unsigned_code(d, models, t));
        if let Some(old) = gone_tables
            .iter()
            .find(|g| same_table_shape(d, t, db_tables[*g]))
        {
            code = format!(
                "// Possible rename of table {old}: pass --rename {old}={} to write a rename instead.\n    {code}",
                t.name
            );
        }
        ch.record(
            code,
            format!("op.drop_table({:?});", t.name),
            format!("add table {}", t.name),
        );
    }
    for g in &gone_tables {
        let mut code = format!("op.create_table({g:?})");
        let info = db_tables[g];
        for c in &info.columns {
            let (col, note) = db_column_code(d, info, c);
            if let Some(note) = note {
                let _ = write!(code, "\n        {note}");
            }
            let _ = write!(code, "\n        .column({col})");
        }
        code.push(';');
        ch.record(
            format!("op.drop_table({g:?});"),
            code,
            format!("remove table {g}"),
        );
    }
    for (name, t) in &models.tables {
        if let Some(info) = db_tables.get(name) {
            diff_table(d, models, t, info, renames, &mut ch);
        }
    }
    ch
}

/// Applies the confirmed table renames: the database's tables by the name they
/// are compared under from then on.
fn rename_tables<'s>(
    models: &Models,
    db: &'s Schema,
    renames: &[Rename],
    ch: &mut Changes,
) -> BTreeMap<String, &'s TableInfo> {
    let renamed_table = |old: &str| {
        renames.iter().find_map(|r| match r {
            Rename::Table(o, n) if o == old => Some(n.clone()),
            _ => None,
        })
    };
    let mut db_tables: BTreeMap<String, &TableInfo> =
        db.tables.iter().map(|(k, v)| (k.clone(), v)).collect();
    for (old, info) in db.tables.iter() {
        if let Some(new) = renamed_table(old) {
            if models.tables.contains_key(&new) && !db.tables.contains_key(&new) {
                ch.record(
                    format!("op.rename_table({old:?}, {new:?});"),
                    format!("op.rename_table({new:?}, {old:?});"),
                    format!("rename table {old} to {new}"),
                );
                db_tables.remove(old);
                db_tables.insert(new, info);
            }
        }
    }
    db_tables
}

/// The primary key column `parent`'s rows are referenced by (`id` when unknown).
fn referenced_key(models: &Models, parent: &str) -> String {
    models
        .tables
        .get(parent)
        .and_then(|p| p.primary_key.first().cloned())
        .unwrap_or_else(|| "id".into())
}

/// Whether a column is unsigned on MySQL (`int(10) unsigned`).
fn db_unsigned(d: Dialect, c: &ColumnInfo) -> bool {
    d == Dialect::Mysql && c.sql_type.to_ascii_lowercase().contains(" unsigned")
}

/// MySQL's `MODIFY` that makes a column the model declares `Unsigned<_>`
/// unsigned: typed columns are signed. Only MySQL runs it.
fn unsigned_modify(table: &str, c: &ModelColumn, autoincrement: bool) -> String {
    let q = |s: &str| format!("`{}`", s.replace('`', "``"));
    let ty = match c.kind {
        Some(ColumnKind::SmallInt) => "SMALLINT".to_owned(),
        Some(ColumnKind::Integer) => "INT".to_owned(),
        Some(ColumnKind::BigInt) => "BIGINT".to_owned(),
        Some(ColumnKind::Float) => "FLOAT".to_owned(),
        Some(ColumnKind::Double) => "DOUBLE".to_owned(),
        Some(other) => format!("{other:?}").to_ascii_uppercase(),
        // diesel's `Unsigned<_>` takes integer types only: not reached by a
        // schema.rs that compiles.
        None => return untyped_code(table, c),
    };
    let sql = format!(
        "ALTER TABLE {} MODIFY {} {ty} UNSIGNED{}{}",
        q(table),
        q(&c.name),
        if c.nullable { " NULL" } else { " NOT NULL" },
        if autoincrement { " AUTO_INCREMENT" } else { "" }
    );
    format!(
        "
    // Unsigned<_> in schema.rs: typed columns are signed, so MySQL's is made unsigned here
    // (MODIFY restates the whole column: put any server_default you give it above here too).
    op.execute_per_dialect().mysql({sql:?});"
    )
}

/// What follows a new table's `create_table` on MySQL for its `Unsigned<_>`
/// columns. A foreign key the same `create_table` declares over such a
/// column would be created between columns of different signedness, which
/// MySQL refuses: that is left to the user, and the code does not compile
/// until they have.
fn unsigned_code(d: Dialect, models: &Models, t: &ModelTable) -> String {
    if d != Dialect::Mysql {
        return String::new();
    }
    let unsigned: Vec<&ModelColumn> = t.columns.iter().filter(|c| c.unsigned).collect();
    if unsigned.is_empty() {
        return String::new();
    }
    if models
        .joins
        .iter()
        .any(|(child, _, fk)| child == &t.name && unsigned.iter().any(|c| &c.name == fk))
    {
        return format!(
            "
    compile_error!({:?});",
            format!(
                "{}: a foreign key over an Unsigned<_> column, which typed columns cannot make (they are signed): create this table with op.execute_per_dialect().mysql(\"CREATE TABLE ...\") for MySQL, then delete this line",
                t.name
            )
        );
    }
    unsigned
        .iter()
        .map(|c| {
            let key = t.primary_key.len() == 1 && t.primary_key[0] == c.name;
            let auto = key && matches!(c.kind, Some(ColumnKind::Integer | ColumnKind::BigInt));
            unsigned_modify(&t.name, c, auto)
        })
        .collect()
}

fn create_table_code(models: &Models, t: &ModelTable) -> String {
    // A key over a column typed columns cannot make: the table cannot be
    // made by `create_table` and that column added after it.
    let keyed = |c: &ModelColumn| {
        t.primary_key.contains(&c.name)
            || models
                .joins
                .iter()
                .any(|(child, _, fk)| child == &t.name && fk == &c.name)
    };
    if let Some(c) = t.columns.iter().find(|c| c.kind.is_none() && keyed(c)) {
        return format!(
            "compile_error!({:?});",
            format!(
                "{}: its key column {} has type {}, which typed columns do not have: create this table with op.execute(\"CREATE TABLE ...\"), then delete this line",
                t.name, c.name, c.written
            )
        );
    }
    let mut code = format!("op.create_table({:?})", t.name);
    let mut untyped = Vec::new();
    for c in &t.columns {
        let Some(ty) = model_type(c) else {
            untyped.push(c);
            continue;
        };
        let mut col = col_code(&c.name, &ty, c.nullable);
        if t.primary_key.len() == 1 && t.primary_key[0] == c.name {
            col.push_str(".primary_key()");
            if matches!(c.kind, Some(ColumnKind::Integer | ColumnKind::BigInt)) {
                col.push_str(".autoincrement()");
            }
        }
        let _ = write!(code, "\n        .column({col})");
    }
    if t.primary_key.len() > 1 {
        let _ = write!(code, "\n        .primary_key({:?})", t.primary_key);
    }
    for (child, parent, fk) in &models.joins {
        if child == &t.name {
            let pk = referenced_key(models, parent);
            let name = format!("fk_{child}_{fk}");
            let _ = write!(
                code,
                "\n        .foreign_key(ForeignKey::new([{fk:?}], {parent:?}, [{pk:?}]).name({name:?}))"
            );
        }
    }
    code.push(';');
    for c in untyped {
        code.push_str(&untyped_code(&t.name, c));
    }
    code
}

/// A column of a type migrate's typed columns do not have: the user writes
/// it, and the generated migration does not compile until they have.
fn untyped_code(table: &str, c: &ModelColumn) -> String {
    format!(
        "\n    compile_error!({:?});",
        format!(
            "{table}.{}: schema.rs gives it type {}, which typed columns do not have: add it with op.execute(\"ALTER TABLE {table} ADD COLUMN {} ...\") in its database's type{}, then delete this line",
            c.name,
            c.written,
            c.name,
            if c.nullable { "" } else { " (NOT NULL)" }
        )
    )
}

/// The differences within one table that both sides have.
fn diff_table(
    d: Dialect,
    models: &Models,
    t: &ModelTable,
    info: &TableInfo,
    renames: &[Rename],
    ch: &mut Changes,
) {
    let name = &t.name;
    let mut added: Vec<&ModelColumn> = t
        .columns
        .iter()
        .filter(|c| info.column(&c.name).is_none())
        .collect();
    let mut removed: Vec<&ColumnInfo> = info
        .columns
        .iter()
        .filter(|c| !t.columns.iter().any(|m| m.name == c.name))
        .collect();
    rename_columns(name, &mut added, &mut removed, renames, ch);
    for c in &added {
        ch.record(
            add_column_code(d, name, c, &removed),
            format!("op.drop_column({name:?}, {:?});", c.name),
            format!("add column {name}.{}", c.name),
        );
    }
    for r in &removed {
        let (col, note) = db_column_code(d, info, r);
        let note = note.map(|n| format!("{n}\n    ")).unwrap_or_default();
        ch.record(
            format!("op.drop_column({name:?}, {:?});", r.name),
            format!("{note}op.add_column({name:?}, {col});"),
            format!("remove column {name}.{}", r.name),
        );
    }
    for c in &t.columns {
        if let Some(dbc) = info.column(&c.name) {
            diff_column(d, name, c, info, dbc, ch);
        }
    }
    missing_foreign_keys(models, name, info, ch);
}

/// Confirmed column renames: each pairs an added column with a removed one.
fn rename_columns(
    name: &str,
    added: &mut Vec<&ModelColumn>,
    removed: &mut Vec<&ColumnInfo>,
    renames: &[Rename],
    ch: &mut Changes,
) {
    for r in renames {
        let Rename::Column(tbl, old, new) = r else {
            continue;
        };
        if tbl != name {
            continue;
        }
        if let (Some(ai), Some(ri)) = (
            added.iter().position(|c| &c.name == new),
            removed.iter().position(|c| &c.name == old),
        ) {
            added.remove(ai);
            removed.remove(ri);
            ch.record(
                format!("op.alter_column({name:?}, {old:?}).rename_to({new:?});"),
                format!("op.alter_column({name:?}, {new:?}).rename_to({old:?});"),
                format!("rename column {name}.{old} to {new}"),
            );
        }
    }
}

/// `add_column`, flagged as a possible rename when a removed column has its shape.
fn add_column_code(d: Dialect, name: &str, c: &ModelColumn, removed: &[&ColumnInfo]) -> String {
    let Some(ty) = model_type(c) else {
        return untyped_code(name, c).trim_start().to_owned();
    };
    let mut code = format!(
        "op.add_column({name:?}, {});",
        col_code(&c.name, &ty, c.nullable)
    );
    if let Some(old) = removed.iter().find(|r| {
        let (k, _) = db_kind(d, r);
        k.zip(c.kind).is_some_and(|(k, m)| same_kind(d, m, k)) && r.nullable == c.nullable
    }) {
        code = format!(
            "// Possible rename of {name}.{}: pass --rename {name}.{}={} to write a rename instead.\n    {code}",
            old.name, old.name, c.name
        );
    }
    if !c.nullable {
        code.push_str("\n    // NOT NULL without a default fails on a table that has rows: add .server_default(..) or backfill first.");
    }
    if d == Dialect::Mysql && c.unsigned {
        code.push_str(&unsigned_modify(name, c, false));
    }
    code
}

/// A column's type and nullability, model against database.
fn diff_column(
    d: Dialect,
    name: &str,
    c: &ModelColumn,
    info: &TableInfo,
    dbc: &ColumnInfo,
    ch: &mut Changes,
) {
    let integer = |k: ColumnKind| {
        matches!(
            k,
            ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt
        )
    };
    // schema.rs says a PostgreSQL array where the database has a plain type
    // it reads: certainly different, and only the user can say how to change
    // it. (A custom type may well be stored as text or an integer, as
    // diesel-derive-enum's are on SQLite: never called different.)
    // The outer type only: `Wrapper<Array<Text>>` is no array.
    let outer = c.written.split('<').next().unwrap_or_default();
    let array = outer == "Array" || outer.ends_with("::Array");
    if d == Dialect::Postgres
        && array
        && !dbc.sql_type.ends_with("[]")
        && db_column_type(d, info, dbc).is_some()
    {
        let stop = |what: String| {
            format!(
                "compile_error!({:?});",
                format!(
                    "{name}.{}: {what} with op.execute(\"ALTER TABLE ...\"), then delete this line",
                    c.name
                )
            )
        };
        ch.record(
            stop(format!(
                "schema.rs gives it type {}, and the database has {}: change it",
                c.written, dbc.sql_type
            )),
            stop(format!("change it back to {}", dbc.sql_type)),
            format!(
                "change type of {name}.{} from {} to {}",
                c.name, dbc.sql_type, c.written
            ),
        );
    }
    // A type autogenerate cannot read is never called different: it cannot
    // say how. Nor one schema.rs gives that migrate has no kind for.
    let type_differs = c.kind.and_then(|kind| {
        db_column_type(d, info, dbc)
            .filter(|(db, _)| {
                let same =
                    same_kind(d, kind, db.kind) || (integer(kind) && sqlite_rowid(d, info, dbc));
                !same || (c.length.is_some() && db.length.is_some() && c.length != db.length)
            })
            .map(|(db, x)| (db, x, kind))
    });
    if let Some((db, _, kind)) = type_differs {
        let model = ColumnType {
            kind,
            length: c.length,
            precision: None,
        };
        ch.record(
            format!(
                "op.alter_column({name:?}, {:?}){};",
                c.name,
                set_type_code(&model)
            ),
            format!(
                "op.alter_column({name:?}, {:?}){};",
                c.name,
                set_type_code(&db)
            ),
            format!(
                "change type of {name}.{} from {} to {}",
                c.name,
                dbc.sql_type,
                type_code(kind, c.length)
            ),
        );
    }
    // Signedness, which only MySQL has: no typed operation changes it, and
    // the column's whole definition must be restated to, so the user writes it.
    if d == Dialect::Mysql && c.unsigned != db_unsigned(d, dbc) && type_differs.is_none() {
        let (now, then) = if c.unsigned {
            ("Unsigned<_>", "signed")
        } else {
            ("signed", "unsigned")
        };
        let stop = |to: &str| {
            format!(
                "compile_error!({:?});",
                format!(
                    "{name}.{}: make it {to} with op.execute_per_dialect().mysql(\"ALTER TABLE `{name}` MODIFY `{}` ...\"), restating its type, NULL, default and AUTO_INCREMENT, then delete this line",
                    c.name, c.name
                )
            )
        };
        ch.record(
            stop(if c.unsigned { "unsigned" } else { "signed" }),
            stop(if c.unsigned { "signed" } else { "unsigned" }),
            format!(
                "change {name}.{} from {then} ({}) to {now}",
                c.name, dbc.sql_type
            ),
        );
    }
    if c.nullable != dbc.nullable {
        ch.record(
            format!(
                "op.alter_column({name:?}, {:?}).nullable({});",
                c.name, c.nullable
            ),
            format!(
                "op.alter_column({name:?}, {:?}).nullable({});",
                c.name, dbc.nullable
            ),
            format!(
                "make {name}.{} {}",
                c.name,
                if c.nullable { "nullable" } else { "NOT NULL" }
            ),
        );
    }
}

/// The type a model column declares (`table!` gives no precision); `None`
/// for one migrate has no kind for.
fn model_type(c: &ModelColumn) -> Option<ColumnType> {
    Some(ColumnType {
        kind: c.kind?,
        length: c.length,
        precision: None,
    })
}

/// Foreign keys declared with `joinable!` that the table lacks.
fn missing_foreign_keys(models: &Models, name: &str, info: &TableInfo, ch: &mut Changes) {
    for (child, parent, fk) in &models.joins {
        if child != name || info.column(fk).is_none() {
            continue;
        }
        let has = info.constraints.iter().any(|c| {
            let c = c.replace(['"', '`'], "");
            c.contains(&format!("FOREIGN KEY ({fk})"))
                && (c.contains(&format!("REFERENCES {parent}("))
                    || c.contains(&format!("REFERENCES {parent} (")))
        });
        if has {
            continue;
        }
        let pk = referenced_key(models, parent);
        let fk_name = format!("fk_{child}_{fk}");
        ch.record(
            format!(
                "op.create_foreign_key({fk_name:?}, {child:?}, {parent:?}, [{fk:?}], [{pk:?}]);"
            ),
            format!("op.drop_constraint({fk_name:?}, {child:?}, ConstraintKind::ForeignKey);"),
            format!("add foreign key {child}.{fk} -> {parent}.{pk}"),
        );
    }
}

fn same_table_shape(d: Dialect, t: &ModelTable, info: &TableInfo) -> bool {
    t.columns.len() == info.columns.len()
        && t.columns.iter().zip(&info.columns).all(|(m, c)| {
            db_kind(d, c)
                .0
                .zip(m.kind)
                .is_some_and(|(k, mk)| same_kind(d, mk, k))
                && m.nullable == c.nullable
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column as a database reports it, with no default.
    fn col(name: &str, sql_type: &str, nullable: bool) -> crate::schema::live::ColumnInfo {
        crate::schema::live::ColumnInfo {
            name: name.into(),
            sql_type: sql_type.into(),
            nullable,
            default: None,
        }
    }

    #[test]
    fn renames_parse() {
        assert_eq!(
            "a=b".parse::<Rename>().unwrap(),
            Rename::Table("a".into(), "b".into())
        );
        assert_eq!(
            "t.a=b".parse::<Rename>().unwrap(),
            Rename::Column("t".into(), "a".into(), "b".into())
        );
        assert!("ab".parse::<Rename>().is_err());
    }

    #[test]
    fn a_column_of_a_type_without_a_kind_is_compared_by_presence_and_written_by_hand() {
        use crate::autogen::models::parse_models;
        let models = parse_models(
            "diesel::table! { people (id) { id -> Integer, tags -> Array<Text>, \
             mood -> Nullable<crate::schema::sql_types::Mood>, during -> Nullable<Interval>, } }\n\
             diesel::table! { pets (id) { id -> Integer, kinds -> Array<Text>, } }",
        )
        .unwrap();
        let mut db = Schema::default();
        db.tables.insert(
            "people".into(),
            TableInfo {
                columns: vec![
                    col("id", "integer", false),
                    col("tags", "text[]", false),
                    col("mood", "mood", false),
                ],
                ..TableInfo::default()
            },
        );
        // A custom type over plain storage (diesel-derive-enum's on SQLite):
        // not called different.
        let mut enum_text = db.clone();
        if let Some(t) = enum_text.tables.get_mut("people") {
            t.columns[2] = col("mood", "text", true);
        }
        assert!(!diff(Dialect::Postgres, &models, &enum_text, &[])
            .summary
            .iter()
            .any(|s| s.contains("mood")),);
        // An array in schema.rs where the database has a plain type: a
        // difference only the user can write, both ways.
        let mut plain = db.clone();
        if let Some(t) = plain.tables.get_mut("people") {
            t.columns[1] = col("tags", "text", false);
        }
        let ch = diff(Dialect::Postgres, &models, &plain, &[]);
        assert!(
            ch.summary
                .contains(&"change type of people.tags from text to Array<Text>".to_owned()),
            "{:?}",
            ch.summary
        );
        let ch = diff(Dialect::Postgres, &models, &db, &[]);
        // tags: same presence and nullability, its type never compared;
        // mood: nullability compared; during: to be written by hand.
        assert_eq!(
            ch.summary,
            [
                "add table pets",
                "add column people.during",
                "make people.mood nullable"
            ],
            "{:#?}",
            ch.upgrade
        );
        assert!(
            ch.upgrade[0].starts_with("op.create_table(\"pets\")"),
            "{}",
            ch.upgrade[0]
        );
        assert!(!ch.upgrade[0].contains("\"kinds\")"), "{}", ch.upgrade[0]);
        assert!(
            ch.upgrade[0]
                .contains("compile_error!(\"pets.kinds: schema.rs gives it type Array<Text>"),
            "{}",
            ch.upgrade[0]
        );
        assert!(
            ch.upgrade[1]
                .starts_with("compile_error!(\"people.during: schema.rs gives it type Interval"),
            "{}",
            ch.upgrade[1]
        );
    }

    #[test]
    fn a_table_keyed_on_a_column_without_a_kind_is_left_to_raw_sql() {
        use crate::autogen::models::parse_models;
        let models = parse_models(
            "diesel::table! { tagged (tag) { tag -> Citext2, n -> Integer, } }\n\
             diesel::table! { refs (id) { id -> Integer, parent -> Inet, } }\n\
             diesel::table! { hosts (id) { id -> Integer, } }\n\
             diesel::joinable!(refs -> hosts (parent));",
        )
        .unwrap();
        let ch = diff(Dialect::Postgres, &models, &Schema::default(), &[]);
        let tagged = ch
            .upgrade
            .iter()
            .find(|c| c.contains("tagged"))
            .expect("tagged");
        assert!(
            tagged.starts_with("compile_error!(\"tagged: its key column tag has type Citext2"),
            "{tagged}"
        );
        let refs = ch
            .upgrade
            .iter()
            .find(|c| c.contains("refs"))
            .expect("refs");
        assert!(
            refs.starts_with("compile_error!(\"refs: its key column parent has type Inet"),
            "{refs}"
        );
    }

    #[test]
    fn diff_writes_each_change_with_its_undo_in_reverse_order() {
        use crate::autogen::models::parse_models;
        let models = parse_models(
            "diesel::table! { users (id) { id -> Integer, name -> Nullable<Text>, \
             #[max_length = 20] handle -> Nullable<Varchar>, age -> BigInt, } }\n\
             diesel::table! { posts (id) { id -> Integer, user_id -> Integer, } }\n\
             diesel::joinable!(posts -> users (user_id));",
        )
        .unwrap();
        let mut db = Schema::default();
        db.tables.insert(
            "users".into(),
            TableInfo {
                columns: vec![
                    col("id", "integer", false),
                    col("name", "text", false),
                    col("nick", "varchar(20)", true),
                    col("age", "integer", false),
                ],
                ..TableInfo::default()
            },
        );
        db.tables.insert(
            "old".into(),
            TableInfo {
                columns: vec![col("id", "integer", false)],
                ..TableInfo::default()
            },
        );
        let ch = diff(Dialect::Sqlite, &models, &db, &[]);
        assert_eq!(
            ch.summary,
            [
                "add table posts",
                "remove table old",
                "add column users.handle",
                "remove column users.nick",
                "make users.name nullable",
                "change type of users.age from integer to BigInt",
            ]
        );
        assert!(ch.upgrade[0].contains(".foreign_key(ForeignKey::new([\"user_id\"], \"users\", [\"id\"]).name(\"fk_posts_user_id\"))"), "{}", ch.upgrade[0]);
        assert!(
            ch.upgrade[2]
                .starts_with("// Possible rename of users.nick: pass --rename users.nick=handle"),
            "{}",
            ch.upgrade[2]
        );
        assert_eq!(
            ch.downgrade,
            [
                "op.alter_column(\"users\", \"age\").set_type::<Integer>();",
                "op.alter_column(\"users\", \"name\").nullable(false);",
                "op.add_column(\"users\", col::<Nullable<Varchar>>(\"nick\").length(20));",
                "op.drop_column(\"users\", \"handle\");",
                "op.create_table(\"old\")\n        .column(col::<Integer>(\"id\"));",
                "op.drop_table(\"posts\");",
            ]
        );
        let renamed = diff(
            Dialect::Sqlite,
            &models,
            &db,
            &["users.nick=handle".parse().unwrap()],
        );
        assert_eq!(
            renamed.upgrade[2],
            "op.alter_column(\"users\", \"nick\").rename_to(\"handle\");"
        );
    }
}
