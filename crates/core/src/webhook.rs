//! Webhooks: which workflow moves other systems hear about, what they are told, which addresses
//! Dateline will call, and how often it tries again. The sending itself is the web crate's job.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::release::{Release, ReleaseStatus};
use crate::taxonomy::TaxonRef;
use crate::validation::ValidationErrors;
use crate::workflow::Change;

/// What an endpoint can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Event {
    /// Readers can now see the release: published by hand, at its embargo time, or reinstated.
    #[serde(rename = "release.published")]
    Published,
    /// A live release got a public correction (or a restore of earlier text).
    #[serde(rename = "release.corrected")]
    Corrected,
    /// A live release was taken down.
    #[serde(rename = "release.withdrawn")]
    Withdrawn,
}

impl Event {
    pub const ALL: [Event; 3] = [Event::Published, Event::Corrected, Event::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::Published => "release.published",
            Event::Corrected => "release.corrected",
            Event::Withdrawn => "release.withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// What the admin pages call it.
    pub fn label(self) -> &'static str {
        match self {
            Event::Published => "Published",
            Event::Corrected => "Corrected",
            Event::Withdrawn => "Withdrawn",
        }
    }

    /// The event a workflow change raises, if any. Only changes readers see count: approving a
    /// release with a future embargo raises nothing, and the scheduler's lifting of the embargo
    /// raises `Published` then, so no receiver hears of a release before its embargo lifts.
    pub fn of_change(from: ReleaseStatus, to: ReleaseStatus, change: &Change) -> Option<Event> {
        use ReleaseStatus::{Published, Withdrawn};
        match (from, to) {
            (f, Published) if f != Published => Some(Event::Published),
            (Published, Withdrawn) => Some(Event::Withdrawn),
            (Published, Published)
                if matches!(change, Change::Correct { .. } | Change::Restore { .. }) =>
            {
                Some(Event::Corrected)
            }
            _ => None,
        }
    }
}

/// The events an endpoint listens to, stored as their names separated by spaces.
pub fn events_to_text(events: &[Event]) -> String {
    Event::ALL
        .into_iter()
        .filter(|e| events.contains(e))
        .map(Event::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored list read back; names this version does not know are skipped.
pub fn events_from_text(text: &str) -> Vec<Event> {
    text.split_whitespace().filter_map(Event::parse).collect()
}

/// What a delivery tells the receiver. The body is fixed when the event happens, so a retry
/// hours later still describes the release as it was then.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub event: Event,
    pub occurred_at: DateTime<Utc>,
    pub release: NoticeRelease,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeRelease {
    /// The public id, as in the API's `/api/v1/releases/{id}`.
    pub id: String,
    pub slug: String,
    /// The page's path on this newsroom; the sender adds the site's address in front.
    pub path: String,
    pub headline: String,
    pub subheadline: String,
    pub language: String,
    pub status: &'static str,
    pub organization: Option<NoticeOrganization>,
    pub published_at: Option<DateTime<Utc>>,
    pub corrected_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// Set for `release.withdrawn`: the notice readers see in the release's place.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub withdrawal_reason: String,
    /// Set for `release.corrected`: the note readers see under the release.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub correction_note: String,
    pub revision: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeOrganization {
    pub slug: String,
    pub name: String,
}

impl Notice {
    pub fn new(event: Event, release: &Release, note: &str, at: DateTime<Utc>) -> Notice {
        let org = release
            .organization
            .as_ref()
            .map(|o: &TaxonRef| NoticeOrganization {
                slug: o.slug.clone(),
                name: o.name.clone(),
            });
        Notice {
            event,
            occurred_at: at,
            release: NoticeRelease {
                id: release.public_id.as_str().to_owned(),
                slug: release.slug.clone(),
                path: format!("/releases/{}/{}", release.public_id.as_str(), release.slug),
                headline: release.content.headline.clone(),
                subheadline: release.content.subheadline.clone(),
                language: release.content.language.clone(),
                status: release.status.as_str(),
                organization: org,
                published_at: release.published_at,
                corrected_at: release.corrected_at,
                withdrawn_at: release.withdrawn_at,
                withdrawal_reason: release.withdrawal_reason.clone(),
                correction_note: match event {
                    Event::Corrected => note.to_owned(),
                    _ => String::new(),
                },
                revision: release.revision,
            },
        }
    }
}

/// How long to wait after each failed attempt before the next; after the last, the delivery is
/// given up and shown as failed. About fifteen hours in all, so a receiver down overnight still
/// gets the event.
pub const RETRY_AFTER: [Duration; 5] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 60 * 60),
    Duration::from_secs(12 * 60 * 60),
];

/// The wait before the next attempt once `attempts` have failed, or `None` when it is time to
/// give up.
pub fn retry_after(attempts: i32) -> Option<Duration> {
    usize::try_from(attempts)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| RETRY_AFTER.get(i).copied())
}

