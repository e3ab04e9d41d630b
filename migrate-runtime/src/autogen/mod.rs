//! Autogenerate: compare diesel's `table!` declarations (the models) with the
//! live database and write the operations that close the gap.
//!
//! What is compared: tables, columns, column types (kind and `#[max_length]`),
//! nullability, primary keys of new tables, and foreign keys from `joinable!`.
//! Indexes, unique constraints, checks and defaults cannot be expressed in
//! `table!` and are left alone: write those operations by hand.
//!
//! What cannot be inferred is never guessed: a column (or table) that disappears
//! while another of the same shape appears is written as drop + add, with a
//! comment flagging a possible rename; `--rename old=new` turns it into one.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use syn::parse::{Parse, ParseStream};
use syn::{braced, parenthesized, Token};

use crate::dialect::Dialect;
use crate::error::Error;
use crate::error::Result;
use crate::ops::types::ColumnKind;
use crate::schema::live::{ColumnInfo, Schema};

/// A column as `table!` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelColumn {
    /// Column name (`#[sql_name]` applied).
    pub name: String,
    /// Its kind.
    pub kind: ColumnKind,
    /// `#[max_length = n]`.
    pub length: Option<u32>,
    /// `Nullable<_>`.
    pub nullable: bool,
}

/// A table as `table!` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// Table name (`#[sql_name]` applied).
    pub name: String,
    /// Primary key columns.
    pub primary_key: Vec<String>,
    /// Columns in order.
    pub columns: Vec<ModelColumn>,
}

/// Everything a `schema.rs` declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Models {
    /// Tables by name.
    pub tables: BTreeMap<String, ModelTable>,
    /// `joinable!(child -> parent (fk))`: (child, parent, fk column).
    pub joins: Vec<(String, String, String)>,
}

fn kind_of(ty: &str) -> Option<ColumnKind> {
    use ColumnKind::*;
    Some(match ty {
        "Integer" | "Int4" => Integer,
        "BigInt" | "Bigint" | "Int8" => BigInt,
        "SmallInt" | "Smallint" | "Int2" | "TinyInt" | "Tinyint" => SmallInt,
        "Text" | "Varchar" | "VarChar" | "Char" | "Tinytext" | "Mediumtext" | "Longtext"
        | "Citext" | "Bpchar" => Text,
        "Bool" => Bool,
        "Float" | "Float4" => Float,
        "Double" | "Float8" => Double,
        "Numeric" | "Decimal" => Numeric,
        "Date" => Date,
        "Time" => Time,
        "Timestamp" | "Datetime" => Timestamp,
        "Timestamptz" | "TimestamptzSqlite" => Timestamptz,
        "Binary" | "Bytea" | "Blob" | "Tinyblob" | "Mediumblob" | "Longblob" | "Varbinary"
        | "Bit" => Binary,
        "Json" => Json,
        "Jsonb" => Jsonb,
        "Uuid" => Uuid,
        _ => return None,
    })
}

/// Parses `Nullable<diesel::sql_types::Integer>` into (kind, nullable).
fn parse_type(ty: &syn::Type) -> syn::Result<(ColumnKind, bool)> {
    let syn::Type::Path(p) = ty else {
        return Err(syn::Error::new_spanned(ty, "expected a diesel SQL type"));
    };
    let Some(last) = p.path.segments.last() else {
        return Err(syn::Error::new_spanned(ty, "expected a diesel SQL type"));
    };
    let name = last.ident.to_string();
    if name == "Nullable" {
        if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
            if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                let (kind, _) = parse_type(inner)?;
                return Ok((kind, true));
            }
        }
        return Err(syn::Error::new_spanned(
            ty,
            "Nullable needs a type argument",
        ));
    }
    kind_of(&name).map(|k| (k, false)).ok_or_else(|| {
        syn::Error::new_spanned(ty, format!("unsupported SQL type `{name}` in schema.rs"))
    })
}

fn attr_value(attrs: &[syn::Attribute], key: &str) -> Option<syn::Lit> {
    attrs
        .iter()
        .find(|a| a.path().is_ident(key))
        .and_then(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(l) => Some(l.lit.clone()),
                _ => None,
            },
            _ => None,
        })
}

