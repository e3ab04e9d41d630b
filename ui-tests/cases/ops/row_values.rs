// A row of literals is laid out as constant data (see migrate-macros' row.rs);
// a literal `Value::from` would refuse is refused the same way.
use migrate_runtime::prelude::*;

fn rows() -> Vec<Vec<Value>> {
    vec![
        row![1, "fine", true, 2.5],
        row![1, 5u64],
        row!['c'],
        row![-5u8],
        row![None::<u64>],
    ]
}

fn main() {
    let _ = rows;
}
