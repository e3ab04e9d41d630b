//! The checksum of what a migration file does, recorded in the ledger when it
//! is applied and compared at every later upgrade.
//!
//! Rust migrations are code, so "what it does" is the code, read as tokens:
//! comments and white space are not tokens, so formatting never matters; doc
//! comments (the message) and the `#[migration(...)]` attribute (revision,
//! parent, message, date) are left out, since a re-pointed `down_revision` or a
//! reworded message changes nothing a database sees. Literals count by their
//! value (`1_000` is `1000`, `r"x"` is `"x"`). Everything else in the file, the
//! operations, their names and types, and the code of every data step, counts.
//! Computed at compile time, it costs a run nothing. Code the file calls in
//! other modules is not part of it.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// The checksum of a migration file's text: `v1:` and 64 hex digits, or `None`
/// when the text does not tokenize (the compiler reports that itself).
pub fn of_file(text: &str) -> Option<String> {
    let tokens: TokenStream = text.parse().ok()?;
    let mut canonical = String::new();
    write_canonical(tokens, &mut canonical);
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("v1:{hex}"))
}

/// Whether the bracketed body of an attribute is one the checksum leaves out.
fn skipped_attribute(body: &TokenStream) -> bool {
    let mut path = Vec::new();
    for tt in body.clone() {
        match tt {
            TokenTree::Ident(i) => path.push(i.to_string()),
            TokenTree::Punct(p) if p.as_char() == ':' => {}
            _ => break,
        }
    }
    matches!(path.last().map(String::as_str), Some("doc" | "migration"))
}

fn write_canonical(tokens: TokenStream, out: &mut String) {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    write_trees(&tts, out, true);
}

