//! Parsing the arguments of `#[migration(...)]`.
//!
//! The attribute macro and the collector both call [`parse_args`] on the same
//! tokens, so they always agree on what a file declares.

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Expr, ExprLit, Lit, Meta, Token};

/// The keys `#[migration]` accepts, in the order error messages list them.
pub const KEYS: &[&str] = &[
    "revision",
    "down_revision",
    "message",
    "create_date",
    "irreversible",
    "transaction",
    "reviewed",
    "lock_timeout",
];

/// A value and where it was written.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

/// What one `#[migration(...)]` declares.
#[derive(Debug, Clone)]
pub struct MigrationArgs {
    pub revision: Located<String>,
    pub down_revision: Located<Option<String>>,
    pub message: Option<String>,
    pub create_date: Option<String>,
    pub irreversible: bool,
    pub transaction: bool,
    /// Why its lint findings are accepted.
    pub reviewed: Option<String>,
    /// Its own lock timeout, in milliseconds.
    pub lock_timeout_ms: Option<u64>,
}

/// Collects every error instead of stopping at the first, so a user fixes all of
/// them in one round.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        let e = syn::Error::new(span, msg);
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

fn string_value(expr: &Expr, key: &str, errors: &mut Errors) -> Option<String> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Some(s.value()),
        _ => {
            errors.push(
                expr.span(),
                format!("`{key}` takes a string literal, e.g. {key} = \"...\""),
            );
            None
        }
    }
}

fn bool_value(expr: &Expr, key: &str, errors: &mut Errors) -> Option<bool> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Some(b.value),
        _ => {
            errors.push(expr.span(), format!("`{key}` takes `true` or `false`"));
            None
        }
    }
}

/// `"10s"`, `"500ms"`, `"2m"`: milliseconds, at most an hour.
fn duration_value(expr: &Expr, key: &str, errors: &mut Errors) -> Option<u64> {
    let text = string_value(expr, key, errors)?;
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let per: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        _ => 0,
    };
    match digits.parse::<u64>().ok().and_then(|n| n.checked_mul(per)) {
        Some(ms) if per > 0 && (1..=3_600_000).contains(&ms) => Some(ms),
        _ => {
            errors.push(
                expr.span(),
                format!(
                    "`{key}` takes a duration from 1ms to 60m, e.g. {key} = \"10s\" or \"500ms\""
                ),
            );
            None
        }
    }
}

fn is_none(expr: &Expr) -> bool {
    matches!(expr, Expr::Path(p) if p.qself.is_none() && p.path.is_ident("None"))
}

/// Parses the tokens inside `#[migration(...)]`. `attr_span` is where the errors
/// that belong to the attribute as a whole (a missing key) point.
pub fn parse_args(tokens: TokenStream, attr_span: Span) -> syn::Result<MigrationArgs> {
    let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(tokens)?;
    let mut errors = Errors::default();
    let mut seen: Vec<String> = Vec::new();

    let mut revision = None;
    let mut down_revision = None;
    let mut message = None;
    let mut create_date = None;
    let mut irreversible = false;
    let mut transaction = true;
    let mut reviewed = None;
    let mut lock_timeout_ms = None;

    for meta in &metas {
        let Some((key, value)) = key_and_value(meta, &mut seen, &mut errors) else {
            continue;
        };
        match (key.as_str(), value) {
            ("revision", Some(v)) => revision = revision_value(v, &mut errors),
            ("down_revision", Some(v)) => down_revision = down_revision_value(v, &mut errors),
            ("message", Some(v)) => message = string_value(v, &key, &mut errors),
            ("create_date", Some(v)) => create_date = string_value(v, &key, &mut errors),
            ("irreversible", None) => irreversible = true,
            ("irreversible", Some(v)) => {
                irreversible = bool_value(v, &key, &mut errors).unwrap_or(false)
            }
            ("transaction", Some(v)) => {
                transaction = bool_value(v, &key, &mut errors).unwrap_or(true)
            }
            ("reviewed", Some(v)) => reviewed = string_value(v, &key, &mut errors),
            ("lock_timeout", Some(v)) => lock_timeout_ms = duration_value(v, &key, &mut errors),
            _ => {}
        }
    }

    let has_key = |k: &str| seen.iter().any(|s| s == k);
    if revision.is_none() && !has_key("revision") {
        errors.push(
            attr_span,
            "missing `revision = \"...\"` (1 to 32 letters, digits or `_`)",
        );
    }
    if down_revision.is_none() && !has_key("down_revision") {
        errors.push(
            attr_span,
            "missing `down_revision`: name the revision this one follows, or write `down_revision = None` for the first migration",
        );
    }
    if let Some(e) = errors.0 {
        return Err(e);
    }
    match (revision, down_revision) {
        (Some(revision), Some(down_revision)) => Ok(MigrationArgs {
            revision,
            down_revision,
            message,
            create_date,
            irreversible,
            transaction,
            reviewed,
            lock_timeout_ms,
        }),
        // Every path that leaves one of them unset pushed an error above.
        _ => Err(syn::Error::new(attr_span, "invalid #[migration] attribute")),
    }
}

