// An unsuffixed integer in a row is an `i32`, as in `Value::from(3000000000)`;
// the literals are laid out as data, and the lint still reports them.
use migrate_runtime::prelude::*;

fn rows() -> Vec<Vec<Value>> {
    vec![row![1, 3000000000]]
}

fn negative() -> Vec<Value> {
    row![-129i8]
}

fn main() {
    let _ = (rows, negative);
}
