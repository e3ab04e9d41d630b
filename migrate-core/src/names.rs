//! Migration file names: `<revision>_<slug>.rs`, as in Alembic's `versions/`.

use std::fmt;

/// A file name that does not start with its migration's revision id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNameError {
    /// The file name, without directory.
    pub file_name: String,
    /// The revision declared inside the file.
    pub revision: String,
}

impl fmt::Display for FileNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "file `{}` holds revision `{}`, but a migration file must be named `{}_<slug>.rs`; rename the file or fix the revision",
            self.file_name, self.revision, self.revision
        )
    }
}

impl std::error::Error for FileNameError {}

/// Checks that `file_name` (e.g. `a1b2c3d4e5f6_add_email.rs`) is named after `revision`:
/// it is `<revision>.rs` or starts with `<revision>_`.
pub fn check_file_name(file_name: &str, revision: &str) -> Result<(), FileNameError> {
    let stem = file_name.strip_suffix(".rs").unwrap_or(file_name);
    let ok = stem == revision
        || stem
            .strip_prefix(revision)
            .is_some_and(|rest| rest.starts_with('_'));
    if ok {
        Ok(())
    } else {
        Err(FileNameError {
            file_name: file_name.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

/// Turns a revision message into the slug of its file name, as Alembic does:
/// lower case, runs of anything but letters and digits become one `_`, at most 40
/// characters, cut at a word boundary.
///
/// ```
/// assert_eq!(migrate_core::slugify("Add email to users!"), "add_email_to_users");
/// ```
pub fn slugify(message: &str) -> String {
    let mut slug = String::new();
    for word in message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let extra = if slug.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if !slug.is_empty() && slug.len() + extra > 40 {
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    slug.truncate(40);
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert!(check_file_name("abc_initial.rs", "abc").is_ok());
        assert!(check_file_name("abc.rs", "abc").is_ok());
        assert!(check_file_name("abcd_initial.rs", "abc").is_err());
        assert!(check_file_name("xyz_initial.rs", "abc").is_err());
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("add email to users"), "add_email_to_users");
        assert_eq!(slugify("  Ünïcode -- and    spaces "), "n_code_and_spaces");
        assert_eq!(slugify(""), "");
        let long = slugify("a very long message that keeps going and going past forty characters");
        assert!(long.len() <= 40, "{long}");
        assert!(!long.ends_with('_'));
    }
}
