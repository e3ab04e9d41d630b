//! Revision identifiers.

use std::fmt;

/// The longest revision id accepted: `alembic_version.version_num` is `VARCHAR(32)`.
pub const MAX_REVISION_LEN: usize = 32;

/// Why a revision id was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// The id is the empty string.
    Empty,
    /// The id is longer than [`MAX_REVISION_LEN`] characters.
    TooLong {
        /// Its length in characters.
        len: usize,
    },
    /// The id holds a character outside `A-Z a-z 0-9 _`.
    BadChar {
        /// The first offending character.
        ch: char,
    },
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => write!(f, "a revision id cannot be empty"),
            IdError::TooLong { len } => write!(
                f,
                "a revision id has at most {MAX_REVISION_LEN} characters (the size of alembic_version.version_num), this one has {len}"
            ),
            IdError::BadChar { ch } => write!(
                f,
                "a revision id may only hold letters, digits and `_`, found {ch:?}"
            ),
        }
    }
}

impl std::error::Error for IdError {}

/// Checks that `id` can be a revision id: 1 to 32 characters from `A-Z a-z 0-9 _`.
///
/// ```
/// assert!(migrate_core::validate_revision_id("a1b2c3d4e5f6").is_ok());
/// assert!(migrate_core::validate_revision_id("a-b").is_err());
/// ```
pub fn validate_revision_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    if let Some(ch) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(IdError::BadChar { ch });
    }
    let len = id.chars().count();
    if len > MAX_REVISION_LEN {
        return Err(IdError::TooLong { len });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_alembic_ids_and_words() {
        for id in ["7f71d8f421e3", "initial", "A_1", &"x".repeat(32)] {
            assert_eq!(validate_revision_id(id), Ok(()), "{id}");
        }
    }

    #[test]
    fn rejects_bad_ids() {
        assert_eq!(validate_revision_id(""), Err(IdError::Empty));
        assert_eq!(
            validate_revision_id(&"x".repeat(33)),
            Err(IdError::TooLong { len: 33 })
        );
        assert_eq!(
            validate_revision_id("ab-c"),
            Err(IdError::BadChar { ch: '-' })
        );
        assert_eq!(validate_revision_id("é"), Err(IdError::BadChar { ch: 'é' }));
        assert_eq!(
            validate_revision_id("a b"),
            Err(IdError::BadChar { ch: ' ' })
        );
    }
}
