//! `row!`'s values, laid out as constant data when they are all literals.
//!
//! Why: `op.bulk_insert` seeds are the longest bodies a chain holds, and a value
//! converted at its call site costs an allocation, a move and an unwind
//! cleanup there. Measured on the bench's 1,000-migration chain, the hundred
//! seed migrations were 97% of the crate's LLVM IR and most of its release
//! build (BENCHMARKS.md). A literal row becomes a `const` slice read by one
//! runtime function instead; any other row is `vec![Value::from(v), ..]` as
//! before.
//!
//! Each literal is converted exactly as `Value::from` would convert it, with
//! the same type the compiler would infer for it there (an unsuffixed integer
//! is an `i32`, an unsuffixed float an `f64`), so a literal that would not
//! compile in `Value::from` (out of range, or of a type without a conversion)
//! gets the same error.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Lit, Token, UnOp};

/// `$crate; value, value, ...` as `row!` passes it.
struct RowInput {
    krate: TokenTree,
    values: Punctuated<Expr, Token![,]>,
}

impl Parse for RowInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let krate: TokenTree = input.parse()?;
        input.parse::<Token![;]>()?;
        let values = Punctuated::parse_terminated(input)?;
        Ok(RowInput { krate, values })
    }
}

/// Expands the hidden `__row!($crate; values)` behind `row!`.
pub fn expand(input: TokenStream) -> TokenStream {
    let input: RowInput = match syn::parse2(input) {
        Ok(i) => i,
        Err(e) => return e.into_compile_error(),
    };
    let k = &input.krate;
    if input.values.is_empty() {
        return quote!(::std::vec::Vec::<#k::ops::value::Value>::new());
    }
    let values: Vec<&Expr> = input.values.iter().map(unwrap_group).collect();
    let literals: Option<Vec<TokenStream>> = values.iter().map(|v| literal(k, v)).collect();
    match literals {
        Some(lits) => quote! {{
            const __MIGRATE_ROW: &[#k::ops::value::__Lit] = &[#(#lits),*];
            #k::ops::value::__lit_row(__MIGRATE_ROW)
        }},
        None => {
            // Spanned at each value, so that a type error points at it.
            let values = values.iter().map(|v| {
                let span = syn::spanned::Spanned::span(v);
                quote::quote_spanned!(span=> #k::ops::value::Value::from(#v))
            });
            quote!(::std::vec![#(#values),*])
        }
    }
}

/// A `macro_rules!` `$v:expr` arrives wrapped in an invisible group.
fn unwrap_group(e: &Expr) -> &Expr {
    match e {
        Expr::Group(g) => unwrap_group(&g.expr),
        _ => e,
    }
}

/// The constant for a literal value, or None for anything else.
///
/// A number is written back with its own tokens into a binding of the type
/// `Value::from` would give it, so that rustc judges it there as it did in
/// `Value::from`: out of range, or `-` on an unsigned type, is reported at
/// the literal in the migration file.
fn literal(k: &TokenTree, e: &Expr) -> Option<TokenStream> {
    let lit = match e {
        Expr::Lit(l) if l.attrs.is_empty() => &l.lit,
        Expr::Unary(u) if u.attrs.is_empty() && matches!(u.op, UnOp::Neg(_)) => {
            match unwrap_group(&u.expr) {
                Expr::Lit(l) if l.attrs.is_empty() => match &l.lit {
                    n @ (Lit::Int(_) | Lit::Float(_)) => n,
                    _ => return None,
                },
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(match lit {
        Lit::Str(s) if s.suffix().is_empty() => quote!(#k::ops::value::__Lit::Text(#s)),
        Lit::Bool(b) => quote!(#k::ops::value::__Lit::Bool(#b)),
        Lit::Int(i) => {
            // The types `Value` converts from, as `i64::from` would.
            let ty = match i.suffix() {
                "" => "i32",
                t @ ("i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32") => t,
                _ => return None,
            };
            let ty = syn::Ident::new(ty, proc_macro2::Span::call_site());
            quote!(#k::ops::value::__Lit::Int({
                let v: #ty = #e;
                v as i64
            }))
        }
        Lit::Float(f) => {
            let ty = match f.suffix() {
                "" | "f64" => "f64",
                "f32" => "f32",
                _ => return None,
            };
            let ty = syn::Ident::new(ty, proc_macro2::Span::call_site());
            quote!(#k::ops::value::__Lit::Float({
                let v: #ty = #e;
                v as f64
            }))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(s: &str) -> String {
        expand(s.parse().expect("tokens")).to_string()
    }

    #[test]
    fn literal_rows_become_constant_data() {
        let out = expand_str("krate; \"a\", 5, -5, 7u8, 1.5, 2.5f32, true");
        assert!(out.contains("const __MIGRATE_ROW"), "{out}");
        assert!(out.contains("let v : i32 = 5 ;"), "{out}");
        assert!(out.contains("let v : i32 = - 5 ;"), "{out}");
        assert!(out.contains("let v : u8 = 7u8 ;"), "{out}");
        assert!(out.contains("let v : f32 = 2.5f32 ; v as f64"), "{out}");
        assert!(!out.contains("Value :: from"), "{out}");
    }

    #[test]
    fn any_other_value_goes_through_value_from() {
        for row in [
            "krate; \"a\", x",
            "krate; 5u64",
            "krate; b\"bytes\"",
            "krate; None::<&str>",
            "krate; -\"a\"",
            "krate; 'c'",
        ] {
            let out = expand_str(row);
            assert!(out.contains("Value :: from"), "{row}: {out}");
            assert!(!out.contains("__MIGRATE_ROW"), "{row}: {out}");
        }
    }

    #[test]
    fn an_empty_row_is_an_empty_vec_and_bad_input_an_error() {
        assert!(expand_str("krate;").contains("Vec"));
        assert!(expand_str("krate").contains("compile_error"));
    }
}
