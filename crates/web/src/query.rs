//! Numbers and dates read from an address, each parsed here and nowhere else. Every value is
//! bounded before anything computes with it, so adding a day, multiplying a page into an offset
//! or binding a time on either backend cannot overflow; anything else is a 400 naming the
//! parameter: extreme input is a 4xx, never a 5xx.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use dateline_core::timezone::YEARS;
use dateline_storage::PageRequest;

use crate::error::{WebError, WebResult};

/// A calendar day someone typed: `YYYY-MM-DD`, in years 1 to 9999 ([`YEARS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(NaiveDate);

impl Day {
    /// Reads a day, or says what is wrong in words a reader can act on.
    pub fn parse(text: &str) -> Result<Day, String> {
        let t = text.trim();
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .ok()
            .filter(|d| YEARS.contains(&d.year()))
            .map(Day)
            .ok_or_else(|| {
                format!(
                    "{:?} is not a date (YYYY-MM-DD) between 0001-01-01 and 9999-12-31.",
                    shown(t)
                )
            })
    }

    /// An optional query parameter: absent or empty is no date; anything else must be a day.
    pub fn param(raw: Option<&str>, parameter: &str) -> WebResult<Option<Day>> {
        match given(raw) {
            None => Ok(None),
            Some(s) => Day::parse(s)
                .map(Some)
                .map_err(|m| WebError::bad_query(parameter, m)),
        }
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// Midnight UTC at the start of the day.
    pub fn start(self) -> DateTime<Utc> {
        self.0.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// Midnight UTC after the day: the end of a range that includes it. None after the last
    /// day of 9999, where nothing stored can be later and year 10000 would not compare as text
    /// on SQLite.
    pub fn end(self) -> Option<DateTime<Utc>> {
        self.0
            .succ_opt()
            .filter(|d| YEARS.contains(&d.year()))
            .map(|d| Day(d).start())
    }
}

/// A short, safe prefix of what was typed, for a message that quotes it.
fn shown(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

/// What a parameter was given, if anything: an empty value (an empty form field) is nothing.
pub fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|s| !s.is_empty())
}

/// A whole number in `1..=max` (a page number, a limit), or None for anything else.
pub fn bounded(text: &str, max: i64) -> Option<i64> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

/// `limit` on an API list: 1 to 100, `default` when absent. Refused rather than clamped when out
/// of range, so a client learns the bound instead of silently getting fewer items than asked.
pub fn limit(raw: Option<&str>, default: usize) -> WebResult<usize> {
    let max = PageRequest::MAX as i64;
    match given(raw) {
        None => Ok(default),
        Some(t) => bounded(t, max)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| limit_error(max)),
    }
}

fn limit_error(max: i64) -> WebError {
    WebError::bad_query(
        "limit",
        format!("Give `limit` as a whole number from 1 to {max}."),
    )
}

/// The zero-based offset of page `n` (from 1) of `per_page` rows; None when it would overflow,
/// which no real page does.
pub fn offset(n: i64, per_page: i64) -> Option<i64> {
    n.checked_sub(1)?.checked_mul(per_page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_four_digit_years_only() {
        for good in ["0001-01-01", "2026-02-28", "9999-12-31", " 2024-02-29 "] {
            assert!(Day::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "+262142-12-31",
            "-262143-01-01",
            "-4714-01-01",
            "0000-01-01",
            "10000-01-01",
            "2023-02-29",
            "2026-13-01",
            "99999999999999999999999",
            "",
            "\0",
        ] {
            let e = Day::parse(bad).unwrap_err();
            assert!(e.contains("is not a date"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_quoted_value_is_short() {
        let e = Day::parse(&"9".repeat(10_000)).unwrap_err();
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn the_last_day_has_no_end_and_others_end_at_the_next_midnight() {
        let last = Day::parse("9999-12-31").unwrap();
        assert_eq!(last.end(), None);
        let d = Day::parse("2026-12-31").unwrap();
        assert_eq!(d.end(), Some(Day::parse("2027-01-01").unwrap().start()));
        assert_eq!(
            Day::parse("0001-01-01").unwrap().start().timestamp(),
            -62_135_596_800
        );
    }

    #[test]
    fn limits_are_whole_numbers_in_range() {
        assert_eq!(limit(None, 20).unwrap(), 20);
        assert_eq!(limit(Some(""), 20).unwrap(), 20);
        assert_eq!(limit(Some("100"), 20).unwrap(), 100);
        for bad in [
            "0",
            "-1",
            "101",
            "18446744073709551616",
            "9223372036854775807",
            "1.5",
            "ten",
        ] {
            let e = limit(Some(bad), 20).unwrap_err();
            assert!(
                matches!(&e, WebError::BadQuery(v) if v.errors[0].field == "limit"),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn offsets_never_overflow() {
        assert_eq!(offset(1, 1000), Some(0));
        assert_eq!(offset(3, 1000), Some(2000));
        assert_eq!(offset(i64::MAX, 1000), None);
        assert_eq!(offset(i64::MIN, 1000), None);
    }
}
