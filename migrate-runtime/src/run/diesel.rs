//! diesel_migrations' table, `__diesel_schema_migrations`, as a second record
//! of where a database is in the chain.
//!
//! Its rows are of two kinds, and both name a revision of the chain:
//! - a diesel version (`20240101120000`): a migration diesel itself applied,
//!   which `migrate import diesel` turned into the revision of that same id;
//! - a version diesel's `MigrationHarness` recorded while running this chain
//!   (see `run/harness.rs`): the revision's position, from 1, in six digits,
//!   then `_` and the revision (`000003_a1b2c3d4e5f6`).
//!
//! diesel orders versions as strings, so the position comes first and is
//! zero-padded: the harness applies and reverts in chain order. A database
//! with such a table and no version table of ours is adopted by `upgrade` at
//! the revision its rows reach ([`position`]).

use crate::chain::{Chain, Position};
use crate::error::{Error, Result};

/// diesel_migrations' table of applied versions.
pub(crate) const TABLE: &str = "__diesel_schema_migrations";

/// Digits of the position in a harness version: diesel compares versions as
/// strings, so every position must have as many.
const POSITION_DIGITS: usize = 6;

/// The longest chain the harness can order (positions of six digits).
#[cfg_attr(not(feature = "diesel-migrations"), allow(dead_code))]
pub(crate) const MAX_HARNESS_CHAIN: usize = 999_999;

/// The version diesel's harness records for the migration at `index` (from 0)
/// of the chain, whose revision is `revision`: `000001_<revision>` for the
/// first. At most 6 + 1 + 32 characters, within diesel's `VARCHAR(50)`.
#[cfg_attr(not(feature = "diesel-migrations"), allow(dead_code))]
pub(crate) fn harness_version(index: usize, revision: &str) -> String {
    format!("{:0width$}_{revision}", index + 1, width = POSITION_DIGITS)
}

/// The index (from 0) and revision of a version [`harness_version`] wrote;
/// `None` for any other version (diesel's own never hold `_`).
pub(crate) fn parse_harness_version(version: &str) -> Option<(usize, &str)> {
    let (digits, revision) = version.split_once('_')?;
    if digits.len() != POSITION_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || revision.is_empty()
    {
        return None;
    }
    let n: usize = digits.parse().ok()?;
    Some((n.checked_sub(1)?, revision))
}

/// Where the rows of `__diesel_schema_migrations` (`versions`) put a database
/// in `chain`: `None` at base (no row). Every row must name a revision of the
/// chain, at the position it has now, and together they must be the chain's
/// first revisions without a gap: anything else would adopt a schema that is
/// not there, and is refused naming the rows. That includes a table of
/// another application sharing the database: it cannot be told from this
/// application's own diesel history that was not imported, where running
/// the chain from base would meet a live schema (the error's hint says how
/// to start this chain beside it).
pub(crate) fn position(chain: &Chain, versions: &[String]) -> Result<Position> {
    let mut applied = vec![false; chain.len()];
    let mut unknown = Vec::new();
    let mut moved = Vec::new();
    for v in versions {
        let at = match parse_harness_version(v) {
            Some((i, rev)) => match chain.position_of(rev) {
                Some(p) if p == i => Some(p),
                Some(p) => {
                    moved.push(format!("{v} (revision {rev} is now number {})", p + 1));
                    None
                }
                None => {
                    unknown.push(v.clone());
                    None
                }
            },
            None => match chain.position_of(v) {
                Some(p) => Some(p),
                None => {
                    unknown.push(v.clone());
                    None
                }
            },
        };
        if let Some(p) = at {
            applied[p] = true;
        }
    }
    if !unknown.is_empty() {
        return Err(Error::DieselVersions(format!(
            "{TABLE} records {} that no revision of this chain is: {}",
            if unknown.len() == 1 {
                "a version"
            } else {
                "versions"
            },
            unknown.join(", ")
        )));
    }
    if !moved.is_empty() {
        return Err(Error::DieselVersions(format!(
            "{TABLE} records revisions at another place in the chain than they have now (a migration was inserted or re-pointed below them): {}",
            moved.join(", ")
        )));
    }
    let Some(top) = applied.iter().rposition(|a| *a) else {
        return Ok(None);
    };
    let gaps: Vec<&str> = (0..top)
        .filter(|&i| !applied[i])
        .map(|i| chain.migrations()[i].revision())
        .collect();
    if !gaps.is_empty() {
        return Err(Error::DieselVersions(format!(
            "{TABLE} records revision {} but not {}, which {} before it in the chain: the database cannot be placed at one revision",
            chain.migrations()[top].revision(),
            gaps.join(", "),
            if gaps.len() == 1 { "comes" } else { "come" }
        )));
    }
    Ok(Some(top))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Migration;
    use crate::ops::Op;

    fn noop(_: &mut Op) -> Result<()> {
        Ok(())
    }

    fn chain() -> Chain {
        Chain::new(vec![
            Migration::new("00000000000000", None, "setup", noop, Some(noop)),
            Migration::new(
                "20240101120000",
                Some("00000000000000"),
                "users",
                noop,
                Some(noop),
            ),
            Migration::new("a1b2c3", Some("20240101120000"), "native", noop, Some(noop)),
        ])
        .unwrap()
    }

    #[test]
    fn harness_versions_sort_in_chain_order_and_read_back() {
        let mut vs: Vec<String> = [(10, "aa"), (1, "zz"), (0, "mm"), (999_998, "b")]
            .iter()
            .map(|(i, r)| harness_version(*i, r))
            .collect();
        vs.sort();
        assert_eq!(vs, ["000001_mm", "000002_zz", "000011_aa", "999999_b"]);
        assert_eq!(parse_harness_version("000011_aa"), Some((10, "aa")));
        assert_eq!(parse_harness_version("000011_a_b"), Some((10, "a_b")));
        for not in [
            "20240101120000",
            "000000_a",
            "00001_a",
            "0000011_a",
            "000011_",
            "x00011_a",
        ] {
            assert_eq!(parse_harness_version(not), None, "{not}");
        }
    }

    #[test]
    fn diesel_rows_place_the_database_or_are_refused() {
        let c = chain();
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(position(&c, &[]).unwrap(), None);
        // diesel's own versions, as an imported directory has them.
        assert_eq!(
            position(&c, &v(&["20240101120000", "00000000000000"])).unwrap(),
            Some(1)
        );
        // Mixed: diesel applied the first two, the harness the third.
        assert_eq!(
            position(
                &c,
                &v(&["00000000000000", "20240101120000", "000003_a1b2c3"])
            )
            .unwrap(),
            Some(2)
        );
        assert_eq!(position(&c, &v(&["00000000000000"])).unwrap(), Some(0));
        let e = position(
            &c,
            &v(&["00000000000000", "20240101120000", "20990101000000"]),
        )
        .unwrap_err();
        assert!(e.to_string().contains("20990101000000"), "{e}");
        // No row of this chain at all (another application's table, or a
        // diesel history not imported): refused, never taken for base.
        for other in [
            &["20990101000000"][..],
            &["00000000000000", "20990101000000"],
            &["000001_ffffff"],
        ] {
            assert!(position(&c, &v(other)).is_err(), "{other:?}");
        }
        let e = position(&c, &v(&["000002_a1b2c3"])).unwrap_err();
        assert!(e.to_string().contains("is now number 3"), "{e}");
        let e = position(&c, &v(&["00000000000000", "000003_a1b2c3"])).unwrap_err();
        assert!(e.to_string().contains("but not 20240101120000"), "{e}");
    }
}