/// The longest endpoint address accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Checks an endpoint address as an admin typed it: `http` or `https`, a host, no user name or
/// password in it (the signature authenticates us), no fragment. Returns it trimmed.
pub fn check_endpoint(raw: &str) -> Result<String, ValidationErrors> {
    let url = raw.trim();
    let bad = |msg: &str| Err(ValidationErrors::single("url", msg));
    if url.is_empty() {
        return bad("Enter the address Dateline should send events to.");
    }
    if url.len() > MAX_URL_LEN {
        return bad("This address is too long (at most 2000 characters).");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("Enter a full address starting with https:// or http://.");
    };
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return bad("Only https:// and http:// addresses can receive webhooks.");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return bad("The address has no host name.");
    }
    if authority.contains('@') {
        return bad(
            "Leave the user name and password out of the address; receivers check the signature instead.",
        );
    }
    if url.contains('#') {
        return bad("Leave the #fragment out of the address: it is never sent.");
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("The address contains spaces or control characters.");
    }
    Ok(url.to_owned())
}

/// Whether an address is on the public internet. Loopback, private, link-local, shared
/// (carrier-grade NAT), documentation, multicast and unspecified addresses are not, nor IPv6
/// forms that embed one of those IPv4 addresses. Webhooks only go to public addresses unless an
/// admin allowed the endpoint's host.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // 100.64.0.0/10: shared address space behind carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24: protocol assignments; 198.18.0.0/15: benchmarking; 240.0.0.0/4: reserved.
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) or
/// NAT64 (`64:ff9b::a.b.c.d`) IPv6 address.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    let zero_prefix = s[..6].iter().all(|&x| x == 0);
    let nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0);
    // `::` and `::1` are not IPv4 addresses; the IPv6 checks handle them.
    (nat64 || (zero_prefix && u32::from(tail) > 1)).then_some(tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public_address(s.parse().unwrap())
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip} must not count as public");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(public(ip), "{ip} is public");
        }
    }

    #[test]
    fn endpoints_must_be_plain_http_addresses() {
        assert_eq!(
            check_endpoint(" https://hooks.example.com/in ").unwrap(),
            "https://hooks.example.com/in"
        );
        for bad in [
            "",
            "hooks.example.com",
            "ftp://example.com/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https:///path",
            "https://example.com/a b",
            "https://example.com/#x",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn retries_back_off_then_stop() {
        assert_eq!(retry_after(1), Some(Duration::from_secs(60)));
        assert_eq!(retry_after(5), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(retry_after(6), None);
        assert_eq!(retry_after(0), None);
    }

    #[test]
    fn only_moves_readers_see_raise_events() {
        use ReleaseStatus::*;
        let publish = Change::Publish { at: None };
        assert_eq!(
            Event::of_change(Scheduled, Published, &publish),
            Some(Event::Published)
        );
        let approve = Change::Approve {
            embargo_at: DateTime::UNIX_EPOCH,
        };
        assert_eq!(Event::of_change(InReview, Scheduled, &approve), None);
        let withdraw = Change::Move {
            transition: crate::workflow::Transition::Withdraw,
            note: "x".into(),
        };
        assert_eq!(
            Event::of_change(Published, Withdrawn, &withdraw),
            Some(Event::Withdrawn)
        );
        let slug = Change::ChangeSlug { slug: "a".into() };
        assert_eq!(Event::of_change(Published, Published, &slug), None);
    }

    #[test]
    fn event_lists_round_trip_in_a_fixed_order() {
        let text = events_to_text(&[Event::Withdrawn, Event::Published]);
        assert_eq!(text, "release.published release.withdrawn");
        assert_eq!(
            events_from_text(&format!("{text} release.unknown")),
            vec![Event::Published, Event::Withdrawn]
        );
    }
}
