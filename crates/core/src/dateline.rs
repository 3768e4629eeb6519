//! The dateline and source line that open a press release, printed in wire style:
//! `XIAMEN, China, Sept. 2, 2022 /PRNewswire/ --`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Where and when a release was issued, and through which wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Dateline {
    pub city: String,
    /// Country, state or region, as a wire desk would print it ("China", "Calif.").
    pub region: String,
    pub date: Option<NaiveDate>,
    /// The distribution service, printed between slashes ("PRNewswire"). Empty for none.
    pub distributor: String,
}

/// "A news report from example.com:", linking to where the text first appeared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SourceLine {
    pub label: String,
    pub url: String,
}

impl SourceLine {
    pub fn is_empty(&self) -> bool {
        self.label.trim().is_empty() && self.url.trim().is_empty()
    }
}

/// The Associated Press style for month names in datelines: five short months are spelled out.
pub fn ap_month(month: u32) -> &'static str {
    match month {
        1 => "Jan.",
        2 => "Feb.",
        3 => "March",
        4 => "April",
        5 => "May",
        6 => "June",
        7 => "July",
        8 => "Aug.",
        9 => "Sept.",
        10 => "Oct.",
        11 => "Nov.",
        _ => "Dec.",
    }
}

/// A date in AP style: `Sept. 2, 2022`.
pub fn ap_date(date: NaiveDate) -> String {
    format!("{} {}, {}", ap_month(date.month()), date.day(), date.year())
}

impl Dateline {
    pub fn is_empty(&self) -> bool {
        self.city.trim().is_empty()
            && self.region.trim().is_empty()
            && self.date.is_none()
            && self.distributor.trim().is_empty()
    }

    /// The dateline without its closing dash: `XIAMEN, China, Sept. 2, 2022 /PRNewswire/`.
    pub fn body(&self) -> String {
        let mut parts: Vec<String> = Vec::with_capacity(3);
        let city = self.city.trim();
        if !city.is_empty() {
            parts.push(city.to_uppercase());
        }
        let region = self.region.trim();
        if !region.is_empty() {
            parts.push(region.to_owned());
        }
        if let Some(date) = self.date {
            parts.push(ap_date(date));
        }
        let mut out = parts.join(", ");
        let distributor = self.distributor.trim().trim_matches('/').trim();
        if !distributor.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push('/');
            out.push_str(distributor);
            out.push('/');
        }
        out
    }

    /// Plain-text wire style, with the typewriter dash: `XIAMEN, China, Sept. 2, 2022 /PRNewswire/ --`.
    pub fn to_plain(&self) -> String {
        self.with_dash("--")
    }

    /// For HTML pages, with a real em dash. The result is still text: templates escape it.
    pub fn to_display(&self) -> String {
        self.with_dash("\u{2014}")
    }

    fn with_dash(&self, dash: &str) -> String {
        let body = self.body();
        if body.is_empty() {
            String::new()
        } else {
            format!("{body} {dash}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn wire_style() {
        let dl = Dateline {
            city: "Xiamen".into(),
            region: "China".into(),
            date: d(2022, 9, 2),
            distributor: "PRNewswire".into(),
        };
        assert_eq!(
            dl.to_plain(),
            "XIAMEN, China, Sept. 2, 2022 /PRNewswire/ --"
        );
        assert_eq!(
            dl.to_display(),
            "XIAMEN, China, Sept. 2, 2022 /PRNewswire/ \u{2014}"
        );
    }

    #[test]
    fn every_month_in_ap_style() {
        let names: Vec<&str> = (1..=12).map(ap_month).collect();
        assert_eq!(
            names,
            [
                "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
                "Nov.", "Dec."
            ]
        );
    }

    #[test]
    fn missing_parts_are_left_out() {
        let only_city = Dateline {
            city: "São Paulo".into(),
            ..Default::default()
        };
        assert_eq!(only_city.to_plain(), "SÃO PAULO --");
        let no_wire = Dateline {
            city: "Lisbon".into(),
            region: "Portugal".into(),
            date: d(2025, 3, 4),
            distributor: " ".into(),
        };
        assert_eq!(no_wire.to_plain(), "LISBON, Portugal, March 4, 2025 --");
        let slashes = Dateline {
            distributor: "/Wire/".into(),
            ..no_wire
        };
        assert_eq!(
            slashes.to_plain(),
            "LISBON, Portugal, March 4, 2025 /Wire/ --"
        );
        assert_eq!(Dateline::default().to_plain(), "");
    }
}
