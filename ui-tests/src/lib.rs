//! Compile-fail and pass cases live in `cases/`; `tests/ui.rs` runs them.
