//! Times are stored in UTC and shown with an explicit zone. Local times entered by editors are
//! interpreted in a named IANA zone, refusing the wall-clock times a DST change skips or repeats
//! rather than guessing.

use chrono::{DateTime, LocalResult, NaiveDateTime, TimeZone, Utc};
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
    if let Ok(t) = DateTime::parse_from_rfc3339(input) {
        return Ok(t.with_timezone(&Utc));
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
    match zone.map(str::trim).filter(|z| !z.is_empty()) {
        Some(z) => local_to_utc(local, parse_zone(z)?),
        None => Err(TimeInputError::MissingZone),
    }
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
}
