//! Reading diesel's `table!` and `joinable!` declarations from a `schema.rs`
//! with syn: the models autogenerate compares with the database.

use std::collections::BTreeMap;

use syn::parse::{Parse, ParseStream};
use syn::{braced, parenthesized, Token};

use crate::error::Error;
use crate::error::Result;
use crate::ops::types::ColumnKind;

/// A column as `table!` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelColumn {
    /// Column name (`#[sql_name]` applied).
    pub name: String,
    /// Its kind; `None` for a type migrate has none for (a PostgreSQL
    /// `Array<_>`, a custom type from `sql_types`, `Interval`, ...), which is
    /// compared by the column's name and nullability only.
    pub kind: Option<ColumnKind>,
    /// The type as schema.rs writes it, without `Nullable<_>` (`Array<Text>`,
    /// `crate::schema::sql_types::Mood`): for messages.
    pub written: String,
    /// `#[max_length = n]`.
    pub length: Option<u32>,
    /// `Nullable<_>`.
    pub nullable: bool,
    /// MySQL's `Unsigned<_>`.
    pub unsigned: bool,
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

/// The kind of a diesel SQL type by its name: the names `diesel print-schema`
/// writes on each backend (PostgreSQL's `Int4`, MySQL's `Datetime` and
/// `Tinyint`, SQLite's `TimestamptzSqlite`) and their aliases.
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

/// A column's SQL type as `table!` gives it.
#[derive(Debug, Clone)]
struct Parsed {
    kind: Option<ColumnKind>,
    nullable: bool,
    unsigned: bool,
    written: String,
}

/// A type path as written: `Array<Text>`, `crate::schema::sql_types::Mood`.
fn written(p: &syn::TypePath) -> String {
    let mut out = String::new();
    for (i, s) in p.path.segments.iter().enumerate() {
        if i > 0 || p.path.leading_colon.is_some() {
            out.push_str("::");
        }
        out.push_str(&s.ident.to_string());
        if let syn::PathArguments::AngleBracketed(a) = &s.arguments {
            let args: Vec<String> = a
                .args
                .iter()
                .map(|g| match g {
                    syn::GenericArgument::Type(syn::Type::Path(t)) => written(t),
                    _ => "_".to_owned(),
                })
                .collect();
            out.push_str(&format!("<{}>", args.join(", ")));
        }
    }
    out
}

/// Parses `Nullable<diesel::sql_types::Integer>` (and MySQL's `Unsigned<_>`
/// inside or outside it).
fn parse_type(ty: &syn::Type) -> syn::Result<Parsed> {
    let syn::Type::Path(p) = ty else {
        return Err(syn::Error::new_spanned(ty, "expected a diesel SQL type"));
    };
    let Some(last) = p.path.segments.last() else {
        return Err(syn::Error::new_spanned(ty, "expected a diesel SQL type"));
    };
    let name = last.ident.to_string();
    // diesel's MySQL `Unsigned<Integer>`: the kind is the inner one (the
    // database's `int unsigned` reads as that kind too), and it is unsigned.
    if name == "Unsigned" {
        if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
            if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                return parse_type(inner).map(|p| Parsed {
                    unsigned: true,
                    ..p
                });
            }
        }
        return Err(syn::Error::new_spanned(
            ty,
            "Unsigned needs a type argument",
        ));
    }
    if name == "Nullable" {
        if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
            if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                return parse_type(inner).map(|p| Parsed {
                    nullable: true,
                    ..p
                });
            }
        }
        return Err(syn::Error::new_spanned(
            ty,
            "Nullable needs a type argument",
        ));
    }
    // Any other type (an array, a custom type, one migrate has no kind for)
    // is a column all the same: its name and nullability still compare.
    let written = written(p);
    Ok(Parsed {
        kind: if last.arguments.is_none() {
            kind_of(&name)
        } else {
            None
        },
        nullable: false,
        unsigned: false,
        written,
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
            tables.push(parse_table(input)?);
        }
        Ok(TableMacro(tables))
    }
}