/// Tables parsed from one `table!`, with the Rust names `joinable!` uses:
/// (table, Rust table name, Rust column name -> SQL column name).
struct TableMacro(Vec<(ModelTable, String, BTreeMap<String, String>)>);

impl Parse for TableMacro {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut tables = Vec::new();
        while !input.is_empty() {
            if input.peek(Token![use]) {
                input.parse::<syn::ItemUse>()?;
                continue;
            }
            let attrs = input.call(syn::Attribute::parse_outer)?;
            let mut name: syn::Ident = input.parse()?;
            if input.peek(Token![.]) {
                input.parse::<Token![.]>()?;
                name = input.parse()?;
            }
            let mut table_name = name.to_string();
            if let Some(syn::Lit::Str(s)) = attr_value(&attrs, "sql_name") {
                table_name = s.value();
            }
            let mut primary_key = Vec::new();
            if input.peek(syn::token::Paren) {
                let content;
                parenthesized!(content in input);
                let keys = content.parse_terminated(syn::Ident::parse, Token![,])?;
                primary_key = keys.iter().map(|k| k.to_string()).collect();
            }
            let body;
            braced!(body in input);
            let mut columns = Vec::new();
            let mut renames: BTreeMap<String, String> = BTreeMap::new();
            while !body.is_empty() {
                let attrs = body.call(syn::Attribute::parse_outer)?;
                let col: syn::Ident = body.parse()?;
                body.parse::<Token![->]>()?;
                let ty: syn::Type = body.parse()?;
                if !body.is_empty() {
                    body.parse::<Token![,]>()?;
                }
                let (kind, nullable) = parse_type(&ty)?;
                let mut name = col.to_string();
                if let Some(syn::Lit::Str(s)) = attr_value(&attrs, "sql_name") {
                    renames.insert(name.clone(), s.value());
                    name = s.value();
                }
                let length = match attr_value(&attrs, "max_length") {
                    Some(syn::Lit::Int(i)) => i.base10_parse().ok(),
                    _ => None,
                };
                columns.push(ModelColumn {
                    name,
                    kind,
                    length,
                    nullable,
                });
            }
            if primary_key.is_empty() {
                primary_key.push("id".to_owned());
            }
            let primary_key = primary_key
                .into_iter()
                .map(|k| renames.get(&k).cloned().unwrap_or(k))
                .collect();
            let rust_name = name.to_string();
            tables.push((
                ModelTable {
                    name: table_name,
                    primary_key,
                    columns,
                },
                rust_name,
                renames,
            ));
        }
        Ok(TableMacro(tables))
    }
}

struct Joinable(String, String, String);

impl Parse for Joinable {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let child: syn::Path = input.parse()?;
        input.parse::<Token![->]>()?;
        let parent: syn::Path = input.parse()?;
        let content;
        parenthesized!(content in input);
        let fk: syn::Ident = content.parse()?;
        let last = |p: &syn::Path| {
            p.segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default()
        };
        Ok(Joinable(last(&child), last(&parent), fk.to_string()))
    }
}

/// Parses the `table!` and `joinable!` declarations of a `schema.rs` with syn.
pub fn parse_models(text: &str) -> Result<Models> {
    let file = syn::parse_file(text)
        .map_err(|e| Error::Message(format!("cannot parse schema.rs: {e}")))?;
    let mut models = Models::default();
    // joinable! names tables and columns by their Rust names; #[sql_name] maps them.
    let mut rust_names: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    let mut joins = Vec::new();
    for item in &file.items {
        let syn::Item::Macro(m) = item else { continue };
        let Some(name) = m.mac.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let located = |e: syn::Error| {
            let at = e.span().start();
            Error::Message(format!("schema.rs:{}:{}: {e}", at.line, at.column + 1))
        };
        match name.as_str() {
            "table" => {
                let t: TableMacro = m.mac.parse_body().map_err(located)?;
                for (table, rust_name, columns) in t.0 {
                    rust_names.insert(rust_name, (table.name.clone(), columns));
                    models.tables.insert(table.name.clone(), table);
                }
            }
            "joinable" => {
                let j: Joinable = m.mac.parse_body().map_err(located)?;
                joins.push((j.0, j.1, j.2));
            }
            _ => {}
        }
    }
    for (child, parent, fk) in joins {
        let (child_sql, fk_sql) = match rust_names.get(&child) {
            Some((name, cols)) => (name.clone(), cols.get(&fk).cloned().unwrap_or(fk)),
            None => (child, fk),
        };
        let parent_sql = rust_names
            .get(&parent)
            .map_or(parent, |(name, _)| name.clone());
        models.joins.push((child_sql, parent_sql, fk_sql));
    }
    Ok(models)
}

