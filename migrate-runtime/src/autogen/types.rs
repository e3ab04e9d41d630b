//! Column types both ways: what kind a database's type name is, which kinds a
//! dialect stores alike, and the Rust code that names a kind in a migration.

use crate::dialect::Dialect;
use crate::ops::types::{ColumnKind, ColumnType};
use crate::schema::live::{ColumnInfo, TableInfo};

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

/// The type as the database reports it, without the words that are not the
/// type (PostgreSQL's identity mark, MySQL's `auto_increment`).
pub(super) fn live_type(d: Dialect, c: &ColumnInfo) -> String {
    // PostgreSQL prints built-in types in lower case and a type of the
    // user's as it is named (`"OrderStatus"`): kept as printed.
    if d == Dialect::Postgres {
        return c.sql_type.trim_end_matches(" identity").to_owned();
    }
    let t = c.sql_type.to_ascii_lowercase();
    match d {
        Dialect::Postgres => t,
        Dialect::Mysql => t.replace(" auto_increment", "").trim().to_owned(),
        Dialect::Sqlite => t,
    }
}

/// How the database spells the type we render for `ty`: what a typed
/// column must read back as to recreate the live one exactly.
pub(super) fn reported(d: Dialect, ty: &ColumnType, autoincrement_pk: bool) -> Vec<String> {
    let r = crate::sql::column_type(d, ty, autoincrement_pk).to_ascii_lowercase();
    let r = r.replace(", ", ",");
    match d {
        Dialect::Sqlite => {
            vec![crate::sql::column_type(d, ty, autoincrement_pk).to_ascii_lowercase()]
        }
        Dialect::Postgres => vec![match r.as_str() {
            "timestamp" => "timestamp without time zone".to_owned(),
            "timestamptz" => "timestamp with time zone".to_owned(),
            "time" => "time without time zone".to_owned(),
            other => match other.strip_prefix("varchar(") {
                Some(rest) => format!("character varying({rest}"),
                None => other.to_owned(),
            },
        }],
        // MariaDB prints integer display widths, MySQL 8 does not.
        Dialect::Mysql => match r.as_str() {
            "int" => vec!["int(11)".into(), "int".into()],
            "smallint" => vec!["smallint(6)".into(), "smallint".into()],
            "bigint" => vec!["bigint(20)".into(), "bigint".into()],
            "bool" => vec!["tinyint(1)".into()],
            "decimal" => vec!["decimal(10,0)".into()],
            "json" => vec!["longtext".into(), "json".into()],
            other => vec![other.to_owned()],
        },
    }
}

/// `p,s` of `numeric(p,s)`.
pub(super) fn precision(t: &str) -> Option<(u32, u32)> {
    let args = t.split_once('(')?.1.split_once(')')?.0;
    let (p, s) = args.split_once(',').unwrap_or((args, "0"));
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
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
    // Kinds a dialect stores alike, or that diesel's own name for the database's
    // type (what `diesel print-schema` writes) maps to: `model` is what the user
    // wrote in `table!`, `db` what [`db_kind`] read.
    match d {
        // SQLite keeps the declared name but stores by affinity: REAL for both
        // floats, text for dates, JSON and UUIDs.
        Dialect::Sqlite => matches!(
            (model, db),
            (Timestamptz, Timestamp)
                | (Timestamp, Timestamptz)
                | (Json | Jsonb | Uuid, Text)
                | (Double, Float)
                | (Float, Double)
        ),
        // diesel's `Timestamp` is MySQL's TIMESTAMP (print-schema writes it for
        // one) as well as DATETIME (its `Datetime`); `Char` with `max_length = 36`
        // is the CHAR(36) our `Uuid` renders; MariaDB stores JSON as LONGTEXT.
        Dialect::Mysql => matches!(
            (model, db),
            (Timestamp, Timestamptz) | (Text, Uuid) | (Jsonb, Json) | (Json | Jsonb, Text)
        ),
        Dialect::Postgres => false,
    }
}

