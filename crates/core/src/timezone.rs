//! Times are stored in UTC and shown with an explicit zone. Local times entered by editors are
//! interpreted in a named IANA zone, refusing the wall-clock times a DST change skips or repeats
//! rather than guessing.

use chrono::{DateTime, Datelike, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeInputError {
    #[error("unknown time zone {0:?}: use an IANA name such as Europe/Lisbon or America/New_York")]
    UnknownZone(String),
    #[error("{0} does not exist in {1}: the clocks skip it for daylight saving time")]
    SkippedByDst(NaiveDateTime, String),
    #[error(
        "{0} happens twice in {1} (daylight saving time ends); give the UTC offset, e.g. 2026-10-25T01:30+01:00"
    )]
    AmbiguousByDst(NaiveDateTime, String),
    #[error(
        "{0:?} is not a date and time: use YYYY-MM-DDTHH:MM with a time zone, or RFC 3339 with an offset"
    )]
    Unreadable(String),
    #[error("a time zone is required: add an offset such as +02:00 or Z, or choose a zone")]
    MissingZone,
    #[error("{0:?} is outside the years 1 to 9999")]
    OutOfRange(String),
}

/// The years any time from outside may name. PostgreSQL's timestamps end in 4713 BC, chrono's
/// at ±262 143, and SQLite compares the stored text, which sorts by time only while the year has
/// four digits (an embargo in year 10000 would sort before today and fall due at once): years 1
/// to 9999 mean the same on every backend and leave room for a day's arithmetic.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Whether `t` lies in [`YEARS`], so it is stored and compared alike on both backends.
pub fn storable(t: DateTime<Utc>) -> bool {
    YEARS.contains(&t.year())
}

pub fn parse_zone(name: &str) -> Result<Tz, TimeInputError> {
    name.trim()
        .parse::<Tz>()
        .map_err(|_| TimeInputError::UnknownZone(name.to_owned()))
}

/// The UTC instant of a wall-clock time in `zone`.
pub fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, TimeInputError> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::None => Err(TimeInputError::SkippedByDst(local, zone.name().to_owned())),
        LocalResult::Ambiguous(_, _) => Err(TimeInputError::AmbiguousByDst(
            local,
            zone.name().to_owned(),
        )),
    }
}

/// Reads an embargo time as editors and machines give it: RFC 3339 with an offset
/// (`2026-12-01T09:00:00+01:00`, `…Z`), or a local `YYYY-MM-DDTHH:MM[:SS]` together with a zone
/// name. A local time without a zone is refused: guessing the zone is how embargoes break.
pub fn parse_instant(input: &str, zone: Option<&str>) -> Result<DateTime<Utc>, TimeInputError> {
    let input = input.trim();
    read_instant(input, zone)?
        .filter(|t| storable(*t))
        .ok_or_else(|| TimeInputError::OutOfRange(input.chars().take(60).collect()))
}

/// The instant, or None for a time outside [`YEARS`] (checked before a zone is applied, so no
/// offset arithmetic runs near chrono's limits).
fn read_instant(input: &str, zone: Option<&str>) -> Result<Option<DateTime<Utc>>, TimeInputError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(input) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    let local = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(input, f).ok())
    .ok_or_else(|| TimeInputError::Unreadable(input.chars().take(60).collect()))?;
    let zone = match zone.map(str::trim).filter(|z| !z.is_empty()) {
        Some(z) => parse_zone(z)?,
        None => return Err(TimeInputError::MissingZone),
    };
    if !YEARS.contains(&local.year()) {
        return Ok(None);
    }
    local_to_utc(local, zone).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn across_daylight_saving_changes() {
        let lisbon = parse_zone("Europe/Lisbon").unwrap();
        // Winter: UTC+0. Summer: UTC+1.
        assert_eq!(
            local_to_utc(local(2026, 1, 15, 9, 0), lisbon)
                .unwrap()
                .to_rfc3339(),
            "2026-01-15T09:00:00+00:00"
        );
        assert_eq!(
            local_to_utc(local(2026, 7, 15, 9, 0), lisbon)
                .unwrap()
                .to_rfc3339(),
            "2026-07-15T08:00:00+00:00"
        );
        // 29 March 2026, 01:00 → 02:00: 01:30 never happens.
        assert!(matches!(
            local_to_utc(local(2026, 3, 29, 1, 30), lisbon),
            Err(TimeInputError::SkippedByDst(..))
        ));
        // 25 October 2026, 02:00 → 01:00: 01:30 happens twice.
        assert!(matches!(
            local_to_utc(local(2026, 10, 25, 1, 30), lisbon),
            Err(TimeInputError::AmbiguousByDst(..))
        ));
        // The same local time a day apart across the change is 25 hours apart.
        let ny = parse_zone("America/New_York").unwrap();
        let before = local_to_utc(local(2026, 11, 1, 0, 30), ny).unwrap();
        let after = local_to_utc(local(2026, 11, 2, 0, 30), ny).unwrap();
        assert_eq!((after - before).num_hours(), 25);
    }

    #[test]
    fn instants() {
        assert_eq!(
            parse_instant("2026-12-01T09:00:00+01:00", None)
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T08:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-12-01T09:00", Some("Asia/Tokyo"))
                .unwrap()
                .to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-12-01T09:00", None),
            Err(TimeInputError::MissingZone)
        );
        assert!(matches!(
            parse_instant("2026-12-01T09:00", Some("Mars/Base")),
            Err(TimeInputError::UnknownZone(_))
        ));
        assert!(matches!(
            parse_instant("tomorrow", Some("UTC")),
            Err(TimeInputError::Unreadable(_))
        ));
    }

    #[test]
    fn instants_outside_four_digit_years_are_refused() {
        // Year 10000 in UTC would sort before today as SQLite text: the embargo would fall due
        // at once. Far years would not fit PostgreSQL or chrono's offset arithmetic.
        for (input, zone) in [
            ("9999-12-31T23:59:59-23:59", None),
            ("0000-12-31T23:00:00Z", None),
            ("+262142-12-31T09:00", Some("Europe/Berlin")),
            ("-262143-01-01T00:00", Some("Asia/Tokyo")),
            ("-4714-01-01T00:00", Some("UTC")),
        ] {
            assert!(
                matches!(
                    parse_instant(input, zone),
                    Err(TimeInputError::OutOfRange(_))
                ),
                "{input}"
            );
        }
        assert!(parse_instant("10000-01-01T00:00", Some("UTC")).is_err());
        assert!(parse_instant("9999-12-31T09:00", Some("Europe/Berlin")).is_ok());
        assert!(parse_instant("0001-01-01T12:00:00Z", None).is_ok());
    }

    #[test]
    fn only_four_digit_years_are_storable() {
        let day = |y, m, d| {
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        };
        assert!(storable(day(1, 1, 1)));
        assert!(storable(day(9999, 12, 31)));
        assert!(!storable(day(0, 12, 31)));
        assert!(!storable(day(10000, 1, 1)));
        assert!(!storable(DateTime::<Utc>::MIN_UTC));
        assert!(!storable(DateTime::<Utc>::MAX_UTC));
    }
}