/// The kind and length of a column as the database reports it.
pub fn db_kind(d: Dialect, c: &ColumnInfo) -> (Option<ColumnKind>, Option<u32>) {
    use ColumnKind::*;
    let t = c.sql_type.to_ascii_lowercase();
    // MySQL's EXTRA and attribute words follow the type: keep only the type.
    let mut t = t.as_str();
    for extra in [
        " unsigned",
        " zerofill",
        " auto_increment",
        " default_generated",
        " on update",
        " virtual",
        " stored",
        " identity",
        " invisible",
    ] {
        if let Some(i) = t.find(extra) {
            t = &t[..i];
        }
    }
    let t = t.trim();
    // `varchar(255)`, `numeric(12,2)`, `timestamp(3) with time zone`: the type's
    // name is what surrounds the parenthesized arguments.
    let (base, args) = match t.find('(') {
        Some(i) => {
            let close = t[i..].find(')').map_or(t.len(), |j| i + j);
            let after = t.get(close + 1..).unwrap_or("").trim();
            let name = if after.is_empty() {
                t[..i].trim().to_owned()
            } else {
                format!("{} {after}", t[..i].trim())
            };
            (name, t[i + 1..close].trim())
        }
        None => (t.to_owned(), ""),
    };
    let base = base.as_str();
    let length = args.parse::<u32>().ok();
    let kind = match base {
        "integer" | "int" | "int4" | "mediumint" => Some(Integer),
        "bigint" | "int8" => Some(BigInt),
        "smallint" | "int2" => Some(SmallInt),
        "tinyint" if args == "1" => Some(Bool),
        "tinyint" => Some(SmallInt),
        "text" | "varchar" | "character varying" | "char" | "character" | "tinytext"
        | "mediumtext" | "longtext" | "clob" => Some(Text),
        "boolean" | "bool" => Some(Bool),
        "real" | "float" | "float4" if d != Dialect::Sqlite || base != "real" => Some(Float),
        "real" => Some(Float),
        "double" | "double precision" | "float8" => Some(Double),
        "numeric" | "decimal" => Some(Numeric),
        "date" => Some(Date),
        "time" | "time without time zone" => Some(Time),
        "timestamp" | "timestamp without time zone" | "datetime"
            if !(d == Dialect::Mysql && base == "timestamp") =>
        {
            Some(Timestamp)
        }
        "timestamp" | "timestamp with time zone" | "timestamptz" => Some(Timestamptz),
        "blob" | "bytea" | "varbinary" | "binary" | "longblob" | "mediumblob" | "tinyblob" => {
            Some(Binary)
        }
        "json" => Some(Json),
        "jsonb" => Some(Jsonb),
        "uuid" => Some(Uuid),
        _ => None,
    };
    let kind = match (kind, base) {
        (Some(Text), "char") if d == Dialect::Mysql && length == Some(36) => Some(Uuid),
        (k, _) => k,
    };
    let length = match kind {
        Some(Text) | Some(Binary)
            if matches!(
                base,
                "varchar" | "character varying" | "char" | "character" | "varbinary" | "binary"
            ) =>
        {
            length
        }
        _ => None,
    };
    (kind, length)
}

fn same_kind(d: Dialect, model: ColumnKind, db: ColumnKind) -> bool {
    use ColumnKind::*;
    if model == db {
        return true;
    }
    // Kinds a dialect stores alike: what we render for them reads back as the other.
    match d {
        Dialect::Sqlite => matches!(
            (model, db),
            (Timestamptz, Timestamp) | (Json | Jsonb | Uuid, Text) | (Double, Float)
        ),
        Dialect::Mysql => matches!((model, db), (Jsonb, Json) | (Json | Jsonb, Text)),
        Dialect::Postgres => false,
    }
}

