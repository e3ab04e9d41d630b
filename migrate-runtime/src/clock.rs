//! UTC timestamps from the system clock, without a date library: backup file
//! names, `Create Date` lines and the ledger's times.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970 split into a civil date and time of day.
struct Utc {
    y: i64,
    m: u32,
    d: u32,
    secs: u64,
    millis: u32,
}

fn now() -> Utc {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    Utc {
        y,
        m,
        d,
        secs: rem,
        millis: since.subsec_millis(),
    }
}

/// `20261122T021646.123Z`: backup file names, which sort as they were taken.
pub(crate) fn backup_stamp() -> String {
    let t = now();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z",
        t.y,
        t.m,
        t.d,
        t.secs / 3600,
        t.secs % 3600 / 60,
        t.secs % 60,
        t.millis
    )
}

/// `2026-11-22 02:16:46`, Alembic's `Create Date` form (in UTC).
pub(crate) fn date_time() -> String {
    let t = now();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.y,
        t.m,
        t.d,
        t.secs / 3600,
        t.secs % 3600 / 60,
        t.secs % 60
    )
}

/// Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_414), (2025, 11, 22));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn formats() {
        assert_eq!(backup_stamp().len(), 20);
        assert_eq!(date_time().len(), 19);
    }
}
