//! Pieces of the Rust code that autogenerate, the baseline and the Alembic
//! import write into migration files.

/// A Rust string literal for `s`: raw (`r#"..."#`) when it has quotes,
/// backslashes or lines, so that SQL reads as it was written; escaped when it
/// has any other control character, which a raw string would hide.
pub(crate) fn lit(s: &str) -> String {
    if !s.contains(['"', '\\', '\n']) || s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return format!("{s:?}");
    }
    let mut hashes = 1;
    while s.contains(&format!("\"{}", "#".repeat(hashes))) {
        hashes += 1;
    }
    let h = "#".repeat(hashes);
    format!("r{h}\"{s}\"{h}")
}

/// An array of string literals: `["a", "b"]`.
pub(crate) fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| lit(s)).collect();
    format!("[{}]", v.join(", "))
}

/// Text for a `//` comment: a control character (a newline in a table's
/// name) would end the comment and make the rest code.
pub(crate) fn comment(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_as_the_text() {
        assert_eq!(lit("plain"), "\"plain\"");
        assert_eq!(lit("say \"hi\""), "r#\"say \"hi\"\"#");
        assert_eq!(lit("a\"#b"), "r##\"a\"#b\"##");
        assert_eq!(lit("line\nnext"), "r#\"line\nnext\"#");
        assert_eq!(lit("bell\u{7}\"x"), "\"bell\\u{7}\\\"x\"");
        assert_eq!(list(&["a".into(), "b".into()]), "[\"a\", \"b\"]");
        assert_eq!(comment("a\nb\tc"), "a b c");
    }
}
