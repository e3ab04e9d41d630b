//! Code generation for `#[migration]` and `embed_migrations!`.
//!
//! How chain errors reach the offending attribute: the collector reads every file
//! and validates the chain, then defines a local `macro_rules!
//! __migrate_chain_check` *before* including the files as modules. Each
//! `#[migration]` expansion invokes that macro with its own revision, spanned at the
//! `revision` or `down_revision` value it wrote. An arm that expands to
//! `compile_error!` therefore reports the chain error at the attribute in the
//! migration file, not at the collector call.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Token};

use crate::attr;
use crate::collect::{self, Env, MigrationFile};
use crate::valid;

const CHECK_MACRO: &str = "__migrate_chain_check";
/// The macro `#[downgrade]` calls with the function's literals: defined by
/// `embed_migrations!` before each migration's module, for that migration.
const DOWN_MACRO: &str = "__migrate_downgrade_of";

/// Expands `#[migration(args)] item`.
pub fn migration_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "#[migration] goes on the upgrade function of a migration file: fn upgrade(op: &mut Op) -> Result<()>",
            )
            .into_compile_error();
            // Keep the item so the user sees this one error, not a cascade.
            return quote!(#item #err);
        }
    };
    let parsed = match attr::parse_args(args, Span::call_site()) {
        Ok(a) => a,
        Err(e) => {
            let err = e.into_compile_error();
            return quote!(#func #err);
        }
    };

    let check = syn::Ident::new(CHECK_MACRO, Span::call_site());
    let ident = &func.sig.ident;
    let rev = &parsed.revision.value;
    // `compile_error` travels with the span of the value it is about, so that
    // an error arm reports at that value in the migration file.
    let rev_check = {
        let s = parsed.revision.span;
        let check = syn::Ident::new(CHECK_MACRO, s);
        let ce = syn::Ident::new("compile_error", s);
        quote_spanned!(s=> #check!{ #ce revision #rev })
    };
    let down_check = {
        let s = parsed.down_revision.span;
        let check = syn::Ident::new(CHECK_MACRO, s);
        let ce = syn::Ident::new("compile_error", s);
        quote_spanned!(s=> #check!{ #ce down_revision #rev })
    };
    let upgrade_const = quote_spanned! {ident.span()=>
        #[doc(hidden)]
        #[allow(dead_code)]
        pub(crate) const __MIGRATE_UPGRADE: ::migrate_runtime::__private::MigrationFn = #ident;
    };
    // The schema check: the collector files an arm under this revision with
    // the errors at its literals (see `crate::schema`); each literal is passed
    // with its span, so that the error is reported there.
    let schema_check = {
        let lits = crate::schema::literals(&func);
        let rev_lit = LitStr::new(rev, parsed.revision.span);
        quote!(#check!{ schema #rev #rev_lit [ #(#lits)* ] })
    };
    // Each name too long for PostgreSQL or MySQL, at its literal.
    let long_names = long_name_errors(&func);
    quote! {
        #func
        #upgrade_const
        #rev_check
        #down_check
        #check!{ compile_error downgrade #rev }
        #schema_check
        #(#long_names)*
    }
}

/// Expands `#[downgrade]` on `item`: the function as it is, and its string
/// literals handed to the collector's check, which reports the schema errors
/// it found in the function at them; and the names too long for a database.
pub fn downgrade_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = syn::Error::new(
                e.span(),
                "#[downgrade] goes on the migration's downgrade function: `fn downgrade(op: &mut Op) -> Result<()>`",
            )
            .into_compile_error();
            return quote!(#item #err);
        }
    };
    if let Some(t) = args.into_iter().next() {
        let err = syn::Error::new(t.span(), "#[downgrade] takes no arguments").into_compile_error();
        return quote!(#func #err);
    }
    if func.sig.ident != "downgrade" {
        let err = syn::Error::new(
            func.sig.ident.span(),
            format!(
                "#[downgrade] marks the function named `downgrade`, the one the migration runs to revert; this one is `{}`",
                func.sig.ident
            ),
        )
        .into_compile_error();
        return quote!(#func #err);
    }
    let down = syn::Ident::new(DOWN_MACRO, Span::call_site());
    let lits = crate::schema::literals(&func);
    let long_names = long_name_errors(&func);
    quote! {
        #func
        #down!{ #(#lits)* }
        #(#long_names)*
    }
}

/// Each name of `func` too long for PostgreSQL or MySQL, as an error at its literal.
fn long_name_errors(func: &syn::ItemFn) -> Vec<TokenStream> {
    crate::names::too_long(func)
        .into_iter()
        .map(|lit| syn::Error::new(lit.span(), crate::names::message(&lit)).into_compile_error())
        .collect()
}

/// The input of `embed_migrations!`: `()`, `("dir")`, `("dir", relative_to = file)`.
struct EmbedInput {
    dir: Option<LitStr>,
    relative_to_file: bool,
}

impl Parse for EmbedInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut out = EmbedInput {
            dir: None,
            relative_to_file: false,
        };
        if input.is_empty() {
            return Ok(out);
        }
        out.dir = Some(input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected the migrations directory as a string literal, e.g. embed_migrations!(\"migrations\")",
            )
        })?);
        if input.is_empty() {
            return Ok(out);
        }
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            return Ok(out);
        }
        let key: syn::Ident = input.parse()?;
        if key != "relative_to" {
            return Err(syn::Error::new(
                key.span(),
                format!("unknown option `{key}`, expected `relative_to = manifest` or `relative_to = file`"),
            ));
        }
        input.parse::<Token![=]>()?;
        let value: syn::Ident = input.parse()?;
        out.relative_to_file = match value.to_string().as_str() {
            "file" => true,
            "manifest" => false,
            _ => {
                return Err(syn::Error::new(
                    value.span(),
                    "expected `relative_to = manifest` (the default: beside Cargo.toml) or `relative_to = file` (beside this source file)",
                ))
            }
        };
        let _ = input.parse::<Option<Token![,]>>()?;
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the options"));
        }
        Ok(out)
    }
}

