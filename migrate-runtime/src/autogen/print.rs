//! `migrate schema`: diesel's `table!` declarations for the schema the chain's
//! own operations build up to a revision, without a database (diesel's
//! `print-schema` needs one); and `check --offline`, which compares
//! `src/schema.rs` with it.
//!
//! The schema is the one the offline scripts use (`schema/model.rs`): raw
//! SQL and data steps are opaque to it, so a table they create is not there;
//! the output says which migrations had such steps, and `check --offline`
//! does not hold against `schema.rs` what such SQL may have made.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::chain::{Chain, Position};
use crate::dialect::Dialect;
use crate::error::Result;
use crate::ops::types::ColumnKind;
use crate::ops::{ColumnDef, CreateTable, Operation};
use crate::schema::live::ColumnInfo;
use crate::schema::model::SchemaModel;

/// What the model could not follow up to a revision.
#[derive(Debug, Default)]
pub(crate) struct Opaque {
    /// The revisions with raw SQL or a data step.
    pub revisions: Vec<&'static str>,
    /// The words of that raw SQL: a table it names may have changed.
    words: BTreeSet<String>,
    /// A data step ran: any table may have changed.
    data_step: bool,
}

impl Opaque {
    /// Whether the raw SQL or data steps may have touched `table`.
    fn may_touch(&self, table: &str) -> bool {
        self.data_step || self.words.contains(&table.to_ascii_lowercase())
    }
}

/// The schema the chain's operations build up to `upto` (`None`: base), and
/// what it could not follow.
pub(crate) fn model_at(chain: &Chain, upto: Position) -> Result<(SchemaModel, Opaque)> {
    let mut model = SchemaModel::default();
    let mut opaque = Opaque::default();
    let Some(last) = upto else {
        return Ok((model, opaque));
    };
    for m in &chain.migrations()[..=last] {
        let mut saw = false;
        for op in m.record_upgrade()?.into_operations() {
            saw |= note_opaque(&op, &mut opaque);
            model.apply(&op);
        }
        if saw {
            opaque.revisions.push(m.revision());
        }
    }
    Ok((model, opaque))
}

/// Raw SQL or a data step: it may create or change tables the model cannot
/// see (one `INSERT`, `UPDATE` or `DELETE`, a backfill, cannot). Notes what
/// it names; true when `op` is one.
fn note_opaque(op: &Operation, opaque: &mut Opaque) -> bool {
    if !crate::schema::model::unseen(op) {
        return false;
    }
    match op {
        Operation::Execute(e) => {
            for s in [&e.sql, &e.sqlite, &e.postgres, &e.mysql]
                .into_iter()
                .flatten()
            {
                opaque.words.extend(
                    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .filter(|w| !w.is_empty())
                        .map(str::to_ascii_lowercase),
                );
            }
            true
        }
        Operation::Run { .. } => {
            opaque.data_step = true;
            true
        }
        Operation::Batch { ops, .. } => ops
            .iter()
            .fold(false, |any, o| note_opaque(o, opaque) | any),
        _ => false,
    }
}

/// Whether `c` is its table's one autoincrementing key (SQLite's rowid).
fn rowid(t: &CreateTable, c: &ColumnDef) -> bool {
    c.autoincrement && primary_key(t) == [c.name.clone()]
}

