//! Every chain and attribute error the macros report, as the compiler shows it.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p ui-tests`
//! and review the diff.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("cases/chain/*.rs");
    t.compile_fail("cases/attr/*.rs");
    t.compile_fail("cases/ops/*.rs");
    t.compile_fail("cases/schema/*.rs");
    t.pass("cases/pass/*.rs");
}