/// Expands `embed_migrations!(input)`.
pub fn embed_migrations(input: TokenStream, env: &Env) -> TokenStream {
    match embed(input, env) {
        Ok(ts) => ts,
        Err(e) => {
            let err = e.into_compile_error();
            quote!({ #err ::migrate_runtime::__private::Chain::__invalid() })
        }
    }
}

fn embed(input: TokenStream, env: &Env) -> syn::Result<TokenStream> {
    let input: EmbedInput = syn::parse2(input)?;
    let span = input.dir.as_ref().map_or(Span::call_site(), |d| d.span());
    let display_dir = input
        .dir
        .as_ref()
        .map_or_else(|| "migrations".to_owned(), |d| d.value());
    let dir = migrations_dir(&input, &display_dir, env, span)?;

    let mut problems = Vec::new();
    let files = collect::read_dir(&dir, &display_dir, &mut problems)
        .map_err(|msg| syn::Error::new(span, msg))?;
    if let Some(manifest_dir) = &env.manifest_dir {
        if let Some(msg) = collect::check_tracking(manifest_dir, &dir) {
            problems.push(msg);
        }
    }
    if files.is_empty() && problems.is_empty() {
        // A new service: no migration yet. The chain is empty, so the crate
        // builds and its `migrate revision -m "initial"` can write the first
        // (the command says so when it runs on an empty chain). Only with
        // the build.rs line: without it the first file would not rebuild.
        let value = chain_value(&[], &[], &dir);
        return Ok(quote!({ #value }));
    }
    let modules = modules(&files, span)?;

    let all_declared = files.iter().all(|f| f.decl.is_some());
    let mut arms: BTreeMap<(&'static str, String), Vec<String>> = BTreeMap::new();
    let mut order = Vec::new();
    if all_declared && problems.is_empty() {
        let decls: Vec<&collect::Declared> = files.iter().filter_map(|f| f.decl.as_ref()).collect();
        if let Some(o) = valid::chain_errors(&files, &decls, &mut arms) {
            order = o;
        }
    }
    let schema_arms = if order.is_empty() {
        Vec::new()
    } else {
        schema_arms(&files, &order, &mut problems)
    };
    let check = syn::Ident::new(CHECK_MACRO, Span::call_site());
    let mut arm_tokens = check_arms(&files, &arms);
    arm_tokens.extend(schema_arms.iter().cloned());
    let call_site_errors: Vec<TokenStream> = problems
        .iter()
        .map(|p| syn::Error::new(span, p).into_compile_error())
        .collect();
    let value =
        if call_site_errors.is_empty() && arms.is_empty() && schema_arms.is_empty() && all_declared
        {
            chain_value(&files, &order, &dir)
        } else {
            quote!(::migrate_runtime::__private::Chain::__invalid())
        };

    Ok(quote! {{
        #(#call_site_errors)*
        #[allow(unused_macros)]
        macro_rules! #check {
            #(#arm_tokens)*
            ($($t:tt)*) => {};
        }
        #(#modules)*
        #value
    }})
}

/// The migrations directory: relative to the crate's manifest, or to the
/// source file that calls the macro (`relative_to = file`).
fn migrations_dir(
    input: &EmbedInput,
    display_dir: &str,
    env: &Env,
    span: Span,
) -> syn::Result<PathBuf> {
    let base: PathBuf = if input.relative_to_file {
        let file = env.caller_file.as_ref().ok_or_else(|| {
            syn::Error::new(span, "cannot tell which source file calls embed_migrations!; use a path relative to Cargo.toml")
        })?;
        let file = if file.is_relative() {
            std::env::current_dir()
                .map(|d| d.join(file))
                .unwrap_or_else(|_| file.clone())
        } else {
            file.clone()
        };
        file.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        env.manifest_dir.clone().ok_or_else(|| {
            syn::Error::new(
                span,
                "CARGO_MANIFEST_DIR is not set: build this crate with cargo",
            )
        })?
    };
    Ok(collect::normalize(&base.join(display_dir)))
}

/// `#[path = "..."] mod __migration_N;` for every file the build includes.
fn modules(files: &[MigrationFile], span: Span) -> syn::Result<Vec<TokenStream>> {
    let mut modules = Vec::new();
    for (i, f) in files.iter().enumerate() {
        if f.excluded {
            continue;
        }
        let name = quote::format_ident!("__migration_{}", i);
        let path = f.path.to_str().ok_or_else(|| {
            syn::Error::new(
                span,
                format!("the path of `{}` is not valid UTF-8", f.display),
            )
        })?;
        // What `#[downgrade]` in this file calls: the check of this
        // migration's downgrade (each definition shadows the one before it
        // for the modules after it).
        let down = syn::Ident::new(DOWN_MACRO, Span::call_site());
        let check = syn::Ident::new(CHECK_MACRO, Span::call_site());
        let body = match &f.decl {
            Some(d) => {
                let rev = &d.args.revision.value;
                quote!(#check!{ schema_down #rev [ $($l)* ] })
            }
            None => quote!(),
        };
        modules.push(quote! {
            #[allow(unused_macros)]
            macro_rules! #down { ($($l:literal)*) => { #body }; }
            #[path = #path] mod #name;
        });
    }
    Ok(modules)
}

/// The arms of the chain-check macro: the errors filed under each attribute,
/// and the downgrade pairing of the files without an error of that kind.
fn check_arms(
    files: &[MigrationFile],
    arms: &BTreeMap<(&'static str, String), Vec<String>>,
) -> Vec<TokenStream> {
    let mut arm_tokens = Vec::new();
    for ((kind, rev), msgs) in arms {
        let kind = syn::Ident::new(kind, Span::call_site());
        arm_tokens.push(quote! {
            ($ce:ident #kind #rev) => { #( $ce!{ #msgs } )* };
        });
    }
    for f in files {
        let Some(d) = &f.decl else { continue };
        let rev = &d.args.revision.value;
        if arms.contains_key(&("downgrade", rev.clone())) {
            continue;
        }
        let value = if d.args.irreversible {
            quote!(::core::option::Option::None)
        } else {
            quote!(::core::option::Option::Some(downgrade))
        };
        arm_tokens.push(quote! {
            ($ce:ident downgrade #rev) => {
                #[doc(hidden)]
                #[allow(dead_code)]
                pub(crate) const __MIGRATE_DOWNGRADE: ::core::option::Option<::migrate_runtime::__private::MigrationFn> = #value;
            };
        });
    }
    arm_tokens
}

/// The schema fold over the chain in `order` (see `crate::schema`): an arm
/// of the check macro for each migration whose upgrade has errors at its
/// literals or whose downgrade does not undo it, and, in `problems`, the
/// errors at the literals of downgrades (which no attribute sees).
fn schema_arms(
    files: &[MigrationFile],
    order: &[usize],
    problems: &mut Vec<String>,
) -> Vec<TokenStream> {
    let error = quote!(::migrate_runtime::__private::__schema_error);
    let mut model = crate::schema::Model::default();
    let mut arms = Vec::new();
    for &i in order {
        let f = &files[i];
        let Some(d) = &f.decl else { continue };
        let rev = &d.args.revision.value;
        model.start_migration();
        let before = model.clone();
        let at_literals = crate::schema::fold(&mut model, &d.upgrade);
        let mut at_revision = Vec::new();
        if let (Some(down), false) = (&d.downgrade, d.args.irreversible) {
            let mut undone = model.clone();
            let from = downgrade_at(&d.text);
            let lits = crate::schema::literals(down);
            let down_errors = crate::schema::fold(&mut undone, down);
            // A name that is not there explains the difference already.
            let compare = down_errors.is_empty();
            let mut placed = Vec::new();
            for e in down_errors {
                let at = lits
                    .get(e.index)
                    .and_then(|l| {
                        // The same literal may come earlier in the function.
                        let token = l.token().to_string();
                        let before = lits[..e.index]
                            .iter()
                            .filter(|x| x.token().to_string() == token)
                            .count();
                        locate_nth(&d.text, from, &token, before)
                    })
                    .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
                let whole = format!("{}{at}: in fn downgrade: {}", f.display, e.message);
                if d.downgrade_marked {
                    placed.push((e, whole));
                } else {
                    problems.push(whole);
                }
            }
            if !placed.is_empty() {
                arms.push(down_arm(rev, &placed));
            }
            if compare && !undone.lost_since(&before) {
                for what in undone.undo_differences(&before) {
                    at_revision.push(format!(
                        "the downgrade of {rev} {what}: it must undo the upgrade exactly (or mark the migration irreversible)"
                    ));
                }
            }
        }
        if at_literals.is_empty() && at_revision.is_empty() {
            continue;
        }
        let (pattern, calls) = at_literal_calls(&at_literals);
        let rev_calls = at_revision
            .iter()
            .map(|m| quote!(#error!{ $rev_lit #rev #m }));
        // Should the attribute pass other literals than the file had (the
        // file changed while it was read, an attribute above rewrote it),
        // the errors are still reported, at the revision.
        let all: Vec<&String> = at_literals
            .iter()
            .map(|e| &e.message)
            .chain(&at_revision)
            .collect();
        arms.push(quote! {
            (schema #rev $rev_lit:literal [ #(#pattern)* $($rest:literal)* ]) => { #(#calls)* #(#rev_calls)* };
            (schema #rev $rev_lit:literal [ $($any:literal)* ]) => { #( #error!{ $rev_lit #rev #all } )* };
        });
    }
    arms
}

/// The arm of the check macro that `#[downgrade]` reaches for the migration
/// `rev`: each error at its literal, or, should the attribute pass other
/// literals than the file had, each with its place at the attribute.
fn down_arm(rev: &str, errors: &[(crate::schema::Diagnostic, String)]) -> TokenStream {
    let diagnostics: Vec<crate::schema::Diagnostic> =
        errors.iter().map(|(e, _)| e.clone()).collect();
    let (pattern, calls) = at_literal_calls(&diagnostics);
    let whole = errors.iter().map(|(_, w)| w);
    quote! {
        (schema_down #rev [ #(#pattern)* $($rest:literal)* ]) => { #(#calls)* };
        (schema_down #rev [ $($any:literal)* ]) => { #( ::core::compile_error!{ #whole } )* };
    }
}

/// For errors at a function's literals: the arm's pattern, `$l0:literal` up
/// to the last literal with an error, and the error call at each.
fn at_literal_calls(errors: &[crate::schema::Diagnostic]) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let error = quote!(::migrate_runtime::__private::__schema_error);
    let Some(last) = errors.iter().map(|e| e.index).max() else {
        return (Vec::new(), Vec::new());
    };
    let names: Vec<syn::Ident> = (0..=last).map(|k| quote::format_ident!("l{}", k)).collect();
    let pattern = names.iter().map(|n| quote!($#n:literal)).collect();
    let calls = errors
        .iter()
        .map(|e| {
            let n = &names[e.index];
            let (value, message) = (&e.value, &e.message);
            quote!(#error!{ $#n #value #message })
        })
        .collect();
    (pattern, calls)
}

/// Where `fn downgrade` starts in a file's text (a comment that names it
/// does not count: it is the one followed by its parameter list).
fn downgrade_at(text: &str) -> usize {
    let mut from = 0;
    while let Some(i) = text[from..].find("fn downgrade") {
        let at = from + i;
        let rest = text[at + "fn downgrade".len()..].trim_start();
        if rest.starts_with('(') || rest.starts_with('<') {
            return at;
        }
        from = at + 1;
    }
    0
}

/// Line and column (1-based) of the `nth` (from 0) appearance of `token` in
/// `text` after `from`.
fn locate_nth(text: &str, from: usize, token: &str, nth: usize) -> Option<(usize, usize)> {
    let mut at = from;
    for _ in 0..nth {
        at += text.get(at..)?.find(token)? + token.len();
    }
    let at = at + text.get(at..)?.find(token)?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, col))
}

/// Expands `__schema_error!{ "literal" "its value" "message" }`: the error at
/// the literal's span, when the literal is the one the collector meant.
pub fn schema_error(input: TokenStream) -> TokenStream {
    struct Input(LitStr, LitStr, LitStr);
    impl Parse for Input {
        fn parse(input: ParseStream) -> syn::Result<Self> {
            Ok(Input(input.parse()?, input.parse()?, input.parse()?))
        }
    }
    match syn::parse2::<Input>(input) {
        Ok(Input(at, value, message)) if at.value() == value.value() => {
            syn::Error::new(at.span(), message.value()).into_compile_error()
        }
        // Another literal than the collector read there (the file changed
        // as it was read): the error still stands, with the name it is about.
        Ok(Input(at, value, message)) => syn::Error::new(
            at.span(),
            format!("{} (about `{}`)", message.value(), value.value()),
        )
        .into_compile_error(),
        // Only generated code calls it: a malformed call is this crate's bug.
        Err(e) => e.into_compile_error(),
    }
}

/// The chain value: every migration in base-to-head `order`.
fn chain_value(files: &[MigrationFile], order: &[usize], dir: &Path) -> TokenStream {
    let opt = |v: &Option<String>| match v {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let mut entries = Vec::new();
    for &i in order {
        let f = &files[i];
        let Some(d) = &f.decl else { continue };
        let module = quote::format_ident!("__migration_{}", i);
        let rev = &d.args.revision.value;
        let down = opt(&d.args.down_revision.value);
        let message = &d.message;
        let date = opt(&d.args.create_date);
        let file = &f.file_name;
        let transactional = d.args.transaction;
        let checksum = &d.checksum;
        let reviewed = d.args.reviewed.as_ref().map(|why| quote!(.reviewed(#why)));
        let lock_timeout = d
            .args
            .lock_timeout_ms
            .map(|ms| quote!(.with_lock_timeout_ms(#ms)));
        entries.push(quote! {
            ::migrate_runtime::__private::Migration::__new(
                #rev, #down, #message, #date, #file, #transactional,
                #module::__MIGRATE_UPGRADE, #module::__MIGRATE_DOWNGRADE,
                #checksum,
            ) #reviewed #lock_timeout
        });
    }
    let dir_str = dir.to_string_lossy().into_owned();
    let names: Vec<&str> = files.iter().map(|f| f.file_name.as_str()).collect();
    quote! {
        ::migrate_runtime::__private::Chain::__new(
            &[ #(#entries),* ],
            #dir_str,
            &[ #(#names),* ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn downgrade_literals_are_placed_at_their_own_occurrence() {
        let text = "// fn downgrade is below\nfn upgrade() { f(\"a\"); }\nfn downgrade(op: &mut Op) {\n    op.x(\"a\", \"a\");\n}\n";
        let from = downgrade_at(text);
        assert!(text[from..].starts_with("fn downgrade(op"));
        assert_eq!(locate_nth(text, from, "\"a\"", 0), Some((4, 10)));
        assert_eq!(locate_nth(text, from, "\"a\"", 1), Some((4, 15)));
        assert_eq!(locate_nth(text, from, "\"a\"", 2), None);
    }

    fn env(dir: &Path) -> Env {
        Env {
            manifest_dir: Some(dir.to_path_buf()),
            caller_file: Some(dir.join("src/lib.rs")),
        }
    }

    fn migration_file(rev: &str, down: Option<&str>) -> String {
        let down = down.map_or("None".to_owned(), |d| format!("{d:?}"));
        format!("#[migration(revision = {rev:?}, down_revision = {down})]\nfn upgrade(op: &mut Op) -> Result<()> {{ Ok(()) }}\nfn downgrade(op: &mut Op) -> Result<()> {{ Ok(()) }}\n")
    }

    /// Expands without panicking and returns the generated code as text.
    fn expand_ok(input: TokenStream, env: &Env) -> String {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            embed_migrations(input, env)
        }));
        r.expect("the collector must never panic").to_string()
    }

    #[test]
    fn malformed_input_never_panics() {
        let d = tempfile::tempdir().unwrap();
        let e = env(d.path());
        for input in [
            quote!(42),
            quote!("a" "b"),
            quote!("m", relative_to),
            quote!("m", relative_to = ),
            quote!((())),
        ] {
            assert!(
                expand_ok(input.clone(), &e).contains("compile_error"),
                "{input}"
            );
        }
        // Unusual directory contents: a broken link, a directory named like a file,
        // bytes that are not UTF-8, garbage Rust.
        let m = d.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("a1_first.rs"), migration_file("a1", None)).unwrap();
        std::fs::create_dir(m.join("b2_dir.rs")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(m.join("nowhere"), m.join("c3_link.rs")).unwrap();
        std::fs::write(m.join("d4_bytes.rs"), [0xc3, 0x28, 0xff]).unwrap();
        std::fs::write(m.join("e5_garbage.rs"), "#[migration(revision = ").unwrap();
        std::fs::write(
            d.path().join("build.rs"),
            "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }",
        )
        .unwrap();
        let out = expand_ok(quote!("migrations"), &e);
        assert!(out.contains("d4_bytes.rs` is not valid UTF-8"), "{out}");
        assert!(
            out.contains("__invalid"),
            "no chain value is built from a broken directory"
        );
        // Missing environment.
        let none = Env {
            manifest_dir: None,
            caller_file: None,
        };
        assert!(expand_ok(quote!("migrations"), &none).contains("CARGO_MANIFEST_DIR is not set"));
        assert!(expand_ok(quote!("migrations", relative_to = file), &none)
            .contains("cannot tell which source file"));
    }

    #[test]
    fn attribute_on_garbage_never_panics() {
        for (args, item) in [
            (
                quote!(revision = "a1", down_revision = None),
                quote!(
                    struct S;
                ),
            ),
            (
                quote!(revision = "a1", down_revision = None),
                quote!(garbage tokens !!),
            ),
            (
                quote!(revision(,) down_revision),
                quote!(
                    fn upgrade() {}
                ),
            ),
            (quote!(), quote!()),
        ] {
            let out = std::panic::catch_unwind(|| migration_attribute(args.clone(), item.clone()))
                .expect("the attribute must never panic")
                .to_string();
            assert!(out.contains("compile_error"), "{args} / {item}: {out}");
        }
    }

    #[test]
    fn a_valid_directory_builds_the_chain_in_order() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        std::fs::write(m.join("b2_second.rs"), migration_file("b2", Some("a1"))).unwrap();
        std::fs::write(m.join("a1_first.rs"), migration_file("a1", None)).unwrap();
        std::fs::write(
            d.path().join("build.rs"),
            "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }",
        )
        .unwrap();
        let out = expand_ok(quote!("migrations"), &env(d.path()));
        assert!(!out.contains("compile_error"), "{out}");
        let a = out
            .find("\"a1\" , :: core :: option :: Option :: None")
            .expect("a1 entry");
        let b = out
            .find("\"b2\" , :: core :: option :: Option :: Some (\"a1\")")
            .expect("b2 entry");
        assert!(a < b, "base first");
    }

    /// The collector's own cost on 500 migration files; run with
    /// `cargo test -p migrate-macros --release -- --ignored --nocapture collector_time`.
    #[test]
    #[ignore = "a measurement, not a test"]
    fn collector_time_for_500_files() {
        let d = tempfile::tempdir().unwrap();
        let m = d.path().join("migrations");
        std::fs::create_dir(&m).unwrap();
        let mut prev: Option<String> = None;
        for i in 0..500 {
            let rev = format!("{i:012x}");
            let body = format!(
                "use migrate_runtime::prelude::*;\n\n/// step {i}\n#[migration(revision = {rev:?}, down_revision = {})]\nfn upgrade(op: &mut Op) -> Result<()> {{\n    op.create_table(\"t{i}\").column(col::<Integer>(\"id\").primary_key()).column(col::<Text>(\"name\"));\n    op.create_index(\"ix_t{i}\", \"t{i}\", [\"name\"]);\n    Ok(())\n}}\n\nfn downgrade(op: &mut Op) -> Result<()> {{\n    op.drop_table(\"t{i}\");\n    Ok(())\n}}\n",
                prev.as_ref().map_or("None".to_owned(), |p| format!("{p:?}"))
            );
            std::fs::write(m.join(format!("{rev}_step_{i}.rs")), body).unwrap();
            prev = Some(rev);
        }
        std::fs::write(
            d.path().join("build.rs"),
            "fn main() { println!(\"cargo:rerun-if-changed=migrations\"); }",
        )
        .unwrap();
        let e = env(d.path());
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = std::time::Instant::now();
            let out = embed_migrations(quote!("migrations"), &e);
            times.push(t.elapsed());
            assert!(!out.to_string().contains("compile_error"));
        }
        times.sort();
        println!(
            "collector, 500 files: min {:?}, median {:?}, max {:?}",
            times[0], times[5], times[9]
        );
    }
}

#[cfg(test)]
mod cost {
    /// The schema fold's cost over a real chain directory (`MIGRATE_FOLD_DIR`,
    /// e.g. the bench's N=1000 chain from `migrate-bench write`), against
    /// reading the directory: `cargo test -p migrate-macros --release --lib
    /// fold_cost -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement: needs MIGRATE_FOLD_DIR"]
    fn fold_cost() {
        let Some(dir) = std::env::var_os("MIGRATE_FOLD_DIR") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let mut best = (f64::MAX, f64::MAX);
        for _ in 0..5 {
            let t = std::time::Instant::now();
            let mut problems = Vec::new();
            let files = crate::collect::read_dir(&dir, "migrations", &mut problems).unwrap();
            let read = t.elapsed().as_secs_f64();
            let decls: Vec<&crate::collect::Declared> =
                files.iter().filter_map(|f| f.decl.as_ref()).collect();
            let mut arms = std::collections::BTreeMap::new();
            let order = crate::valid::chain_errors(&files, &decls, &mut arms).unwrap();
            let t = std::time::Instant::now();
            let schema = super::schema_arms(&files, &order, &mut problems);
            let fold = t.elapsed().as_secs_f64();
            assert!(schema.is_empty() && problems.is_empty(), "{problems:?}");
            best = (best.0.min(read), best.1.min(fold));
        }
        println!(
            "{} files: reading and parsing {:.1} ms, schema fold {:.1} ms",
            std::fs::read_dir(&dir).unwrap().count(),
            best.0 * 1000.0,
            best.1 * 1000.0
        );
    }
}