/// A known key, seen once, in the form it takes: `key = value`, or the bare
/// flag `irreversible`. Anything else is an error, pushed, and `None`.
fn key_and_value<'m>(
    meta: &'m Meta,
    seen: &mut Vec<String>,
    errors: &mut Errors,
) -> Option<(String, Option<&'m Expr>)> {
    let path = meta.path();
    let Some(key) = path.get_ident().map(|i| i.to_string()) else {
        errors.push(
            path.span(),
            format!("unknown key, expected one of: {}", KEYS.join(", ")),
        );
        return None;
    };
    if !KEYS.contains(&key.as_str()) {
        errors.push(
            path.span(),
            format!("unknown key `{key}`, expected one of: {}", KEYS.join(", ")),
        );
        return None;
    }
    if seen.contains(&key) {
        errors.push(path.span(), format!("`{key}` is given more than once"));
        return None;
    }
    seen.push(key.clone());
    // `irreversible` alone is a flag; every other key needs `key = value`.
    let value = match meta {
        Meta::NameValue(nv) => Some(&nv.value),
        Meta::Path(_) if key == "irreversible" => None,
        Meta::Path(_) => {
            errors.push(path.span(), format!("`{key}` needs a value: {key} = ..."));
            return None;
        }
        Meta::List(list) => {
            errors.push(
                list.span(),
                format!("`{key}(...)` is not valid here, write {key} = ..."),
            );
            return None;
        }
    };
    Some((key, value))
}

fn revision_value(v: &Expr, errors: &mut Errors) -> Option<Located<String>> {
    let s = string_value(v, "revision", errors)?;
    match migrate_core::validate_revision_id(&s) {
        Ok(()) => Some(Located {
            value: s,
            span: v.span(),
        }),
        Err(e) => {
            errors.push(v.span(), format!("invalid revision `{s}`: {e}"));
            None
        }
    }
}

fn down_revision_value(v: &Expr, errors: &mut Errors) -> Option<Located<Option<String>>> {
    if is_none(v) {
        return Some(Located {
            value: None,
            span: v.span(),
        });
    }
    let Expr::Lit(ExprLit {
        lit: Lit::Str(s), ..
    }) = v
    else {
        errors.push(
            v.span(),
            "`down_revision` takes a string literal, or `None` for the first migration",
        );
        return None;
    };
    let s = s.value();
    match migrate_core::validate_revision_id(&s) {
        Ok(()) => Some(Located {
            value: Some(s),
            span: v.span(),
        }),
        Err(e) => {
            errors.push(v.span(), format!("invalid down_revision `{s}`: {e}"));
            None
        }
    }
}

/// The message a migration shows: `message = "..."`, else its doc comment.
pub fn doc_message(attrs: &[syn::Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) = &nv.value
            {
                let line = s.value();
                let line = line.trim();
                if !line.is_empty() {
                    lines.push(line.to_owned());
                }
            }
        }
    }
    if lines.is_empty() {
        None
    } else {
        Some(lines.join(" "))
    }
}