/// diesel's SQL type for a column, with its `#[max_length]` line: the name
/// `diesel print-schema` gives the type the column has on `dialect` (with
/// none, the portable names; `Timestamptz` and `Uuid` are then PostgreSQL's).
fn diesel_type(c: &ColumnDef, rowid: bool, dialect: Option<Dialect>) -> (Option<String>, String) {
    use ColumnKind::*;
    let len = c.ty.length;
    let max = |n: u32| Some(format!("#[max_length = {n}]"));
    let (attr, name) = match (c.ty.kind, dialect) {
        // SQLite's rowid is INTEGER whatever the column says.
        (SmallInt | Integer | BigInt, Some(Dialect::Sqlite)) if rowid => (None, "Integer"),
        (SmallInt, _) => (None, "SmallInt"),
        (Integer, _) => (None, "Integer"),
        (BigInt, _) => (None, "BigInt"),
        (Text, _) => match len {
            Some(n) => (max(n), "Varchar"),
            None => (None, "Text"),
        },
        (Bool, _) => (None, "Bool"),
        (Float, _) => (None, "Float"),
        (Double, _) => (None, "Double"),
        (Numeric, _) => (None, "Numeric"),
        (Date, _) => (None, "Date"),
        (Time, _) => (None, "Time"),
        (Timestamp, Some(Dialect::Mysql)) => (None, "Datetime"),
        (Timestamp, _) => (None, "Timestamp"),
        (Timestamptz, Some(Dialect::Sqlite)) => (None, "TimestamptzSqlite"),
        (Timestamptz, Some(Dialect::Mysql)) => (None, "Timestamp"),
        (Timestamptz, _) => (None, "Timestamptz"),
        (Binary, _) => (len.and_then(max), "Binary"),
        (Json | Jsonb, Some(Dialect::Sqlite)) => (None, "Text"),
        (Jsonb, Some(Dialect::Mysql)) => (None, "Json"),
        (Json, _) => (None, "Json"),
        (Jsonb, _) => (None, "Jsonb"),
        (Uuid, Some(Dialect::Sqlite)) => (None, "Text"),
        (Uuid, Some(Dialect::Mysql)) => (max(36), "Char"),
        (Uuid, _) => (None, "Uuid"),
    };
    let ty = if c.nullable {
        format!("Nullable<{name}>")
    } else {
        name.to_owned()
    };
    (attr, ty)
}

/// The primary key of a table: its composite key, else the columns marked.
fn primary_key(t: &CreateTable) -> Vec<String> {
    if let Some((_, cols)) = &t.primary_key {
        return cols.clone();
    }
    t.columns
        .iter()
        .filter(|c| c.primary_key)
        .map(|c| c.name.clone())
        .collect()
}

/// Names `table!` cannot take for a column (its own items).
const RESERVED: &[&str] = &["table", "columns", "star", "all_columns"];

/// The Rust name `table!` uses for `name`, as diesel print-schema makes it:
/// anything but letters, digits and `_` becomes `_`, a keyword or a name
/// `table!` keeps for itself (or, for a column, its table's) gets a `_`
/// after it; `None` when it is the name itself, else the name with
/// `#[sql_name]` to give.
fn rust_name(name: &str, table: Option<&str>) -> (String, bool) {
    let mut r: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if r.is_empty() || r.starts_with(|c: char| c.is_ascii_digit()) {
        r.insert(0, '_');
    }
    let keyword = syn::parse_str::<syn::Ident>(&r).is_err() || r == "_";
    if keyword
        || (table.is_some() && RESERVED.contains(&r.as_str()))
        || table.is_some_and(|t| t == r)
    {
        r.push('_');
    }
    let renamed = r != name;
    (r, renamed)
}

