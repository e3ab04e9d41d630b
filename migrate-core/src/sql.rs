//! What raw SQL in a migration can be said to leave alone, without parsing it.

/// Whether `sql` is one statement that only changes rows (`INSERT`, `UPDATE`,
/// `DELETE`): such SQL creates, drops and alters no table, so a model of the
/// schema folded from the chain's operations stays true across it. Anything
/// else may change the schema: a second statement, a `SELECT` calling a
/// function that makes tables, a `SET search_path` that changes what a name
/// means. A `;` inside a quoted value makes the SQL look like two
/// statements: then it is not vouched for, never misread.
pub fn changes_rows_only(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    // Leading comments.
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map_or("", |(_, after)| after)
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            match r.split_once("*/") {
                Some((_, after)) => rest = after.trim_start(),
                None => return false,
            }
        } else {
            break;
        }
    }
    let word = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let one = match rest.find(';') {
        Some(i) => rest[i + 1..].trim().is_empty(),
        None => true,
    };
    one && matches!(word.as_str(), "INSERT" | "UPDATE" | "DELETE")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_row_statements_only() {
        for yes in [
            "UPDATE users SET email = lower(email)",
            "  -- backfill\n INSERT INTO users (id) VALUES (1);",
            "/* c */ delete from t;",
        ] {
            assert!(changes_rows_only(yes), "{yes}");
        }
        for no in [
            "CREATE TABLE t (id INT)",
            "UPDATE t SET a = 1; DROP TABLE t",
            "/* unterminated",
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT create_hypertable('t', 'at')",
            "SET search_path TO other",
            "",
        ] {
            assert!(!changes_rows_only(no), "{no}");
        }
    }
}