/// Whether `f` is marked the way `#[downgrade]` accepts and reports from:
/// `#[downgrade]`, `#[migrate_runtime::downgrade]` or
/// `#[migrate_runtime::prelude::downgrade]`, without arguments, on a
/// function no `cfg` may leave out. Anything else (another crate's
/// attribute of that name, one with arguments) leaves the errors to the
/// collector, which reports them itself.
pub fn is_marked_downgrade(f: &syn::ItemFn) -> bool {
    let cfg = f
        .attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"));
    let marked = f.attrs.iter().any(|a| {
        let syn::Meta::Path(p) = &a.meta else {
            return false;
        };
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
        matches!(
            segs[..],
            ["downgrade"]
                | ["migrate_runtime", "downgrade"]
                | ["migrate_runtime", "prelude", "downgrade"]
        )
    });
    marked && !cfg
}

/// True when `attr` is `#[migration(...)]` or a path ending in `migration`
/// (`#[migrate_runtime::migration(...)]`).
pub fn is_migration_attr(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "migration")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_forms_downgrade_accepts_are_marked() {
        let f = |src: &str| -> syn::ItemFn { syn::parse_str(src).unwrap() };
        let body = "fn downgrade(op: &mut Op) -> Result<()> { Ok(()) }";
        for marked in [
            "#[downgrade]",
            "#[migrate_runtime::downgrade]",
            "#[::migrate_runtime::prelude::downgrade]",
        ] {
            assert!(
                is_marked_downgrade(&f(&format!("{marked} {body}"))),
                "{marked}"
            );
        }
        for not in [
            "",
            "#[downgrade(always)]",
            "#[other_crate::downgrade]",
            "#[downgrade] #[cfg(feature = \"x\")]",
            "#[cfg_attr(test, allow(unused))] #[downgrade]",
        ] {
            assert!(!is_marked_downgrade(&f(&format!("{not} {body}"))), "{not}");
        }
    }
    use quote::quote;

    fn parse(t: TokenStream) -> Result<MigrationArgs, String> {
        parse_args(t, Span::call_site()).map_err(|e| {
            e.into_iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
    }

    #[test]
    fn full() {
        let a = parse(quote!(
            revision = "b",
            down_revision = "a",
            message = "m",
            create_date = "2026-01-01",
            irreversible,
            transaction = false,
            reviewed = "checked with the team",
            lock_timeout = "10s"
        ))
        .unwrap();
        assert_eq!(a.revision.value, "b");
        assert_eq!(a.down_revision.value.as_deref(), Some("a"));
        assert_eq!(a.message.as_deref(), Some("m"));
        assert!(a.irreversible);
        assert!(!a.transaction);
        assert_eq!(a.reviewed.as_deref(), Some("checked with the team"));
        assert_eq!(a.lock_timeout_ms, Some(10_000));
        for bad in ["10", "10d", "0s", "99999999999999999999s", "61m", ""] {
            let e = parse(quote!(revision = "b", down_revision = None, lock_timeout = #bad))
                .unwrap_err();
            assert!(e.contains("duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn first_migration() {
        let a = parse(quote!(revision = "a", down_revision = None)).unwrap();
        assert_eq!(a.down_revision.value, None);
        assert!(a.transaction);
        assert!(!a.irreversible);
    }

    #[test]
    fn reports_every_error_at_once() {
        let e = parse(quote!(
            revision = 1,
            down_revision = "a-b",
            colour = "x",
            message = "m",
            message = "n"
        ))
        .unwrap_err();
        assert!(e.contains("`revision` takes a string literal"), "{e}");
        assert!(e.contains("invalid down_revision `a-b`"), "{e}");
        assert!(
            e.contains("unknown key `colour`, expected one of: revision, down_revision"),
            "{e}"
        );
        assert!(e.contains("`message` is given more than once"), "{e}");
    }

    #[test]
    fn missing_keys() {
        let e = parse(quote!()).unwrap_err();
        assert!(e.contains("missing `revision"), "{e}");
        assert!(e.contains("missing `down_revision`"), "{e}");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for t in [
            quote!(revision(a, b)),
            quote!(revision = concat!("a")),
            quote!(= = =),
            quote!(revision = "a" "b"),
            quote!(a::b = "c"),
            quote!(revision = "x", down_revision = Some("a")),
            quote!(revision = "x", down_revision = None, transaction = "no"),
            quote!(revision = "", down_revision = None),
            quote!(revision = "é", down_revision = None),
        ] {
            assert!(parse(t.clone()).is_err(), "{t}");
        }
    }
}