fn type_code(kind: ColumnKind, length: Option<u32>) -> String {
    let name = match kind {
        ColumnKind::SmallInt => "SmallInt",
        ColumnKind::Integer => "Integer",
        ColumnKind::BigInt => "BigInt",
        ColumnKind::Text => "Text",
        ColumnKind::Bool => "Bool",
        ColumnKind::Float => "Float",
        ColumnKind::Double => "Double",
        ColumnKind::Numeric => "Numeric",
        ColumnKind::Date => "Date",
        ColumnKind::Time => "Time",
        ColumnKind::Timestamp => "Timestamp",
        ColumnKind::Timestamptz => "Timestamptz",
        ColumnKind::Binary => "Binary",
        ColumnKind::Json => "Json",
        ColumnKind::Jsonb => "Jsonb",
        ColumnKind::Uuid => "Uuid",
    };
    let name = if kind == ColumnKind::Text && length.is_some() {
        "Varchar"
    } else {
        name
    };
    name.to_owned()
}

fn col_code(name: &str, kind: ColumnKind, length: Option<u32>, nullable: bool) -> String {
    let ty = type_code(kind, length);
    let ty = if nullable {
        format!("Nullable<{ty}>")
    } else {
        ty
    };
    let len = length.map(|n| format!(".length({n})")).unwrap_or_default();
    format!("col::<{ty}>({name:?}){len}")
}

fn set_type_code(kind: ColumnKind, length: Option<u32>) -> String {
    match length {
        Some(n) => format!(
            ".set_column_type(ColumnType {{ kind: ColumnKind::{kind:?}, length: Some({n}), precision: None }})"
        ),
        None => format!(".set_type::<{}>()", type_code(kind, None)),
    }
}

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

fn db_columns_code(d: Dialect, cols: &[ColumnInfo]) -> Vec<(String, String)> {
    cols.iter()
        .map(|c| {
            let (kind, length) = db_kind(d, c);
            (
                c.name.clone(),
                col_code(
                    &c.name,
                    kind.unwrap_or(ColumnKind::Text),
                    length,
                    c.nullable,
                ),
            )
        })
        .collect()
}

