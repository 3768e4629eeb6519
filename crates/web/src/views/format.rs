//! Dates and times as readers see them: AP-style dates, 24-hour times with the zone named, and
//! machine-readable forms for `<time datetime>`.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use chrono_tz::Tz;
use dateline_core::dateline::ap_month;

/// A moment, ready for `<time datetime="{{ iso }}">{{ text }}</time>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    pub iso: String,
    pub text: String,
    pub date: String,
}

impl Moment {
    pub fn new(t: DateTime<Utc>, zone: Tz) -> Self {
        Moment {
            iso: t.to_rfc3339_opts(SecondsFormat::Secs, true),
            text: datetime(t, zone),
            date: date(t, zone),
        }
    }
}

/// `Sept. 2, 2026`
pub fn date(t: DateTime<Utc>, zone: Tz) -> String {
    let l = t.with_timezone(&zone);
    format!("{} {}, {}", ap_month(l.month()), l.day(), l.year())
}

/// `Sept. 2, 2026, 14:05 CEST`
pub fn datetime(t: DateTime<Utc>, zone: Tz) -> String {
    let l = t.with_timezone(&zone);
    format!(
        "{}, {:02}:{:02} {}",
        date(t, zone),
        l.hour(),
        l.minute(),
        l.format("%Z")
    )
}

/// `2026-09-02T14:05` in the zone, for `<input type="datetime-local">`.
pub fn local_input(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()
}

/// "in 3 h 20 min", "in 45 s", "12 min ago".
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let (future, s) = (secs >= 0, secs.unsigned_abs());
    if s < 5 {
        return "just now".into();
    }
    let span = if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s < 86_400 {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    } else {
        format!("{} d {} h", s / 86_400, (s % 86_400) / 3600)
    };
    if future {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn zones_are_named_and_dst_aware() {
        let summer = Utc.with_ymd_and_hms(2026, 9, 2, 12, 5, 0).unwrap();
        let winter = Utc.with_ymd_and_hms(2026, 12, 2, 12, 5, 0).unwrap();
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        assert_eq!(datetime(summer, berlin), "Sept. 2, 2026, 14:05 CEST");
        assert_eq!(datetime(winter, berlin), "Dec. 2, 2026, 13:05 CET");
        assert_eq!(Moment::new(summer, berlin).iso, "2026-09-02T12:05:00Z");
        assert_eq!(local_input(summer, berlin), "2026-09-02T14:05");
        assert_eq!(
            relative(summer + chrono::Duration::minutes(200), summer),
            "in 3 h 20 min"
        );
        assert_eq!(
            relative(summer - chrono::Duration::seconds(30), summer),
            "30 s ago"
        );
    }
}
