//! Column types: diesel's SQL types, mapped to each dialect's DDL.
//!
//! A migration names a column's type with the same marker type a diesel schema
//! uses (`Integer`, `Text`, `Nullable<Timestamp>`, ...). The type also fixes the
//! Rust type of the column's default value, so a default of the wrong type does
//! not compile:
//!
//! ```compile_fail
//! use migrate_runtime::prelude::*;
//! let c = col::<Integer>("age").default("forty-two");
//! ```

pub use diesel::sql_types::{
    BigInt, Binary, Bool, Date, Double, Float, Integer, Json, Jsonb, Nullable, Numeric, SmallInt,
    Text, Time, Timestamp, VarChar, Varchar,
};

use crate::ops::value::Value;

/// An instant: PostgreSQL `TIMESTAMPTZ`; MySQL's `TIMESTAMP` (stored in UTC,
/// converted by the session's time zone); `TIMESTAMP` on SQLite. diesel's own
/// `Timestamp` is `DATETIME` on MySQL: a wall-clock value, never converted.
///
/// diesel defines this type for PostgreSQL only; this marker works with every backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timestamptz;

/// A UUID (PostgreSQL `UUID`; `CHAR(36)` on MySQL, text on SQLite).
///
/// diesel defines this type for PostgreSQL only; this marker works with every backend.
#[derive(Debug, Clone, Copy, Default)]
pub struct Uuid;

/// The dialect-independent kind of a column, as an operation stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// 16-bit integer.
    SmallInt,
    /// 32-bit integer.
    Integer,
    /// 64-bit integer.
    BigInt,
    /// Text; `VARCHAR(n)` when a length is given.
    Text,
    /// Boolean.
    Bool,
    /// 32-bit float.
    Float,
    /// 64-bit float.
    Double,
    /// Exact decimal; `NUMERIC(p, s)` when precision is given.
    Numeric,
    /// Calendar date.
    Date,
    /// Time of day.
    Time,
    /// Date and time without time zone (MySQL `DATETIME`).
    Timestamp,
    /// Date and time with time zone (MySQL `TIMESTAMP`).
    Timestamptz,
    /// Bytes; `VARBINARY(n)` when a length is given.
    Binary,
    /// JSON document.
    Json,
    /// Binary JSON (PostgreSQL `JSONB`; `JSON` elsewhere).
    Jsonb,
    /// UUID.
    Uuid,
}

/// A full column type: its kind plus length or precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ColumnType {
    /// The kind.
    pub kind: ColumnKind,
    /// `VARCHAR(n)` / `VARBINARY(n)` length.
    pub length: Option<u32>,
    /// `NUMERIC(precision, scale)`.
    pub precision: Option<(u32, u32)>,
}

impl ColumnType {
    /// A type of `kind` without length or precision.
    pub const fn of(kind: ColumnKind) -> Self {
        ColumnType {
            kind,
            length: None,
            precision: None,
        }
    }
}

/// A SQL type usable as a column type in a migration.
///
/// Implemented for diesel's SQL types and [`Nullable`] of them.
pub trait SqlColumnType {
    /// The column kind it maps to.
    const KIND: ColumnKind;
    /// Whether the column accepts NULL.
    const NULLABLE: bool = false;
}

/// The Rust values accepted as a typed default (or bulk-insert value) of a column of type `T`.
///
/// `col::<Integer>("n").default(5)` compiles; `.default("five")` does not.
pub trait DefaultFor<T> {
    /// The literal to render.
    fn into_value(self) -> Value;
}

macro_rules! sql_type {
    ($ty:ty => $kind:ident: $($rust:ty),*) => {
        impl SqlColumnType for $ty {
            const KIND: ColumnKind = ColumnKind::$kind;
        }
        $(
            impl DefaultFor<$ty> for $rust {
                fn into_value(self) -> Value {
                    Value::from(self)
                }
            }
        )*
    };
}

sql_type!(SmallInt => SmallInt: i16);
sql_type!(Integer => Integer: i32);
sql_type!(BigInt => BigInt: i64);
sql_type!(Text => Text: &str, String);
sql_type!(Bool => Bool: bool);
sql_type!(Float => Float: f32);
sql_type!(Double => Double: f64);
sql_type!(Date => Date: );
sql_type!(Time => Time: );
sql_type!(Timestamp => Timestamp: );
sql_type!(Timestamptz => Timestamptz: );
sql_type!(Binary => Binary: Vec<u8>, &[u8]);
sql_type!(Json => Json: );
sql_type!(Jsonb => Jsonb: );
sql_type!(Uuid => Uuid: );
sql_type!(Numeric => Numeric: );

/// A literal written as text for types whose values have no single Rust type in
/// this crate (dates, times, decimals, JSON, UUIDs): `Literal("2026-01-01")`.
/// It is rendered as a quoted SQL string, which every dialect converts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal(pub &'static str);

macro_rules! literal_type {
    ($($ty:ty),*) => {$(
        impl DefaultFor<$ty> for Literal {
            fn into_value(self) -> Value {
                Value::Text(self.0.to_owned())
            }
        }
    )*};
}
literal_type!(
    Date,
    Time,
    Timestamp,
    Timestamptz,
    Json,
    Jsonb,
    Uuid,
    Numeric
);

impl<T: SqlColumnType> SqlColumnType for Nullable<T> {
    const KIND: ColumnKind = T::KIND;
    const NULLABLE: bool = true;
}

impl<T, V: DefaultFor<T>> DefaultFor<Nullable<T>> for Option<V> {
    fn into_value(self) -> Value {
        match self {
            Some(v) => v.into_value(),
            None => Value::Null,
        }
    }
}

#[cfg(feature = "postgres")]
impl SqlColumnType for diesel::sql_types::Timestamptz {
    const KIND: ColumnKind = ColumnKind::Timestamptz;
}

#[cfg(feature = "postgres")]
impl SqlColumnType for diesel::sql_types::Uuid {
    const KIND: ColumnKind = ColumnKind::Uuid;
}