/// Whether `c` is SQLite's rowid: the table's one primary key column, declared
/// INTEGER. We render every integer kind's autoincrement key so, and SQLite
/// stores every integer in 64 bits, so any integer model matches it.
pub(super) fn sqlite_rowid(d: Dialect, t: &TableInfo, c: &ColumnInfo) -> bool {
    let keys: Vec<&String> = t
        .constraints
        .iter()
        .filter(|k| k.starts_with("primary key column "))
        .collect();
    d == Dialect::Sqlite
        && c.sql_type == "integer"
        && keys.len() == 1
        && keys[0].ends_with(&format!(": {}", c.name))
}

/// The typed column type that recreates `c` (kind, length, precision), and
/// whether it does so exactly (renders a type the database reports as `c`'s).
/// MariaDB's JSON is a LONGTEXT with a `json_valid` check, which `t` tells.
pub(super) fn db_column_type(
    d: Dialect,
    t: &TableInfo,
    c: &ColumnInfo,
) -> Option<(ColumnType, bool)> {
    let (kind, length) = db_kind(d, c);
    let mut kind = kind?;
    let live = live_type(d, c);
    if d == Dialect::Mysql
        && kind == ColumnKind::Text
        && live == "longtext"
        && t.constraints
            .contains(&format!("{0}: CHECK (json_valid(`{0}`))", c.name))
    {
        kind = ColumnKind::Json;
    }
    let ty = ColumnType {
        kind,
        length,
        precision: if kind == ColumnKind::Numeric {
            precision(&live)
        } else {
            None
        },
    };
    let exact = reported(d, &ty, sqlite_rowid(d, t, c)).contains(&live);
    Some((ty, exact))
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

/// `col::<T>("name")` with its length and precision, for a column of type `ty`.
pub(super) fn col_code(name: &str, ty: &ColumnType, nullable: bool) -> String {
    let code = type_code(ty.kind, ty.length);
    let code = if nullable {
        format!("Nullable<{code}>")
    } else {
        code
    };
    let len = ty
        .length
        .map(|n| format!(".length({n})"))
        .unwrap_or_default();
    let prec = ty
        .precision
        .map(|(p, s)| format!(".precision({p}, {s})"))
        .unwrap_or_default();
    format!("col::<{code}>({name:?}){len}{prec}")
}

/// `.set_type::<T>()`, or `.set_column_type(..)` when a length or precision goes with it.
pub(super) fn set_type_code(ty: &ColumnType) -> String {
    if ty.length.is_none() && ty.precision.is_none() {
        return format!(".set_type::<{}>()", type_code(ty.kind, None));
    }
    let opt = |v: Option<String>| v.map_or("None".to_owned(), |v| format!("Some({v})"));
    format!(
        ".set_column_type(ColumnType {{ kind: ColumnKind::{:?}, length: {}, precision: {} }})",
        ty.kind,
        opt(ty.length.map(|n| n.to_string())),
        opt(ty.precision.map(|(p, s)| format!("({p}, {s})")))
    )
}

/// A column of the database as migration code that recreates it, and a note
/// (a comment for the written file) when no typed column recreates its type
/// exactly: the code then names the nearest one, and the user decides.
pub(super) fn db_column_code(
    d: Dialect,
    t: &TableInfo,
    c: &ColumnInfo,
) -> (String, Option<String>) {
    let live = live_type(d, c);
    match db_column_type(d, t, c) {
        Some((ty, true)) => (col_code(&c.name, &ty, c.nullable), None),
        Some((ty, false)) => {
            let rendered = crate::sql::column_type(d, &ty, false).to_ascii_lowercase();
            (
                col_code(&c.name, &ty, c.nullable),
                Some(format!(
                    "// {} is {live} in the database; this recreates it as {rendered}: edit it if that matters.",
                    c.name
                )),
            )
        }
        None => (
            col_code(&c.name, &ColumnType::of(ColumnKind::Text), c.nullable),
            Some(format!(
                "// {} is {live} in the database, which no typed column is: this recreates it as text; edit it.",
                c.name
            )),
        ),
    }
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
