//! The checksum of what a migration file does, recorded in the ledger when it
//! is applied and compared at every later upgrade.
//!
//! Rust migrations are code, so "what it does" is the code, read as tokens:
//! comments and white space are not tokens, so formatting never matters; doc
//! comments (the message), the `#[migration(...)]` attribute (revision,
//! parent, message, date) and `#[downgrade]` are left out, since a re-pointed `down_revision` or a
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
    matches!(
        path.last().map(String::as_str),
        Some("doc" | "migration" | "downgrade")
    )
}

fn write_canonical(tokens: TokenStream, out: &mut String) {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    write_trees(&tts, out, Delimiter::None, true);
}

fn is_punct(tt: Option<&TokenTree>, c: char) -> bool {
    matches!(tt, Some(TokenTree::Punct(p)) if p.as_char() == c)
}

fn is_ident(tt: Option<&TokenTree>, names: &[&str]) -> bool {
    matches!(tt, Some(TokenTree::Ident(id)) if names.iter().any(|n| id == n))
}

/// The index after `#[...]` / `#![...]` at `i`, when it is a doc comment or
/// `#[migration]`: those are left out.
fn skipped_attribute_at(tts: &[TokenTree], i: usize) -> Option<usize> {
    if !is_punct(tts.get(i), '#') {
        return None;
    }
    let at = i + 1 + usize::from(is_punct(tts.get(i + 1), '!'));
    match tts.get(at) {
        Some(TokenTree::Group(g))
            if g.delimiter() == Delimiter::Bracket && skipped_attribute(&g.stream()) =>
        {
            Some(at + 1)
        }
        _ => None,
    }
}

/// Where the tokens of a group stop counting: a trailing comma is optional
/// (but not the one of a one-element tuple), and so is the `;` rustfmt adds
/// after a last `return`, `break` or `continue`.
fn counted_end(tts: &[TokenTree], delim: Delimiter) -> usize {
    let mut end = tts.len();
    if is_punct(tts.last(), ',') {
        let commas = tts.iter().filter(|t| is_punct(Some(t), ',')).count();
        if delim != Delimiter::Parenthesis || commas > 1 {
            end -= 1;
        }
    }
    if delim == Delimiter::Brace && end == tts.len() && is_punct(tts.last(), ';') {
        let last = tts[..end - 1]
            .iter()
            .rposition(|t| is_punct(Some(t), ';'))
            .map_or(0, |p| p + 1);
        if is_ident(tts.get(last), &["return", "break", "continue"]) {
            end -= 1;
        }
    }
    end
}

/// At `i`, a lint review (`op.reviewed("why");`, or `.reviewed("why")` on a
/// builder): it changes nothing a database sees, so adding one to an applied
/// migration does not make it "edited". Returns where the code goes on.
fn review_at(tts: &[TokenTree], i: usize) -> Option<usize> {
    let is_reviewed =
        |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Ident(id)) if id == "reviewed");
    let is_args = |t: Option<&TokenTree>| matches!(t, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
    // `op . reviewed (..) ;` as a statement of its own.
    let statement_start = i == 0
        || is_punct(tts.get(i - 1), ';')
        || matches!(tts.get(i - 1), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace);
    if statement_start
        && matches!(tts.get(i), Some(TokenTree::Ident(_)))
        && is_punct(tts.get(i + 1), '.')
        && is_reviewed(tts.get(i + 2))
        && is_args(tts.get(i + 3))
        && is_punct(tts.get(i + 4), ';')
    {
        return Some(i + 5);
    }
    // `. reviewed (..)` at the end of a chain.
    if is_punct(tts.get(i), '.') && is_reviewed(tts.get(i + 1)) && is_args(tts.get(i + 2)) {
        return Some(i + 3);
    }
    None
}

/// Writes `tts` canonically. What rustfmt may change without changing the
/// code is evened out: optional trailing commas and semicolons, the block
/// around a closure's or a match arm's single expression (rustfmt removes it,
/// or adds it around a long arm), the comma after a block arm, and the order
/// of `use` items (`top`: the file's own level).
fn write_trees(tts: &[TokenTree], out: &mut String, delim: Delimiter, top: bool) {
    let end = counted_end(tts, delim);
    let mut i = 0;
    while i < end {
        if let Some(next) = skipped_attribute_at(tts, i) {
            i = next;
            continue;
        }
        if let Some(next) = review_at(tts, i) {
            i = next;
            continue;
        }
        if top {
            if let Some(next) = use_items(tts, i, out) {
                i = next;
                continue;
            }
        }
        if let TokenTree::Group(g) = &tts[i] {
            let arm = i >= 2 && is_punct(tts.get(i - 2), '=') && is_punct(tts.get(i - 1), '>');
            let closure = i >= 1 && is_punct(tts.get(i - 1), '|');
            if g.delimiter() == Delimiter::Brace && (arm || closure) {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                let single = !inner.is_empty() && !inner.iter().any(|t| is_punct(Some(t), ';'));
                if single {
                    write_trees(&inner, out, Delimiter::None, false);
                    if arm && i + 1 < end && !is_punct(tts.get(i + 1), ',') {
                        out.push_str(", ");
                    }
                } else {
                    write_token(&tts[i], out);
                    if arm && is_punct(tts.get(i + 1), ',') {
                        // A block arm's comma is optional; rustfmt leaves it out.
                        i += 1;
                    }
                }
                i += 1;
                continue;
            }
        }
        write_token(&tts[i], out);
        i += 1;
    }
}