/// The `table!` declarations (with `joinable!` and
/// `allow_tables_to_appear_in_same_query!`) of the schema at `upto`, with
/// the type names of `dialect` (none: the portable ones).
pub(crate) fn table_declarations(
    chain: &Chain,
    upto: Position,
    dialect: Option<Dialect>,
) -> Result<String> {
    let (model, opaque) = model_at(chain, upto)?;
    let at = upto.map_or("<base>", |i| chain.migrations()[i].revision());
    let mut out = format!(
        "// @generated by `migrate schema` from the migrations up to {at}, with no database{}.\n",
        dialect.map_or(String::new(), |d| format!(", for {}", d.name()))
    );
    if !opaque.revisions.is_empty() {
        let _ = writeln!(
            out,
            "// Raw SQL or data steps in {} are not followed: a table they create or change is not shown as it is.",
            opaque.revisions.join(", ")
        );
    }
    // Table name -> its Rust name and single key, for the joins.
    let mut declared: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut fks: Vec<(String, String, String, String)> = Vec::new();
    for t in model.tables() {
        let key = primary_key(t);
        if key.is_empty() {
            let _ = writeln!(
                out,
                "\n// Table {} has no primary key, which diesel's table! needs.",
                t.name
            );
            continue;
        }
        let (table, renamed) = rust_name(&t.name, None);
        let col_name = |c: &str| rust_name(c, Some(&table)).0;
        out.push_str("\ndiesel::table! {\n");
        if renamed {
            let _ = writeln!(out, "    #[sql_name = {:?}]", t.name);
        }
        let keys: Vec<String> = key.iter().map(|k| col_name(k)).collect();
        let _ = writeln!(out, "    {table} ({}) {{", keys.join(", "));
        for c in &t.columns {
            let (attr, ty) = diesel_type(c, rowid(t, c), dialect);
            if let Some(a) = attr {
                let _ = writeln!(out, "        {a}");
            }
            let (name, renamed) = rust_name(&c.name, Some(&table));
            if renamed {
                let _ = writeln!(out, "        #[sql_name = {:?}]", c.name);
            }
            let _ = writeln!(out, "        {name} -> {ty},");
        }
        out.push_str("    }\n}\n");
        for fk in &t.foreign_keys {
            if let ([col], [parent_col]) = (fk.columns.as_slice(), fk.ref_columns.as_slice()) {
                fks.push((
                    t.name.clone(),
                    col.clone(),
                    fk.ref_table.clone(),
                    parent_col.clone(),
                ));
            }
        }
        for c in &t.columns {
            if let Some((parent, parent_col)) = &c.references {
                fks.push((
                    t.name.clone(),
                    c.name.clone(),
                    parent.clone(),
                    parent_col.clone(),
                ));
            }
        }
        declared.insert(t.name.clone(), (table, key));
    }
    // As diesel print-schema: a join for a foreign key of one column to its
    // parent's one-column primary key, between two declared tables, never a
    // table to itself, and none for a pair of tables with more than one
    // foreign key between them (either way): `joinable!` implements the
    // join both ways, so two would conflict.
    let pair = |a: &str, b: &str| {
        if a <= b {
            (a.to_owned(), b.to_owned())
        } else {
            (b.to_owned(), a.to_owned())
        }
    };
    let mut per_pair: BTreeMap<(String, String), usize> = BTreeMap::new();
    for (child, _, parent, _) in &fks {
        *per_pair.entry(pair(child, parent)).or_default() += 1;
    }
    let mut joins = Vec::new();
    for (child, col, parent, parent_col) in &fks {
        let (Some((c_rust, _)), Some((p_rust, p_key))) =
            (declared.get(child), declared.get(parent))
        else {
            continue;
        };
        if child == parent
            || per_pair[&pair(child, parent)] > 1
            || p_key.as_slice() != std::slice::from_ref(parent_col)
        {
            continue;
        }
        joins.push(format!(
            "diesel::joinable!({c_rust} -> {p_rust} ({}));",
            rust_name(col, Some(c_rust)).0
        ));
    }
    if !joins.is_empty() {
        out.push('\n');
        for j in &joins {
            out.push_str(j);
            out.push('\n');
        }
    }
    if declared.len() > 1 {
        let names: Vec<&str> = declared.values().map(|(r, _)| r.as_str()).collect();
        let _ = writeln!(
            out,
            "{}diesel::allow_tables_to_appear_in_same_query!({});",
            if joins.is_empty() { "\n" } else { "" },
            names.join(", ")
        );
    }
    Ok(out)
}

/// Whether a column the migrations make as `c` is what `table!` says
/// (`model`), on `dialect` or, with none, on any: the type diesel
/// print-schema writes for what the column becomes there.
fn same_type(c: &ColumnDef, rowid: bool, model: ColumnKind, dialect: Option<Dialect>) -> bool {
    if c.ty.kind == model {
        return true;
    }
    let dialects = match dialect {
        Some(d) => vec![d],
        None => vec![Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql],
    };
    dialects.into_iter().any(|d| {
        let sql = crate::sql::column_type(d, &c.ty, rowid).to_ascii_lowercase();
        let info = ColumnInfo {
            name: c.name.clone(),
            sql_type: sql,
            nullable: c.nullable,
            default: None,
        };
        crate::autogen::types::db_kind(d, &info)
            .0
            .is_some_and(|k| crate::autogen::types::same_kind(d, model, k))
    })
}