/// Compares `models` with the database schema `db` (read with `live::schema`).
pub fn diff(d: Dialect, models: &Models, db: &Schema, renames: &[Rename]) -> Changes {
    let mut ch = Changes::default();
    let renamed_table = |old: &str| {
        renames.iter().find_map(|r| match r {
            Rename::Table(o, n) if o == old => Some(n.clone()),
            _ => None,
        })
    };
    let mut db_tables: BTreeMap<String, &crate::schema::live::TableInfo> =
        db.tables.iter().map(|(k, v)| (k.clone(), v)).collect();
    // Confirmed table renames first: from then on the table is compared under its new name.
    for (old, info) in db.tables.iter() {
        if let Some(new) = renamed_table(old) {
            if models.tables.contains_key(&new) && !db.tables.contains_key(&new) {
                ch.upgrade
                    .push(format!("op.rename_table({old:?}, {new:?});"));
                ch.downgrade
                    .insert(0, format!("op.rename_table({new:?}, {old:?});"));
                ch.summary.push(format!("rename table {old} to {new}"));
                db_tables.remove(old);
                db_tables.insert(new, info);
            }
        }
    }
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
        let mut code = format!("op.create_table({:?})", t.name);
        for c in &t.columns {
            let mut col = col_code(&c.name, c.kind, c.length, c.nullable);
            if t.primary_key.len() == 1 && t.primary_key[0] == c.name {
                col.push_str(".primary_key()");
                if matches!(c.kind, ColumnKind::Integer | ColumnKind::BigInt) {
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
                let pk = models
                    .tables
                    .get(parent)
                    .and_then(|p| p.primary_key.first().cloned())
                    .unwrap_or_else(|| "id".into());
                let _ = write!(code, "\n        .foreign_key(ForeignKey::new([{fk:?}], {parent:?}, [{pk:?}]).name({:?}))", format!("fk_{child}_{fk}"));
            }
        }
        code.push(';');
        if let Some(old) = gone_tables
            .iter()
            .find(|g| same_table_shape(d, t, db_tables[*g]))
        {
            code = format!("// Possible rename of table {old}: pass --rename {old}={} to write a rename instead.\n    {code}", t.name);
        }
        ch.upgrade.push(code);
        ch.downgrade
            .insert(0, format!("op.drop_table({:?});", t.name));
        ch.summary.push(format!("add table {}", t.name));
    }
    for g in &gone_tables {
        let info = db_tables[g];
        ch.upgrade.push(format!("op.drop_table({g:?});"));
        let mut code = format!("op.create_table({g:?})");
        for (_, c) in db_columns_code(d, &info.columns) {
            let _ = write!(code, "\n        .column({c})");
        }
        code.push(';');
        ch.downgrade.insert(0, code);
        ch.summary.push(format!("remove table {g}"));
    }

    for (name, t) in &models.tables {
        let Some(info) = db_tables.get(name) else {
            continue;
        };
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
        // Confirmed column renames.
        for r in renames {
            if let Rename::Column(tbl, old, new) = r {
                if tbl == name {
                    if let (Some(ai), Some(ri)) = (
                        added.iter().position(|c| &c.name == new),
                        removed.iter().position(|c| &c.name == old),
                    ) {
                        added.remove(ai);
                        removed.remove(ri);
                        ch.upgrade.push(format!(
                            "op.alter_column({name:?}, {old:?}).rename_to({new:?});"
                        ));
                        ch.downgrade.insert(
                            0,
                            format!("op.alter_column({name:?}, {new:?}).rename_to({old:?});"),
                        );
                        ch.summary
                            .push(format!("rename column {name}.{old} to {new}"));
                    }
                }
            }
        }
        for c in &added {
            let mut code = format!(
                "op.add_column({name:?}, {});",
                col_code(&c.name, c.kind, c.length, c.nullable)
            );
            if let Some(old) = removed.iter().find(|r| {
                let (k, _) = db_kind(d, r);
                k.is_some_and(|k| same_kind(d, c.kind, k)) && r.nullable == c.nullable
            }) {
                code = format!(
                    "// Possible rename of {name}.{}: pass --rename {name}.{}={} to write a rename instead.\n    {code}",
                    old.name, old.name, c.name
                );
            }
            if !c.nullable {
                code.push_str("\n    // NOT NULL without a default fails on a table that has rows: add .server_default(..) or backfill first.");
            }
            ch.upgrade.push(code);
            ch.downgrade
                .insert(0, format!("op.drop_column({name:?}, {:?});", c.name));
            ch.summary.push(format!("add column {name}.{}", c.name));
        }
        for r in &removed {
            let (kind, length) = db_kind(d, r);
            ch.upgrade
                .push(format!("op.drop_column({name:?}, {:?});", r.name));
            ch.downgrade.insert(
                0,
                format!(
                    "op.add_column({name:?}, {});",
                    col_code(
                        &r.name,
                        kind.unwrap_or(ColumnKind::Text),
                        length,
                        r.nullable
                    )
                ),
            );
            ch.summary.push(format!("remove column {name}.{}", r.name));
        }
        for c in &t.columns {
            let Some(dbc) = info.column(&c.name) else {
                continue;
            };
            let (kind, length) = db_kind(d, dbc);
            let type_differs = match kind {
                Some(k) => {
                    !same_kind(d, c.kind, k)
                        || (c.length.is_some() && length.is_some() && c.length != length)
                }
                None => false,
            };
            if type_differs {
                let k = kind.unwrap_or(ColumnKind::Text);
                ch.upgrade.push(format!(
                    "op.alter_column({name:?}, {:?}){};",
                    c.name,
                    set_type_code(c.kind, c.length)
                ));
                ch.downgrade.insert(
                    0,
                    format!(
                        "op.alter_column({name:?}, {:?}){};",
                        c.name,
                        set_type_code(k, length)
                    ),
                );
                ch.summary.push(format!(
                    "change type of {name}.{} from {} to {}",
                    c.name,
                    dbc.sql_type,
                    type_code(c.kind, c.length)
                ));
            }
            if c.nullable != dbc.nullable {
                ch.upgrade.push(format!(
                    "op.alter_column({name:?}, {:?}).nullable({});",
                    c.name, c.nullable
                ));
                ch.downgrade.insert(
                    0,
                    format!(
                        "op.alter_column({name:?}, {:?}).nullable({});",
                        c.name, dbc.nullable
                    ),
                );
                ch.summary.push(format!(
                    "make {name}.{} {}",
                    c.name,
                    if c.nullable { "nullable" } else { "NOT NULL" }
                ));
            }
        }
        // Foreign keys declared with joinable! that the table lacks.
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
            if !has {
                let pk = models
                    .tables
                    .get(parent)
                    .and_then(|p| p.primary_key.first().cloned())
                    .unwrap_or_else(|| "id".into());
                let fk_name = format!("fk_{child}_{fk}");
                ch.upgrade.push(format!("op.create_foreign_key({fk_name:?}, {child:?}, {parent:?}, [{fk:?}], [{pk:?}]);"));
                ch.downgrade.insert(
                    0,
                    format!(
                        "op.drop_constraint({fk_name:?}, {child:?}, ConstraintKind::ForeignKey);"
                    ),
                );
                ch.summary
                    .push(format!("add foreign key {child}.{fk} -> {parent}.{pk}"));
            }
        }
    }
    ch
}

