//! Helpers for proving in `cargo test` that migrations round-trip. (Grows with the round-trip issue.)