/// The schema the chain's operations build up to `upto`, in the form a live
/// `dialect` database reports it (types as its catalog spells them, lower
/// case; SQLite's key columns as its reader lists them; foreign keys as
/// `FOREIGN KEY (c) REFERENCES p(k)`): what autogenerate compares schema.rs
/// with when there is no database. The tables raw SQL or a data step may
/// have changed (the model cannot see what was done to them), those of
/// `models` among them included, and the tables without a primary key
/// (`table!` cannot declare them) are left out, and returned: autogenerate
/// writes nothing for them.
fn model_schema(
    chain: &Chain,
    upto: Position,
    d: Dialect,
    models: &crate::autogen::models::Models,
) -> Result<(crate::schema::live::Schema, Vec<String>)> {
    use crate::schema::live::{Schema, TableInfo};
    let (model, opaque) = model_at(chain, upto)?;
    let mut schema = Schema::default();
    let mut unsure: Vec<String> = models
        .tables
        .keys()
        .filter(|n| opaque.may_touch(n) && !model.tables().any(|t| &t.name == *n))
        .cloned()
        .collect();
    for t in model.tables() {
        if opaque.may_touch(&t.name) {
            unsure.push(t.name.clone());
            continue;
        }
        if primary_key(t).is_empty() {
            unsure.push(t.name.clone());
            continue;
        }
        let keys = t
            .primary_key
            .as_ref()
            .map(|(_, k)| k.clone())
            .unwrap_or_else(|| {
                t.columns
                    .iter()
                    .filter(|c| c.primary_key)
                    .map(|c| c.name.clone())
                    .collect()
            });
        let mut info = TableInfo::default();
        // As `create_table` writes it: the one autoincrementing key is
        // SQLite's `INTEGER` rowid, whatever integer type it was given.
        let inline_pk = t.primary_key.is_none() && keys.len() == 1;
        for c in &t.columns {
            let key = keys.contains(&c.name);
            let sql_type = crate::sql::column_type(d, &c.ty, inline_pk && key && c.autoincrement)
                .to_ascii_lowercase();
            // SQLite's reader: a key column other than `integer` may hold
            // NULL unless it was declared NOT NULL.
            let nullable = match d {
                Dialect::Sqlite => c.nullable && !(key && sql_type == "integer"),
                _ => c.nullable && !key,
            };
            let default = match &c.default {
                None => None,
                Some(crate::ops::ColumnDefault::Sql(s)) => Some(s.clone()),
                Some(crate::ops::ColumnDefault::Value(v)) => Some(crate::sql::value(d, v)?),
            };
            info.columns.push(ColumnInfo {
                name: c.name.clone(),
                sql_type,
                nullable,
                default,
            });
        }
        if d == Dialect::Sqlite {
            for (i, k) in keys.iter().enumerate() {
                info.constraints
                    .insert(format!("primary key column {}: {k}", i + 1));
            }
        }
        let references = t.columns.iter().filter_map(|c| {
            c.references
                .as_ref()
                .map(|(p, k)| (vec![c.name.clone()], p, vec![k.clone()]))
        });
        let declared = t
            .foreign_keys
            .iter()
            .map(|fk| (fk.columns.clone(), &fk.ref_table, fk.ref_columns.clone()));
        for (cols, parent, to) in references.chain(declared) {
            info.constraints.insert(format!(
                "FOREIGN KEY ({}) REFERENCES {parent}({})",
                cols.join(", "),
                to.join(", ")
            ));
        }
        schema.tables.insert(t.name.clone(), info);
    }
    Ok((schema, unsure))
}

/// What `revision --autogenerate --offline` writes: `models` against the
/// schema the chain builds up to `upto`, for `d`. Second: the tables left
/// out (raw SQL or a data step may have changed them, or they have no
/// primary key), about which nothing is written.
pub(crate) fn offline_changes(
    chain: &Chain,
    upto: Position,
    d: Dialect,
    models: &crate::autogen::models::Models,
    renames: &[crate::autogen::Rename],
) -> Result<(crate::autogen::Changes, Vec<String>)> {
    use crate::autogen::Rename;
    let (mut schema, left_out) = model_schema(chain, upto, d, models)?;
    for r in renames {
        let (Rename::Table(old, _) | Rename::Column(old, _, _)) = r;
        if left_out.contains(old) {
            return Err(crate::error::Error::Usage(format!(
                "cannot rename in {old} offline: raw SQL or a data step may have changed it, or it has no primary key; autogenerate against a database"
            )));
        }
    }
    // A table left out stands in the schema as schema.rs declares it: nothing
    // is written for it, and keys from other tables to it keep its key.
    for name in &left_out {
        if let Some(t) = models.tables.get(name) {
            schema
                .tables
                .insert(name.clone(), as_declared(d, t, models));
        }
    }
    Ok((crate::autogen::diff(d, models, &schema, renames), left_out))
}