/// One `[#[sql_name = ".."]] [schema.]name [(keys)] { columns }`.
fn parse_table(input: ParseStream) -> syn::Result<(ModelTable, String, BTreeMap<String, String>)> {
    let attrs = input.call(syn::Attribute::parse_outer)?;
    let mut name: syn::Ident = input.parse()?;
    if input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        name = input.parse()?;
    }
    let mut table_name = syn::ext::IdentExt::unraw(&name).to_string();
    if let Some(syn::Lit::Str(s)) = attr_value(&attrs, "sql_name") {
        table_name = s.value();
    }
    let mut primary_key = Vec::new();
    if input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in input);
        let keys = content.parse_terminated(syn::Ident::parse, Token![,])?;
        primary_key = keys
            .iter()
            .map(|k| syn::ext::IdentExt::unraw(k).to_string())
            .collect();
    }
    let body;
    braced!(body in input);
    let mut columns = Vec::new();
    let mut renames: BTreeMap<String, String> = BTreeMap::new();
    while !body.is_empty() {
        columns.push(parse_column(&body, &mut renames)?);
    }
    if primary_key.is_empty() {
        primary_key.push("id".to_owned());
    }
    // The key names Rust column names; the table's are the SQL ones.
    let primary_key = primary_key
        .into_iter()
        .map(|k| renames.get(&k).cloned().unwrap_or(k))
        .collect();
    let table = ModelTable {
        name: table_name,
        primary_key,
        columns,
    };
    Ok((table, name.to_string(), renames))
}

/// One `[#[..]] name -> Type,`, noting a `#[sql_name]` in `renames`.
fn parse_column(
    body: ParseStream,
    renames: &mut BTreeMap<String, String>,
) -> syn::Result<ModelColumn> {
    let attrs = body.call(syn::Attribute::parse_outer)?;
    let col: syn::Ident = body.parse()?;
    body.parse::<Token![->]>()?;
    let ty: syn::Type = body.parse()?;
    if !body.is_empty() {
        body.parse::<Token![,]>()?;
    }
    let Parsed {
        kind,
        nullable,
        unsigned,
        written,
    } = parse_type(&ty)?;
    // `r#type` names the column `type`.
    let mut name = syn::ext::IdentExt::unraw(&col).to_string();
    if let Some(syn::Lit::Str(s)) = attr_value(&attrs, "sql_name") {
        renames.insert(name.clone(), s.value());
        name = s.value();
    }
    let length = match attr_value(&attrs, "max_length") {
        Some(syn::Lit::Int(i)) => i.base10_parse().ok(),
        _ => None,
    };
    Ok(ModelColumn {
        name,
        kind,
        written,
        length,
        nullable,
        unsigned,
    })
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

/// Whether `attrs` hold `#[cfg(test)]` (not `cfg(not(test))`, which is the
/// application's).
fn for_tests(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta
                .require_list()
                .is_ok_and(|l| l.tokens.to_string() == "test")
    })
}