/// At `i`, a run of `use` items (each with its attributes and visibility):
/// written sorted, as rustfmt orders them. Returns the index after the run.
fn use_items(tts: &[TokenTree], i: usize, out: &mut String) -> Option<usize> {
    let mut items = Vec::new();
    let mut at = i;
    loop {
        let mut j = at;
        let mut text = String::new();
        // Attributes and `pub` / `pub(crate)` in front of the `use`.
        loop {
            if let Some(next) = skipped_attribute_at(tts, j) {
                j = next;
            } else if is_punct(tts.get(j), '#') {
                let g = j + 1 + usize::from(is_punct(tts.get(j + 1), '!'));
                if !matches!(tts.get(g), Some(TokenTree::Group(_))) {
                    break;
                }
                for tt in &tts[j..=g] {
                    write_token(tt, &mut text);
                }
                j = g + 1;
            } else {
                break;
            }
        }
        if is_ident(tts.get(j), &["pub"]) {
            write_token(&tts[j], &mut text);
            j += 1;
            if let Some(TokenTree::Group(g)) = tts.get(j) {
                if g.delimiter() == Delimiter::Parenthesis {
                    write_token(&tts[j], &mut text);
                    j += 1;
                }
            }
        }
        if !is_ident(tts.get(j), &["use"]) {
            break;
        }
        let semi = (j..tts.len()).find(|&k| is_punct(tts.get(k), ';'))?;
        for tt in &tts[j..=semi] {
            write_use_token(tt, &mut text);
        }
        items.push(text);
        at = semi + 1;
    }
    if items.is_empty() {
        return None;
    }
    items.sort();
    for item in items {
        out.push_str(&item);
    }
    Some(at)
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
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            write_trees(&inner, out, g.delimiter(), false);
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
    fn lint_reviews_do_not_count() {
        let base = "#[migration(revision = \"a1\", down_revision = None)]\nfn upgrade(op: &mut Op) -> Result<()> {\n    op.drop_column(\"users\", \"email\");\n    Ok(())\n}\n";
        let reviewed = base.replace(
            "op.drop_column(\"users\", \"email\");",
            "op.drop_column(\"users\", \"email\");\n    op.reviewed(\"unused since 2.3\");",
        );
        let chained = base.replace(
            "op.drop_column(\"users\", \"email\");",
            "op.alter_column(\"users\", \"name\").nullable(false).reviewed(\"x\");",
        );
        let plain = base.replace(
            "op.drop_column(\"users\", \"email\");",
            "op.alter_column(\"users\", \"name\").nullable(false);",
        );
        assert_eq!(of_file(base), of_file(&reviewed));
        assert_eq!(of_file(&plain), of_file(&chained));
        assert_ne!(of_file(base), of_file(&plain));
    }

    #[test]
    fn marking_the_downgrade_does_not_count() {
        let base = "#[migration(revision = \"a1\", down_revision = None)]\nfn upgrade(op: &mut Op) -> Result<()> { Ok(()) }\nfn downgrade(op: &mut Op) -> Result<()> { op.drop_table(\"t\"); Ok(()) }\n";
        let marked = base.replace("fn downgrade", "#[downgrade]\nfn downgrade");
        let qualified = base.replace(
            "fn downgrade",
            "#[migrate_runtime::downgrade]\nfn downgrade",
        );
        assert_eq!(of_file(base), of_file(&marked));
        assert_eq!(of_file(base), of_file(&qualified));
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

    /// What `cargo fmt` does to a sloppy migration file changes nothing.
    #[test]
    fn rustfmt_does_not_change_the_checksum() {
        let messy = r#"use migrate_runtime::prelude::*; use std::fmt::{Write, Debug};
#[migration(revision="a1",down_revision=None)]
fn upgrade(op:&mut Op)->Result<()>{
op.create_table("t").column(col::<Integer>("id").primary_key()).column(col::<Nullable<Text>>("name").length(20)).column(col::<Integer>("n").default(0));
op.run("fill",|conn|{conn.execute("UPDATE t SET n = 1")});
op.run("pick",|conn|{ let n = match 3u8 { 0 => { 1 } 1 => { let x = 2; x } _ => 3, }; let _ = (n,); let _ = conn; return Ok(()) });
for i in 0..3 { if i == 2 { continue } }
Ok(())}
fn downgrade(op:&mut Op)->Result<()>{op.drop_table("t");Ok(())}
"#;
        let mut child = match std::process::Command::new("rustfmt")
            .args(["--edition", "2021"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => panic!("rustfmt (part of the toolchain, as cargo fmt is) must run: {e}"),
        };
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(messy.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let formatted = String::from_utf8(out.stdout).unwrap();
        assert_ne!(formatted, messy);
        assert_eq!(sum(&formatted), sum(messy), "formatted:\n{formatted}");
    }

    #[test]
    fn one_element_tuples_and_attributes_on_imports_still_count() {
        assert_ne!(
            sum("fn f() { let _ = (x,); }"),
            sum("fn f() { let _ = (x); }")
        );
        assert_ne!(
            sum("#[cfg(test)] use a::x; fn upgrade() {}"),
            sum("use a::x; #[cfg(test)] fn upgrade() {}")
        );
        assert_eq!(sum("use b::y;\nuse a::x;\n"), sum("use a::x;\nuse b::y;\n"));
    }

    #[test]
    fn untokenizable_text_has_none() {
        assert_eq!(of_file("fn ( \"unterminated"), None);
    }
}