/// `t` as a database would report it were it exactly what schema.rs says, so
/// that autogenerate finds no difference in it. A column of a type migrate
/// has no kind for gets an array spelling no reader knows: its type is
/// compared with nothing.
fn as_declared(
    d: Dialect,
    t: &crate::autogen::models::ModelTable,
    models: &crate::autogen::models::Models,
) -> crate::schema::live::TableInfo {
    let mut info = crate::schema::live::TableInfo::default();
    let inline_pk = t.primary_key.len() == 1;
    for c in &t.columns {
        let key = t.primary_key.contains(&c.name);
        let mut sql_type = match c.kind {
            Some(kind) => {
                let ty = crate::ops::types::ColumnType {
                    kind,
                    length: c.length,
                    precision: None,
                };
                let rowid = inline_pk
                    && key
                    && matches!(
                        kind,
                        ColumnKind::SmallInt | ColumnKind::Integer | ColumnKind::BigInt
                    );
                crate::sql::column_type(d, &ty, rowid).to_ascii_lowercase()
            }
            None => format!("{}[]", c.written.to_ascii_lowercase()),
        };
        if c.unsigned {
            sql_type.push_str(" unsigned");
        }
        info.columns.push(ColumnInfo {
            name: c.name.clone(),
            sql_type,
            nullable: c.nullable,
            default: None,
        });
    }
    if d == Dialect::Sqlite {
        for (i, k) in t.primary_key.iter().enumerate() {
            info.constraints
                .insert(format!("primary key column {}: {k}", i + 1));
        }
    }
    for (child, parent, fk) in &models.joins {
        if child == &t.name {
            info.constraints
                .insert(format!("FOREIGN KEY ({fk}) REFERENCES {parent}()"));
        }
    }
    info
}

