//! Column types both ways: what kind a database's type name is, which kinds a
//! dialect stores alike, and the Rust code that names a kind in a migration.

use crate::dialect::Dialect;
use crate::ops::types::ColumnKind;
use crate::schema::live::ColumnInfo;

/// A database type's name and its parenthesized arguments, lower case:
/// `varchar(255)` is (`varchar`, `255`), `timestamp(3) with time zone` is
/// (`timestamp with time zone`, `3`).
fn type_name(sql_type: &str) -> (String, String) {
    let t = sql_type.to_ascii_lowercase();
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
    match t.find('(') {
        Some(i) => {
            let close = t[i..].find(')').map_or(t.len(), |j| i + j);
            let after = t.get(close + 1..).unwrap_or("").trim();
            let name = if after.is_empty() {
                t[..i].trim().to_owned()
            } else {
                format!("{} {after}", t[..i].trim())
            };
            (name, t[i + 1..close].trim().to_owned())
        }
        None => (t.to_owned(), String::new()),
    }
}

/// The kind and length of a column as the database reports it.
pub fn db_kind(d: Dialect, c: &ColumnInfo) -> (Option<ColumnKind>, Option<u32>) {
    use ColumnKind::*;
    let (base, args) = type_name(&c.sql_type);
    let (base, args) = (base.as_str(), args.as_str());
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

pub(super) fn same_kind(d: Dialect, model: ColumnKind, db: ColumnKind) -> bool {
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

pub(super) fn type_code(kind: ColumnKind, length: Option<u32>) -> String {
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

pub(super) fn col_code(
    name: &str,
    kind: ColumnKind,
    length: Option<u32>,
    nullable: bool,
) -> String {
    let ty = type_code(kind, length);
    let ty = if nullable {
        format!("Nullable<{ty}>")
    } else {
        ty
    };
    let len = length.map(|n| format!(".length({n})")).unwrap_or_default();
    format!("col::<{ty}>({name:?}){len}")
}

pub(super) fn set_type_code(kind: ColumnKind, length: Option<u32>) -> String {
    match length {
        Some(n) => format!(
            ".set_column_type(ColumnType {{ kind: ColumnKind::{kind:?}, length: Some({n}), precision: None }})"
        ),
        None => format!(".set_type::<{}>()", type_code(kind, None)),
    }
}

pub(super) fn db_columns_code(d: Dialect, cols: &[ColumnInfo]) -> Vec<(String, String)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