fn same_table_shape(d: Dialect, t: &ModelTable, info: &crate::schema::live::TableInfo) -> bool {
    t.columns.len() == info.columns.len()
        && t.columns.iter().zip(&info.columns).all(|(m, c)| {
            db_kind(d, c).0.is_some_and(|k| same_kind(d, m.kind, k)) && m.nullable == c.nullable
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"
// @generated automatically by Diesel CLI.
diesel::table! {
    use diesel::sql_types::*;

    users (id) {
        id -> Int4,
        #[max_length = 100]
        name -> Varchar,
        email -> Nullable<Text>,
        #[sql_name = "type"]
        kind -> diesel::sql_types::Integer,
    }
}

diesel::table! {
    memberships (user_id, team_id) {
        user_id -> Integer,
        team_id -> BigInt,
        since -> Nullable<Timestamp>,
    }
}

diesel::joinable!(memberships -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(users, memberships);
"#;

    #[test]
    fn parses_tables_columns_attributes_and_joins() {
        let m = parse_models(SCHEMA).unwrap();
        let u = &m.tables["users"];
        assert_eq!(u.primary_key, ["id"]);
        assert_eq!(
            u.columns[1],
            ModelColumn {
                name: "name".into(),
                kind: ColumnKind::Text,
                length: Some(100),
                nullable: false
            }
        );
        assert!(u.columns[2].nullable);
        assert_eq!(u.columns[3].name, "type");
        assert_eq!(m.tables["memberships"].primary_key, ["user_id", "team_id"]);
        assert_eq!(
            m.joins,
            [(
                "memberships".to_owned(),
                "users".to_owned(),
                "user_id".to_owned()
            )]
        );
    }

    #[test]
    fn joinable_follows_sql_name() {
        let m = parse_models(
            "diesel::table! { #[sql_name = \"app_users\"] users (id) { id -> Integer, } }\n\
             diesel::table! { posts (id) { id -> Integer, #[sql_name = \"author\"] author_id -> Integer, } }\n\
             diesel::joinable!(posts -> users (author_id));",
        )
        .unwrap();
        assert_eq!(
            m.joins,
            [(
                "posts".to_owned(),
                "app_users".to_owned(),
                "author".to_owned()
            )]
        );
    }

    #[test]
    fn bad_schema_is_a_located_error() {
        let e = parse_models("diesel::table! { users (id) { id -> Frobnicate, } }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unsupported SQL type `Frobnicate`"), "{e}");
        assert!(e.contains("schema.rs:1:"), "{e}");
    }

    #[test]
    fn database_types_with_extra_words() {
        let c = |t: &str| ColumnInfo {
            name: "c".into(),
            sql_type: t.into(),
            nullable: true,
            default: None,
        };
        assert_eq!(
            db_kind(Dialect::Mysql, &c("int(10) unsigned auto_increment")).0,
            Some(ColumnKind::Integer)
        );
        assert_eq!(
            db_kind(
                Dialect::Mysql,
                &c("datetime default_generated on update current_timestamp()")
            )
            .0,
            Some(ColumnKind::Timestamp)
        );
        assert_eq!(
            db_kind(Dialect::Postgres, &c("timestamp(3) with time zone")).0,
            Some(ColumnKind::Timestamptz)
        );
        assert_eq!(
            db_kind(Dialect::Postgres, &c("character varying(40)")),
            (Some(ColumnKind::Text), Some(40))
        );
        assert_eq!(
            db_kind(Dialect::Postgres, &c("integer identity")).0,
            Some(ColumnKind::Integer)
        );
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
}
