//! How releases look on pages: cards in listings and the full anatomy on a release page.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use dateline_core::release::Correction;
use dateline_core::{Contact, Organization, Release, ReleaseSummary, TaxonRef};

use crate::views::BodyHtml;
use crate::views::format::Moment;

#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub text: String,
}

pub fn release_path(public_id: &str, slug: &str) -> String {
    format!("/releases/{public_id}/{slug}")
}

/// A release in a list: headline, dateline, organization, date.
#[derive(Debug, Clone)]
pub struct Card {
    pub href: String,
    pub headline: String,
    pub subheadline: String,
    pub summary: String,
    pub dateline: String,
    pub organization: Option<Link>,
    pub published: Option<Moment>,
    pub corrected: bool,
    pub lang: String,
    /// The lead picture, small.
    pub thumb: Option<crate::views::media::Figure>,
}

impl Card {
    /// Cards for a list, each with its release's lead picture when it has one.
    pub fn list(
        items: &[ReleaseSummary],
        zone: Tz,
        files: &std::collections::HashMap<i64, Vec<dateline_storage::repo::media::Media>>,
    ) -> Vec<Card> {
        items
            .iter()
            .map(|r| {
                let mut card = Card::new(r, zone);
                card.thumb = files.get(&r.id).and_then(|f| {
                    f.iter().find_map(|m| {
                        crate::views::media::Figure::new(m, crate::views::media::THUMB_SIZES)
                    })
                });
                card
            })
            .collect()
    }

    pub fn new(r: &ReleaseSummary, zone: Tz) -> Self {
        Card {
            href: release_path(r.public_id.as_str(), &r.slug),
            headline: r.headline.clone(),
            subheadline: r.subheadline.clone(),
            summary: r.summary.clone(),
            dateline: r.dateline.body(),
            organization: r.organization.as_ref().map(|o| Link {
                href: format!("/organizations/{}", o.slug),
                text: o.name.clone(),
            }),
            published: r.published_at.map(|t| Moment::new(t, zone)),
            corrected: r.corrected_at.is_some(),
            lang: r.language.clone(),
            thumb: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ContactView {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
    /// The phone number for a `tel:` link: digits and a leading plus only.
    pub tel: String,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        ContactView {
            name: c.name.clone(),
            title: c.title.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            tel: c
                .phone
                .chars()
                .filter(|ch| ch.is_ascii_digit() || *ch == '+')
                .collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CorrectionView {
    pub note: String,
    pub at: Moment,
}

#[derive(Debug, Clone)]
pub struct Issuer {
    pub name: String,
    pub href: String,
    pub website: String,
    pub boilerplate: Vec<String>,
}

/// A release with everything its page prints.
#[derive(Debug, Clone)]
pub struct Full {
    pub path: String,
    pub headline: String,
    pub subheadline: String,
    pub dateline: String,
    pub source_label: String,
    pub source_url: String,
    pub summary: String,
    pub body: BodyHtml,
    pub lang: String,
    pub issuer: Option<Issuer>,
    pub contacts: Vec<ContactView>,
    pub categories: Vec<Link>,
    pub regions: Vec<Link>,
    pub tags: Vec<Link>,
    pub published: Option<Moment>,
    pub updated: Option<Moment>,
    pub corrections: Vec<CorrectionView>,
}

fn links(items: &[TaxonRef], base: &str) -> Vec<Link> {
    items
        .iter()
        .map(|t| Link {
            href: format!("{base}/{}", t.slug),
            text: t.name.clone(),
        })
        .collect()
}

impl Full {
    pub fn new(
        r: &Release,
        organization: Option<&Organization>,
        corrections: &[Correction],
        zone: Tz,
    ) -> Self {
        let c = &r.content;
        Full {
            path: release_path(r.public_id.as_str(), &r.slug),
            headline: c.headline.clone(),
            subheadline: c.subheadline.clone(),
            dateline: c.dateline.to_display(),
            source_label: c.source.label.clone(),
            source_url: c.source.url.clone(),
            summary: c.summary.clone(),
            body: BodyHtml(r.body_html.clone()),
            lang: c.language.clone(),
            issuer: organization.map(|o| Issuer {
                name: o.name.clone(),
                href: format!("/organizations/{}", o.slug),
                website: o.website.clone(),
                boilerplate: paragraphs(&o.boilerplate),
            }),
            contacts: c.contacts.iter().map(ContactView::from).collect(),
            categories: links(&r.categories, "/categories"),
            regions: links(&r.regions, "/regions"),
            tags: links(&r.tags, "/tags"),
            published: r.published_at.map(|t| Moment::new(t, zone)),
            updated: r.corrected_at.map(|t| Moment::new(t, zone)),
            corrections: corrections
                .iter()
                .map(|k| CorrectionView {
                    note: k.note.clone(),
                    at: Moment::new(k.corrected_at, zone),
                })
                .collect(),
        }
    }
}

/// Plain text split into paragraphs at blank lines.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The newest of two optional times.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}
