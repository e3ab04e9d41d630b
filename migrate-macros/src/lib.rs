//! Procedural macros of the migration toolkit. Users reach them through
//! `migrate_runtime` (`use migrate_runtime::prelude::*;`), which re-exports them.
//!
//! Each entry point only parses and hands over to a plain module, so the logic can
//! be unit-tested with `proc_macro2` tokens; every mistake becomes a spanned
//! `compile_error!`, never a panic.

#![forbid(unsafe_code)]

mod attr;
mod checksum;
mod collect;
mod expand;
mod names;
mod row;
mod schema;
mod valid;

use proc_macro::TokenStream;

/// Marks the upgrade function of a migration file.
///
/// ```ignore
/// #[migration(revision = "a1b2c3d4e5f6", down_revision = "7f71d8f421e3",
///             message = "add email to users")]
/// fn upgrade(op: &mut Op) -> Result<()> { ... }
///
/// fn downgrade(op: &mut Op) -> Result<()> { ... }
/// ```
///
/// Keys: `revision` (required), `down_revision` (required: a revision or `None`),
/// `message` (else the doc comment), `create_date`, `irreversible` (no downgrade),
/// `transaction = false` (run outside a transaction).
#[proc_macro_attribute]
pub fn migration(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::migration_attribute(args.into(), item.into()).into()
}

/// Marks the downgrade function of a migration file, so that a name in it
/// that is not there at that point of the chain is a compile error at its
/// literal (without it, the error is reported at `embed_migrations!`, with
/// the file, line and column). It changes nothing else: not the function, not
/// the migration's checksum.
///
/// ```ignore
/// #[downgrade]
/// fn downgrade(op: &mut Op) -> Result<()> { ... }
/// ```
#[proc_macro_attribute]
pub fn downgrade(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::downgrade_attribute(args.into(), item.into()).into()
}

/// Collects every migration file of a directory into one verified chain value.
///
/// `embed_migrations!()` reads `migrations/` beside the crate's `Cargo.toml`;
/// `embed_migrations!("db/migrations")` another directory relative to it;
/// `embed_migrations!("fixtures", relative_to = file)` a directory relative to the
/// source file that calls the macro.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let env = collect::Env {
        manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR").map(Into::into),
        caller_file: proc_macro::Span::call_site().local_file(),
    };
    expand::embed_migrations(input.into(), &env).into()
}

/// The error of the schema check at a literal of a migration file (used by
/// the code `embed_migrations!` generates; not for users).
#[doc(hidden)]
#[proc_macro]
pub fn __schema_error(input: TokenStream) -> TokenStream {
    expand::schema_error(input.into()).into()
}

/// The values of `row!`, as constant data when they are all literals (used by
/// `migrate_runtime::row!`; not for users).
#[doc(hidden)]
#[proc_macro]
pub fn __row(input: TokenStream) -> TokenStream {
    row::expand(input.into()).into()
}