fn is_punct(tt: Option<&TokenTree>, c: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

/// Writes `tts` canonically. What rustfmt may change without changing the
/// code is evened out: a trailing comma, the block rustfmt wraps around a long
/// match arm, and the order of `use` items (`top`: the file's own level).
fn write_trees(tts: &[TokenTree], out: &mut String, top: bool) {
    let mut uses: Vec<String> = Vec::new();
    let mut i = 0;
    while i < tts.len() {
        // `#[...]` or `#![...]`: left out when it is a doc comment or #[migration].
        if is_punct(tts.get(i), '#') {
            let bang = is_punct(tts.get(i + 1), '!');
            let at = i + 1 + usize::from(bang);
            if let Some(TokenTree::Group(g)) = tts.get(at) {
                if g.delimiter() == Delimiter::Bracket && skipped_attribute(&g.stream()) {
                    i = at + 1;
                    continue;
                }
            }
        }
        if top && matches!(&tts[i], TokenTree::Ident(id) if id == "use") {
            let end = (i..tts.len())
                .find(|&j| is_punct(tts.get(j), ';'))
                .unwrap_or(tts.len() - 1);
            let mut item = String::new();
            for tt in &tts[i..=end] {
                write_use_token(tt, &mut item);
            }
            uses.push(item);
            i = end + 1;
            continue;
        }
        let last = i + 1 == tts.len();
        if last && is_punct(tts.get(i), ',') {
            break;
        }
        // `=> { expr }` is `=> expr,` as rustfmt writes it when it fits a line.
        if let TokenTree::Group(g) = &tts[i] {
            let arm = i >= 2 && is_punct(tts.get(i - 2), '=') && is_punct(tts.get(i - 1), '>');
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let single = !inner.is_empty() && !inner.iter().any(|t| is_punct(Some(t), ';'));
            if arm && g.delimiter() == Delimiter::Brace && single {
                write_trees(&inner, out, false);
                if !last && !is_punct(tts.get(i + 1), ',') {
                    out.push_str(", ");
                }
                i += 1;
                continue;
            }
        }
        write_token(&tts[i], out);
        i += 1;
    }
    uses.sort();
    for u in uses {
        out.push_str(&u);
    }
}

/// A `use` item's token, with the names inside `{...}` sorted as rustfmt sorts them.
fn write_use_token(tt: &TokenTree, out: &mut String) {
    if let TokenTree::Group(g) = tt {
        if g.delimiter() == Delimiter::Brace {
            let mut parts: Vec<String> = vec![String::new()];
            for t in g.stream() {
                if is_punct(Some(&t), ',') {
                    parts.push(String::new());
                } else if let Some(p) = parts.last_mut() {
                    write_use_token(&t, p);
                }
            }
            parts.retain(|p| !p.is_empty());
            parts.sort();
            out.push_str("{ ");
            out.push_str(&parts.join(", "));
            out.push_str("} ");
            return;
        }
    }
    write_token(tt, out);
}

fn write_token(tt: &TokenTree, out: &mut String) {
    match tt {
        TokenTree::Ident(id) => {
            out.push_str(&id.to_string());
            out.push(' ');
        }
        TokenTree::Punct(p) => {
            out.push(p.as_char());
            out.push(' ');
        }
        TokenTree::Literal(l) => {
            out.push_str(&literal_value(l));
            out.push(' ');
        }
        TokenTree::Group(g) => {
            let (open, close) = match g.delimiter() {
                Delimiter::Parenthesis => ("(", ")"),
                Delimiter::Brace => ("{", "}"),
                Delimiter::Bracket => ("[", "]"),
                Delimiter::None => ("", ""),
            };
            out.push_str(open);
            out.push(' ');
            write_canonical(g.stream(), out);
            out.push_str(close);
            out.push(' ');
        }
    }
}

/// A literal by its value, so that how it is spelled does not count.
fn literal_value(l: &proc_macro2::Literal) -> String {
    match syn::Lit::new(l.clone()) {
        syn::Lit::Str(s) => format!("s{:?}{}", s.value(), s.suffix()),
        syn::Lit::ByteStr(s) => format!("b{:?}{}", s.value(), s.suffix()),
        syn::Lit::CStr(s) => format!("c{:?}{}", s.value(), s.suffix()),
        syn::Lit::Byte(b) => format!("y{}{}", b.value(), b.suffix()),
        syn::Lit::Char(c) => format!("c{:?}{}", c.value(), c.suffix()),
        syn::Lit::Int(n) => format!("i{}{}", n.base10_digits(), n.suffix()),
        syn::Lit::Float(f) => format!("f{}{}", f.base10_digits(), f.suffix()),
        other => quote::ToTokens::to_token_stream(&other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::of_file;

    const BASE: &str = r#"//! add email
use migrate_runtime::prelude::*;

/// add email to users
#[migration(revision = "a1", down_revision = "a0", message = "add email")]
fn upgrade(op: &mut Op) -> Result<()> {
    op.add_column("users", col::<Nullable<Text>>("email").length(255));
    op.run("backfill", |conn| { let _ = conn; Ok(()) });
    Ok(())
}

fn downgrade(op: &mut Op) -> Result<()> {
    op.drop_column("users", "email");
    Ok(())
}
"#;

    fn sum(text: &str) -> String {
        of_file(text).expect("tokenizes")
    }

    #[test]
    fn comments_formatting_messages_and_parents_do_not_count() {
        let base = sum(BASE);
        assert!(base.starts_with("v1:") && base.len() == 67, "{base}");
        let reformatted = "use migrate_runtime :: prelude :: * ;\n#[migration(revision = \"a1\", down_revision = \"a0\")]\nfn upgrade(op: &mut Op) -> Result<()> {\n    // a comment\n    op.add_column(\n        \"users\",\n        col::<Nullable<Text>>(r\"email\").length(2_5_5),\n    );\n    /* block */ op.run(\"backfill\", |conn| {\n        let _ = conn;\n        Ok(())\n    });\n    Ok(())\n}\n/// now with a doc comment\nfn downgrade(op: &mut Op) -> Result<()> { op.drop_column(\"users\", \"email\"); Ok(()) }\n";
        assert_eq!(sum(reformatted), base);
        let repointed = BASE.replace("down_revision = \"a0\"", "down_revision = \"b9\"");
        assert_eq!(sum(&repointed), base);
        // What else rustfmt does to code: blocks around long match arms, sorted imports.
        let arms = |body: &str| {
            format!("use b::{{y, x}};\nuse a::z;\nfn f(n: u8) -> u8 {{ match n {{ {body} }} }}\n")
        };
        assert_eq!(
            sum(&arms("0 => 1, 1 => { 2 } _ => 3,")),
            sum(&arms("0 => { 1 } 1 => 2, _ => { 3 }"))
        );
        assert_eq!(
            sum(&arms("0 => 1, _ => 3")),
            sum("use a::z;\nuse b::{x, y};\nfn f(n: u8) -> u8 { match n { 0 => 1, _ => 3, } }\n")
        );
        assert_ne!(sum(&arms("0 => 1, _ => 3")), sum(&arms("0 => 1, _ => 4")));
    }

    #[test]
    fn operations_names_types_and_data_code_count() {
        let base = sum(BASE);
        for (from, to) in [
            ("\"email\").length", "\"mail\").length"),
            ("length(255)", "length(256)"),
            ("Nullable<Text>", "Nullable<Integer>"),
            ("let _ = conn;", "let _ = &conn;"),
            ("op.drop_column(\"users\", \"email\");", ""),
        ] {
            let edited = BASE.replace(from, to);
            assert_ne!(edited, BASE, "{from}");
            assert_ne!(sum(&edited), base, "{from} -> {to}");
        }
    }

    #[test]
    fn untokenizable_text_has_none() {
        assert_eq!(of_file("fn ( \"unterminated"), None);
    }
}
