//! Names too long for PostgreSQL or MySQL, found at compile time where a
//! migration writes them as string literals.
//!
//! PostgreSQL cuts a name over 63 bytes short without a word, so that two long
//! names sharing their first 63 bytes name one table (a `drop_table` of one
//! drops the other); MySQL refuses names over 64 characters. The runtime
//! refuses both before a run changes anything; this finds the literal ones
//! while the code is being written.

use syn::visit::Visit;

/// The longest name that every database with a limit takes, in bytes.
pub const LIMIT: usize = 63;

/// The methods of `Op`, `BatchOp` and the builders whose string arguments are
/// names. `execute`, `run`, defaults and checks take SQL and are left alone.
const NAMING: &[&str] = &[
    "create_table",
    "drop_table",
    "drop_table_if_exists",
    "rename_table",
    "add_column",
    "add_column_if_not_exists",
    "drop_column",
    "drop_column_if_exists",
    "alter_column",
    "rename_to",
    "create_index",
    "drop_index",
    "drop_index_if_exists",
    "create_unique_constraint",
    "create_foreign_key",
    "create_primary_key",
    "drop_constraint",
    "batch_alter_table",
    "bulk_insert",
    "primary_key",
    "foreign_key",
    "unique",
    "references",
];

/// Every literal name over [`LIMIT`] in `f`'s body.
pub fn too_long(f: &syn::ItemFn) -> Vec<syn::LitStr> {
    let mut v = Finder(Vec::new());
    v.visit_block(&f.block);
    v.0
}

/// The message for one of them.
pub fn message(lit: &syn::LitStr) -> String {
    let name = lit.value();
    format!(
        "the name `{name}` is {} bytes long: PostgreSQL takes at most {LIMIT} bytes (it would cut the name short silently) and MySQL 64 characters; shorten it",
        name.len()
    )
}

struct Finder(Vec<syn::LitStr>);

impl Finder {
    fn arg(&mut self, e: &syn::Expr) {
        match e {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => {
                let v = s.value();
                // SQL, not a name: a name with spaces or parentheses is not
                // what these arguments hold, and no false error is worth it.
                if v.len() > LIMIT && !v.contains(|c: char| c.is_whitespace() || c == '(') {
                    self.0.push(s.clone());
                }
            }
            syn::Expr::Array(a) => a.elems.iter().for_each(|e| self.arg(e)),
            syn::Expr::Reference(r) => self.arg(&r.expr),
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        if NAMING.iter().any(|n| m.method == n) {
            m.args.iter().for_each(|a| self.arg(a));
        }
        syn::visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        // `col::<Text>("name")`, `ForeignKey::new(["a"], "t", ["b"])`.
        if let syn::Expr::Path(p) = &*c.func {
            let last = p.path.segments.last().map(|s| s.ident.to_string());
            if matches!(last.as_deref(), Some("col"))
                || p.path.segments.len() >= 2
                    && p.path.segments.iter().any(|s| s.ident == "ForeignKey")
            {
                c.args.iter().for_each(|a| self.arg(a));
            }
        }
        syn::visit::visit_expr_call(self, c);
    }
}

/// Line and column (1-based) of a literal's first appearance in `text` after
/// `from`, for errors the collector reports at the `embed_migrations!` call.
pub fn locate(text: &str, from: usize, lit: &syn::LitStr) -> Option<(usize, usize)> {
    let needle = lit.token().to_string();
    let at = from + text.get(from..)?.find(&needle)?;
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(src: &str) -> Vec<String> {
        let f: syn::ItemFn = syn::parse_str(src).unwrap();
        too_long(&f).iter().map(|l| l.value()).collect()
    }

    #[test]
    fn literal_names_only() {
        let long = "x".repeat(64);
        let ok = "y".repeat(63);
        let src = format!(
            r#"fn upgrade(op: &mut Op) -> Result<()> {{
                op.create_table("{long}").column(col::<Integer>("{ok}"));
                op.add_column("t", col::<Text>("{long}"));
                op.create_index("i", "t", ["{long}"]);
                op.execute("{long}");
                op.create_check_constraint("c", "t", "{long} > 0");
                let name = "{long}";
                op.drop_table(name);
                Ok(())
            }}"#
        );
        assert_eq!(found(&src), [long.clone(), long.clone(), long]);
    }

    #[test]
    fn locates_the_literal() {
        let text = "fn a() {}\nfn downgrade() {\n    op.drop_table(\"abc\");\n}\n";
        let lit: syn::LitStr = syn::parse_str("\"abc\"").unwrap();
        assert_eq!(locate(text, 10, &lit), Some((3, 19)));
    }
}