/// How diesel's `table!` declarations (`models`) differ from the schema the
/// chain's operations build up to `upto`: one line per difference, and the
/// lines of what could not be held against them (what raw SQL or a data step
/// may have made or changed). Types compare as they are on `dialect`, or on
/// any database when none is given.
pub(crate) fn offline_differences(
    chain: &Chain,
    upto: Position,
    models: &crate::autogen::models::Models,
    dialect: Option<Dialect>,
) -> Result<(Vec<String>, Vec<String>)> {
    let (model, opaque) = model_at(chain, upto)?;
    let tables: BTreeMap<&str, &CreateTable> =
        model.tables().map(|t| (t.name.as_str(), t)).collect();
    let mut diffs = Vec::new();
    let mut unchecked = Vec::new();
    for (name, m) in &models.tables {
        let mut found = Vec::new();
        let t = tables.get(name.as_str());
        match t {
            None => found.push(format!(
                "table {name} is in schema.rs, and no migration makes it"
            )),
            Some(t) => {
                for c in &m.columns {
                    let Some(d) = t.columns.iter().find(|d| d.name == c.name) else {
                        found.push(format!(
                            "column {name}.{} is in schema.rs, and no migration makes it",
                            c.name
                        ));
                        continue;
                    };
                    // A type migrate has no kind for (an array, a custom
                    // type): the typed column the migrations made is not it.
                    let Some(kind) = c.kind else {
                        let said = match c.nullable {
                            true => format!("Nullable<{}>", c.written),
                            false => c.written.clone(),
                        };
                        found.push(format!(
                            "column {name}.{}: the migrations make {}, schema.rs says {said}, which typed columns do not make",
                            c.name,
                            diesel_type(d, rowid(t, d), dialect).1,
                        ));
                        continue;
                    };
                    if !same_type(d, rowid(t, d), kind, dialect) {
                        found.push(format!(
                            "column {name}.{}: the migrations make {}, schema.rs says {}",
                            c.name,
                            diesel_type(d, rowid(t, d), dialect).1,
                            crate::autogen::types::type_code(kind, c.length)
                        ));
                    } else if let (Some(a), Some(b)) = (d.ty.length, c.length) {
                        if a != b {
                            found.push(format!(
                                "column {name}.{}: the migrations give it length {a}, schema.rs {b}",
                                c.name
                            ));
                        }
                    }
                    if d.nullable != c.nullable {
                        found.push(format!(
                            "column {name}.{}: the migrations make it {}, schema.rs {}",
                            c.name,
                            if d.nullable { "nullable" } else { "NOT NULL" },
                            if c.nullable { "nullable" } else { "NOT NULL" }
                        ));
                    }
                }
                for d in &t.columns {
                    if !m.columns.iter().any(|c| c.name == d.name) {
                        found.push(format!(
                            "column {name}.{} is made by the migrations, and not in schema.rs",
                            d.name
                        ));
                    }
                }
            }
        }
        if opaque.may_touch(name) {
            unchecked.extend(found.into_iter().map(|f| {
                format!(
                    "{f} (raw SQL or a data step in {} may account for it)",
                    opaque.revisions.join(", ")
                )
            }));
        } else {
            diffs.extend(found);
        }
    }
    for (name, t) in &tables {
        if !models.tables.contains_key(*name) && !primary_key(t).is_empty() {
            let line = format!("table {name} is made by the migrations, and not in schema.rs");
            if opaque.may_touch(name) {
                unchecked.push(line);
            } else {
                diffs.push(line);
            }
        }
    }
    Ok((diffs, unchecked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Migration;
    use crate::ops::types::{
        BigInt, Integer, Nullable, Text, Timestamp, Timestamptz, Uuid, Varchar,
    };
    use crate::ops::{col, Op};

    fn users(op: &mut Op) -> Result<()> {
        op.create_table("users")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Varchar>("name").length(100))
            .column(col::<Timestamp>("created_at"))
            .column(col::<Text>("legacy"));
        op.create_table("no_key").column(col::<Integer>("n"));
        Ok(())
    }
    fn posts(op: &mut Op) -> Result<()> {
        op.drop_column("users", "legacy");
        op.add_column("users", col::<Nullable<Text>>("type"));
        op.create_table("posts")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Integer>("user_id").references("users", "id"));
        op.execute("UPDATE users SET name = 'x'");
        op.execute("CREATE VIEW v AS SELECT 1");
        Ok(())
    }

    fn chain() -> Chain {
        Chain::new(vec![
            Migration::new("a1", None, "users", users, None),
            Migration::new("b2", Some("a1"), "posts", posts, None),
        ])
        .unwrap()
    }

    #[test]
    fn declarations_follow_the_chain() {
        let chain = chain();
        let s = table_declarations(&chain, Some(1), None).unwrap();
        assert_eq!(
            s,
            "// @generated by `migrate schema` from the migrations up to b2, with no database.
// Raw SQL or data steps in b2 are not followed: a table they create or change is not shown as it is.

// Table no_key has no primary key, which diesel's table! needs.

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        #[max_length = 100]
        name -> Varchar,
        created_at -> Timestamp,
        #[sql_name = \"type\"]
        type_ -> Nullable<Text>,
    }
}

diesel::joinable!(posts -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(posts, users);
"
        );
        // At the first revision: legacy is there, posts is not.
        let s = table_declarations(&chain, Some(0), None).unwrap();
        assert!(s.contains("legacy -> Text,") && !s.contains("posts"), "{s}");
        // The output is what autogenerate's parser reads, with the SQL names.
        let models =
            crate::autogen::parse_models(&table_declarations(&chain, Some(1), None).unwrap())
                .unwrap();
        assert_eq!(models.tables.len(), 2);
        assert_eq!(models.joins.len(), 1);
        assert!(models.tables["users"]
            .columns
            .iter()
            .any(|c| c.name == "type"));
    }

    fn tricky(op: &mut Op) -> Result<()> {
        op.create_table("teams")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Nullable<Integer>>("parent_id").references("teams", "id"))
            .column(col::<Nullable<Integer>>("owner_id").references("members", "id"))
            .column(col::<Text>("teams"))
            .column(col::<Uuid>("token"))
            .column(col::<Timestamptz>("at"));
        op.create_table("members")
            .column(col::<BigInt>("id").primary_key().autoincrement())
            .column(col::<Integer>("team_id").references("teams", "id"))
            .column(col::<Text>("email"))
            .column(col::<Text>("first name"));
        op.create_table("badges")
            .column(col::<Integer>("id").primary_key())
            .column(col::<Text>("member_email").references("members", "email"));
        Ok(())
    }

    #[test]
    fn joins_names_and_types_as_diesel_print_schema_gives_them() {
        let chain = Chain::new(vec![Migration::new("a1", None, "t", tricky, None)]).unwrap();
        let s = table_declarations(&chain, Some(0), Some(Dialect::Sqlite)).unwrap();
        // No join to itself, none for two tables with keys both ways, none to
        // a column that is not the parent's key.
        assert!(!s.contains("joinable!"), "{s}");
        // A column named as its table, a name with a space.
        assert!(
            s.contains("#[sql_name = \"teams\"]\n        teams_ -> Text,"),
            "{s}"
        );
        assert!(
            s.contains("#[sql_name = \"first name\"]\n        first_name -> Text,"),
            "{s}"
        );
        // SQLite's names: the rowid is Integer, TIMESTAMP and UUIDs are text.
        assert!(s.contains("id -> Integer,") && !s.contains("BigInt"), "{s}");
        assert!(
            s.contains("at -> TimestamptzSqlite,") && s.contains("token -> Text,"),
            "{s}"
        );
        let my = table_declarations(&chain, Some(0), Some(Dialect::Mysql)).unwrap();
        assert!(
            my.contains("#[max_length = 36]\n        token -> Char,"),
            "{my}"
        );
        assert!(
            my.contains("at -> Timestamp,") && my.contains("id -> BigInt,"),
            "{my}"
        );
        // Each output parses, and check --offline agrees with it on its database.
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            let printed = table_declarations(&chain, Some(0), Some(d)).unwrap();
            let models = crate::autogen::parse_models(&printed).unwrap();
            let (diffs, _) = offline_differences(&chain, Some(0), &models, Some(d)).unwrap();
            // And autogenerate offline finds nothing to write: an
            // autoincrementing BigInt key is SQLite's INTEGER rowid there too.
            let (ch, left_out) = offline_changes(&chain, Some(0), d, &models, &[]).unwrap();
            assert!(
                ch.is_empty() && left_out.is_empty(),
                "{d:?}: {:?} {left_out:?}",
                ch.summary
            );
            assert!(diffs.is_empty(), "{d:?}: {diffs:?}\n{printed}");
            let (diffs, _) = offline_differences(&chain, Some(0), &models, None).unwrap();
            assert!(diffs.is_empty(), "any: {d:?}: {diffs:?}");
        }
    }

    #[test]
    fn autogenerate_offline_finds_what_schema_rs_adds_to_the_chain() {
        let chain = chain();
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::Mysql] {
            // The keyless table, which `migrate schema` leaves out, as a
            // user declares it: left out, nothing written for it.
            let printed = table_declarations(&chain, Some(1), Some(d)).unwrap()
                + "diesel::table! { no_key (n) { n -> Integer, } }\n";
            let models = crate::autogen::parse_models(&printed).unwrap();
            let (ch, left_out) = offline_changes(&chain, Some(1), d, &models, &[]).unwrap();
            // The chain's backfill changes rows only, its view no table.
            assert_eq!(left_out, ["no_key"], "{d:?}");
            assert!(ch.is_empty(), "{d:?}: {:?}\n{printed}", ch.summary);
            let edited = printed.replace(
                "        user_id -> ",
                "        #[max_length = 80]\n        title -> Nullable<Varchar>,\n        user_id -> ",
            );
            let models = crate::autogen::parse_models(&edited).unwrap();
            let (ch, _) = offline_changes(&chain, Some(1), d, &models, &[]).unwrap();
            assert_eq!(ch.summary, ["add column posts.title"], "{d:?}");
            assert_eq!(
                ch.upgrade,
                ["op.add_column(\"posts\", col::<Nullable<Varchar>>(\"title\").length(80));"],
                "{d:?}"
            );
        }
    }

    #[test]
    fn autogenerate_offline_keeps_a_left_out_table_as_schema_rs_declares_it() {
        // Raw SQL names users: it is left out, and stands as declared.
        fn nick(op: &mut Op) -> Result<()> {
            op.execute("ALTER TABLE users ADD COLUMN nick TEXT");
            Ok(())
        }
        let chain = Chain::new(vec![
            Migration::new("a1", None, "users", users, None),
            Migration::new("b2", Some("a1"), "nick", nick, None),
        ])
        .unwrap();
        let printed = table_declarations(&chain, Some(1), Some(Dialect::Postgres)).unwrap();
        let edited = printed.replace(
            "legacy -> Text,",
            "legacy -> Text,\n        nick -> Nullable<Text>,",
        )
            + "diesel::table! { comments (id) { id -> Integer, user_id -> Integer, } }\n\
               diesel::joinable!(comments -> users (user_id));\n";
        let models = crate::autogen::parse_models(&edited).unwrap();
        let (ch, left_out) =
            offline_changes(&chain, Some(1), Dialect::Postgres, &models, &[]).unwrap();
        assert!(left_out.contains(&"users".to_owned()), "{left_out:?}");
        // Nothing about users; the new table keeps its key to it.
        assert_eq!(ch.summary, ["add table comments"], "{:?}", ch.upgrade);
        assert!(
            ch.upgrade[0].contains("ForeignKey::new([\"user_id\"], \"users\", [\"id\"])"),
            "{}",
            ch.upgrade[0]
        );
        // A rename of what is left out cannot be written offline.
        let e = offline_changes(
            &chain,
            Some(1),
            Dialect::Postgres,
            &models,
            &["users.nick=handle".parse().unwrap()],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("cannot rename in users offline"),
            "{e}"
        );
    }

    #[test]
    fn schema_rs_is_compared_with_the_chain_offline() {
        let chain = chain();
        let printed = table_declarations(&chain, Some(1), None).unwrap();
        let models = crate::autogen::parse_models(&printed).unwrap();
        let (d, _) = offline_differences(&chain, Some(1), &models, None).unwrap();
        assert!(d.is_empty(), "{d:?}");
        let edited = printed
            .replace("        created_at -> Timestamp,\n", "")
            .replace("user_id -> Integer", "user_id -> Nullable<BigInt>")
            .replace("max_length = 100", "max_length = 50")
            // users.type, the one nullable text.
            .replacen("-> Nullable<Text>,", "-> Nullable<Array<Text>>,", 1);
        let models = crate::autogen::parse_models(&edited).unwrap();
        let (d, unchecked) = offline_differences(&chain, Some(1), &models, None).unwrap();
        assert_eq!(
            d,
            [
                "column posts.user_id: the migrations make Integer, schema.rs says BigInt",
                "column posts.user_id: the migrations make it NOT NULL, schema.rs nullable",
                "column users.name: the migrations give it length 100, schema.rs 50",
                "column users.type: the migrations make Nullable<Text>, schema.rs says Nullable<Array<Text>>, which typed columns do not make",
                "column users.created_at is made by the migrations, and not in schema.rs",
            ]
        );
        assert!(unchecked.is_empty());
        // Raw SQL naming a table: what it may have made is not held against it.
        fn nick(op: &mut Op) -> Result<()> {
            op.execute("ALTER TABLE users ADD COLUMN nick TEXT");
            Ok(())
        }
        let chain = Chain::new(vec![
            Migration::new("a1", None, "users", users, None),
            Migration::new("b2", Some("a1"), "nick", nick, None),
        ])
        .unwrap();
        let with_nick = table_declarations(&chain, Some(1), None).unwrap().replace(
            "legacy -> Text,",
            "legacy -> Text,\n        nick -> Nullable<Text>,",
        );
        let models = crate::autogen::parse_models(&with_nick).unwrap();
        let (d, unchecked) = offline_differences(&chain, Some(1), &models, None).unwrap();
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(unchecked.len(), 1, "{unchecked:?}");
    }
}
