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
use syn::{Expr, GenericArgument, Lit, PathArguments, UnOp};

/// Expands the hidden `__row!($crate; values)` behind `row!`.
pub fn expand(input: TokenStream) -> TokenStream {
    let mut tokens = input.into_iter();
    let k = match (tokens.next(), tokens.next()) {
        (Some(k), Some(TokenTree::Punct(semi))) if semi.as_char() == ';' => k,
        _ => return quote!(::core::compile_error!("expected `row![value, ...]`")),
    };
    // Each value as written: a `$v:expr` arrives as one invisible group, so
    // the commas at this level are the ones between the values.
    let mut values: Vec<TokenStream> = Vec::new();
    let mut current = TokenStream::new();
    for t in tokens {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                values.push(std::mem::take(&mut current));
            }
            _ => current.extend([t]),
        }
    }
    if !current.is_empty() {
        values.push(current);
    }
    if values.is_empty() {
        return quote!(::std::vec::Vec::<#k::ops::value::Value>::new());
    }
    let literals: Option<Vec<TokenStream>> = values
        .iter()
        .map(|v| {
            let e: Expr = syn::parse2(v.clone()).ok()?;
            literal(&k, unwrap_group(&e))
        })
        .collect();
    match literals {
        Some(lits) => quote! {{
            const __MIGRATE_ROW: &[#k::ops::value::__Lit] = &[#(#lits),*];
            #k::ops::value::__lit_row(__MIGRATE_ROW)
        }},
        // Any other row as before, each value with the tokens it was given.
        None => quote!(::std::vec![#(#k::ops::value::Value::from(#values)),*]),
    }
}

/// A `macro_rules!` `$v:expr` arrives wrapped in an invisible group.
fn unwrap_group(e: &Expr) -> &Expr {
    match e {
        Expr::Group(g) => unwrap_group(&g.expr),
        _ => e,
    }
}

/// `::core::primitive::name`, so that no type of that name in the migration's
/// scope stands in for it.
fn primitive(name: &str) -> TokenStream {
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    quote!(::core::primitive::#ident)
}

/// The constant for a literal value, or None for anything else.
///
/// A number is written back with its own tokens into a binding of the type
/// `Value::from` would give it, so that rustc judges it there as it did in
/// `Value::from`: out of range, or `-` on an unsigned type, is reported at
/// the literal in the migration file.
fn literal(k: &TokenTree, e: &Expr) -> Option<TokenStream> {
    if let Some(ty) = typed_none(e) {
        // `Value::from(None::<T>)` needs `T: Into<Value>`; `__null` asks the same.
        return Some(quote!(#k::ops::value::__null::<#ty>()));
    }
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
    let number = |ty: &str, variant: &str, wide: &str| {
        let (ty, wide) = (primitive(ty), primitive(wide));
        let variant = syn::Ident::new(variant, proc_macro2::Span::call_site());
        quote!(#k::ops::value::__Lit::#variant({
            let v: #ty = #e;
            v as #wide
        }))
    };
    Some(match lit {
        Lit::Str(s) if s.suffix().is_empty() => quote!(#k::ops::value::__Lit::Text(#s)),
        Lit::Bool(b) => quote!(#k::ops::value::__Lit::Bool(#b)),
        // The types `Value` converts from, widened as `i64::from` and
        // `f64::from` would; `3f64` is an integer token with a float suffix.
        Lit::Int(i) => match i.suffix() {
            "" => number("i32", "Int", "i64"),
            t @ ("i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32") => number(t, "Int", "i64"),
            t @ ("f32" | "f64") => number(t, "Float", "f64"),
            _ => return None,
        },
        Lit::Float(f) => match f.suffix() {
            "" => number("f64", "Float", "f64"),
            t @ ("f32" | "f64") => number(t, "Float", "f64"),
            _ => return None,
        },
        _ => return None,
    })
}

/// `T` of a `None::<T>`.
fn typed_none(e: &Expr) -> Option<&syn::Type> {
    let Expr::Path(p) = e else { return None };
    if !p.attrs.is_empty() || p.qself.is_some() || p.path.segments.len() != 1 {
        return None;
    }
    let seg = &p.path.segments[0];
    if seg.ident != "None" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first() {
        Some(GenericArgument::Type(t)) if args.args.len() == 1 => Some(t),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::{Delimiter, Group};

    fn expand_str(s: &str) -> String {
        expand(s.parse().expect("tokens")).to_string()
    }

    /// The values as `row!`'s `$($v:expr),*` passes them: each in an
    /// invisible group.
    fn grouped(values: &[&str]) -> TokenStream {
        let mut ts: TokenStream = "krate;".parse().expect("tokens");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                ts.extend(quote!(,));
            }
            let inner: TokenStream = v.parse().expect("tokens");
            ts.extend([TokenTree::Group(Group::new(Delimiter::None, inner))]);
        }
        ts
    }

    #[test]
    fn literal_rows_become_constant_data() {
        let values = [
            "\"a\"",
            "5",
            "-5",
            "7u8",
            "1.5",
            "2.5f32",
            "3f64",
            "true",
            "None::<&str>",
        ];
        for out in [
            expand(grouped(&values)).to_string(),
            expand_str(&format!("krate; {}", values.join(", "))),
        ] {
            for expected in [
                "const __MIGRATE_ROW",
                "let v : :: core :: primitive :: i32 = 5 ;",
                "let v : :: core :: primitive :: i32 = - 5 ;",
                "let v : :: core :: primitive :: u8 = 7u8 ;",
                "let v : :: core :: primitive :: f64 = 1.5 ;",
                "let v : :: core :: primitive :: f32 = 2.5f32 ; v as :: core :: primitive :: f64",
                "let v : :: core :: primitive :: f64 = 3f64 ;",
                "__null :: < & str > ()",
            ] {
                assert!(out.contains(expected), "{expected}: {out}");
            }
            assert!(!out.contains("Value :: from"), "{out}");
        }
    }

    #[test]
    fn any_other_value_goes_through_value_from_with_its_own_tokens() {
        for row in [
            &["\"a\"", "x"][..],
            &["5u64"],
            &["b\"bytes\""],
            &["None"],
            &["None::<&str, i32>"],
            &["-\"a\""],
            &["'c'"],
            &["Some(1)"],
        ] {
            let out = expand(grouped(row)).to_string();
            assert!(out.contains("Value :: from"), "{row:?}: {out}");
            assert!(!out.contains("__MIGRATE_ROW"), "{row:?}: {out}");
        }
        // What cannot be parsed is passed on for rustc to report.
        let out = expand_str("krate; 1 +");
        assert!(out.contains("Value :: from (1 +)"), "{out}");
    }

    #[test]
    fn an_empty_row_is_an_empty_vec_and_bad_input_an_error() {
        assert!(expand_str("krate;").contains("Vec"));
        assert!(expand(grouped(&[])).to_string().contains("Vec"));
        assert!(expand_str("krate").contains("compile_error"));
        assert!(expand_str("krate, 1").contains("compile_error"));
    }
}