/// Parses the `table!` and `joinable!` declarations of a `schema.rs` with syn.
pub fn parse_models(text: &str) -> Result<Models> {
    let file = syn::parse_file(text)
        .map_err(|e| Error::SchemaFile(format!("cannot parse schema.rs: {e}")))?;
    let mut models = Models::default();
    // joinable! names tables and columns by their Rust names; #[sql_name] maps them.
    let mut rust_names: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    let mut joins = Vec::new();
    // `diesel print-schema --schema NAME` wraps its declarations in
    // `pub mod NAME { .. }`, and a hand-written schema.rs may too: the
    // declarations of inline modules count as the file's own, except in a
    // `#[cfg(test)]` module (tables for tests, not the application's).
    let mut items: Vec<&syn::Item> = Vec::new();
    let mut todo: Vec<&syn::Item> = file.items.iter().rev().collect();
    while let Some(item) = todo.pop() {
        match item {
            syn::Item::Mod(m) if for_tests(&m.attrs) => {}
            syn::Item::Mod(syn::ItemMod {
                content: Some((_, inner)),
                ..
            }) => todo.extend(inner.iter().rev()),
            other => items.push(other),
        }
    }
    for item in items {
        let syn::Item::Macro(m) = item else { continue };
        let Some(name) = m.mac.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let located = |e: syn::Error| {
            let at = e.span().start();
            Error::SchemaFile(format!("schema.rs:{}:{}: {e}", at.line, at.column + 1))
        };
        match name.as_str() {
            "table" => {
                let t: TableMacro = m.mac.parse_body().map_err(located)?;
                for (table, rust_name, columns) in t.0 {
                    // Two schemas' tables of one name (`a.users`, `b.users`)
                    // would be compared as one: refused rather than one lost.
                    if models.tables.contains_key(&table.name) {
                        return Err(Error::SchemaFile(format!(
                            "schema.rs declares table {} twice (tables of other PostgreSQL schemas are not compared; leave them out of this file)",
                            table.name
                        )));
                    }
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
    fn unsigned_is_kept_inside_and_outside_nullable() {
        let m = parse_models(
            "diesel::table! { t (id) { id -> Unsigned<Integer>, n -> Nullable<Unsigned<BigInt>>, s -> Integer, } }",
        )
        .unwrap();
        let c = &m.tables["t"].columns;
        assert!(c[0].unsigned && !c[0].nullable && c[0].kind == Some(ColumnKind::Integer));
        assert!(c[1].unsigned && c[1].nullable && c[1].kind == Some(ColumnKind::BigInt));
        assert!(!c[2].unsigned);
    }

    #[test]
    fn parses_tables_columns_attributes_and_joins() {
        let m = parse_models(SCHEMA).unwrap();
        let u = &m.tables["users"];
        assert_eq!(u.primary_key, ["id"]);
        assert_eq!(
            u.columns[1],
            ModelColumn {
                name: "name".into(),
                kind: Some(ColumnKind::Text),
                written: "Varchar".into(),
                length: Some(100),
                nullable: false,
                unsigned: false,
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
    fn declarations_inside_modules_count() {
        // As `diesel print-schema --schema app` writes it.
        let m = parse_models(
            "pub mod app {\n\
             pub mod sql_types {}\n\
             diesel::table! { app.users (id) { id -> Int4, } }\n\
             diesel::table! { app.posts (id) { id -> Int4, user_id -> Int4, } }\n\
             diesel::joinable!(posts -> users (user_id));\n\
             }\n\
             diesel::table! { top (id) { id -> Int4, } }\n\
             #[cfg(test)] mod tests { diesel::table! { fixture (id) { id -> Int4, } } }\n\
             #[cfg(not(test))] mod real { diesel::table! { kept (id) { id -> Int4, } } }",
        )
        .unwrap();
        assert_eq!(
            m.tables.keys().collect::<Vec<_>>(),
            ["kept", "posts", "top", "users"]
        );
        assert_eq!(
            m.joins,
            [("posts".to_owned(), "users".to_owned(), "user_id".to_owned())]
        );
    }

    #[test]
    fn one_table_name_twice_is_refused() {
        let e = parse_models(
            "pub mod a { diesel::table! { a.users (id) { id -> Int4, } } }\n\
             pub mod b { diesel::table! { b.users (id) { id -> Int4, } } }",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("declares table users twice"), "{e}");
    }

    #[test]
    fn bad_schema_is_a_located_error() {
        let e = parse_models("diesel::table! { users (id) { id -> [u8; 4], } }")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected a diesel SQL type"), "{e}");
        assert!(e.contains("schema.rs:1:"), "{e}");
    }

    #[test]
    fn arrays_and_custom_types_are_columns_without_a_kind() {
        let m = parse_models(
            r#"
pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "mood"))]
    pub struct Mood;
}
diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Mood;

    people (id) {
        id -> Int4,
        tags -> Array<Nullable<Text>>,
        mood -> Nullable<Mood>,
        during -> Interval,
    }
}
"#,
        )
        .unwrap();
        let c = &m.tables["people"].columns;
        assert_eq!(c[0].kind, Some(ColumnKind::Integer));
        assert_eq!(
            (c[1].kind, c[1].written.as_str(), c[1].nullable),
            (None, "Array<Nullable<Text>>", false)
        );
        assert_eq!(
            (c[2].kind, c[2].written.as_str(), c[2].nullable),
            (None, "Mood", true)
        );
        assert_eq!((c[3].kind, c[3].written.as_str()), (None, "Interval"));
    }
}
