//! Literal values: column defaults and bulk-insert rows.

/// A literal value, rendered per dialect with quoting that cannot inject SQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A boolean (`TRUE`/`FALSE`, `1`/`0` on SQLite and MySQL).
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A string.
    Text(String),
    /// Bytes.
    Bytes(Vec<u8>),
}

macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::Int(i64::from(v))
            }
        }
    )*};
}
from_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float(f64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Self {
        Value::Text(v.clone())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A literal of a [`row!`](crate::row) whose values are all literals: the
/// macro lays such a row out as a constant slice of these.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum __Lit {
    /// `NULL` (a `None::<T>`).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(&'static str),
}

/// The `None::<T>` of a literal row: `Null`, for the `T` that `Value::from`
/// accepts in an `Option<T>`.
#[doc(hidden)]
pub const fn __null<T: Into<Value>>() -> __Lit {
    __Lit::Null
}

/// The row of literals a [`row!`](crate::row) laid out as data.
///
/// `extern "C"` because such a function cannot unwind (a panic aborts): the
/// rows of `vec![row![..], ..]` then need no unwind cleanup between them, which
/// was half of what a seed migration still compiled to. Nothing here can panic
/// but an allocation failure, which aborts anyway.
#[doc(hidden)]
#[inline(never)]
#[allow(improper_ctypes_definitions)] // Called from Rust only.
pub extern "C" fn __lit_row(values: &'static [__Lit]) -> Vec<Value> {
    values
        .iter()
        .map(|v| match *v {
            __Lit::Null => Value::Null,
            __Lit::Bool(b) => Value::Bool(b),
            __Lit::Int(i) => Value::Int(i),
            __Lit::Float(f) => Value::Float(f),
            __Lit::Text(s) => Value::Text(s.to_owned()),
        })
        .collect()
}

/// Builds one bulk-insert row: `row![1, "Two Sum", None::<&str>]`; each value
/// goes through `Value::from`.
#[macro_export]
macro_rules! row {
    ($($v:expr),* $(,)?) => {
        $crate::__private::__row!($crate; $($v),*)
    };
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn row_converts_each_value_as_value_from_does() {
        let owned = String::from("owned");
        let row = crate::row![
            1,
            2i64,
            1.5,
            true,
            "text",
            owned.clone(),
            &owned,
            None::<&str>,
            Some(7u8),
            vec![1u8, 2],
        ];
        assert_eq!(
            row,
            vec![
                Value::Int(1),
                Value::Int(2),
                Value::Float(1.5),
                Value::Bool(true),
                Value::Text("text".into()),
                Value::Text("owned".into()),
                Value::Text("owned".into()),
                Value::Null,
                Value::Int(7),
                Value::Bytes(vec![1, 2]),
            ]
        );
        assert_eq!(crate::row![], Vec::<Value>::new());
        // All literals: laid out as constant data, converted the same way.
        assert_eq!(
            crate::row![
                5,
                -5,
                7u8,
                -2_147_483_648,
                0x10i64,
                1.5,
                0.1,
                -2.5f32,
                0.1f32,
                3f64,
                3f32,
                true,
                "x\n\u{e9}",
                r#"raw "q""#,
                None::<&str>,
                None::<i64>,
            ],
            vec![
                Value::from(5),
                Value::from(-5),
                Value::from(7u8),
                Value::from(-2_147_483_648),
                Value::from(0x10i64),
                Value::from(1.5),
                Value::from(0.1),
                Value::from(-2.5f32),
                Value::from(0.1f32),
                Value::from(3f64),
                Value::from(3f32),
                Value::from(true),
                Value::from("x\n\u{e9}"),
                Value::from(r#"raw "q""#),
                Value::from(None::<&str>),
                Value::from(None::<i64>),
            ]
        );
        assert_eq!(
            crate::row!["trailing",],
            vec![Value::Text("trailing".into())]
        );
    }
}
