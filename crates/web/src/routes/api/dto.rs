//! What the JSON API answers: explicit shapes per audience, so nothing private (hashes, tokens,
//! staff emails) can slip into a response by accident (`docs/security.md` Z9).

use chrono::{DateTime, SecondsFormat, Utc};
use dateline_core::release::Correction;
use dateline_core::{
    Contact, Dateline, Release, ReleaseContent, ReleaseSummary, SourceLine, TaxonRef,
};
use serde::Serialize;

use crate::config::Config;
use crate::views::release::release_path;

fn time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Ref {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl From<&TaxonRef> for Ref {
    fn from(t: &TaxonRef) -> Self {
        Ref {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct DatelineDto {
    pub city: String,
    pub region: String,
    pub date: Option<String>,
    pub distributor: String,
    /// As printed: `XIAMEN, China, Sept. 2, 2022 /PRNewswire/ --`.
    pub text: String,
}

impl From<&Dateline> for DatelineDto {
    fn from(d: &Dateline) -> Self {
        DatelineDto {
            city: d.city.clone(),
            region: d.region.clone(),
            date: d.date.map(|d| d.format("%Y-%m-%d").to_string()),
            distributor: d.distributor.clone(),
            text: d.to_plain(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SourceDto {
    pub label: String,
    pub url: String,
}

impl From<&SourceLine> for SourceDto {
    fn from(s: &SourceLine) -> Self {
        SourceDto {
            label: s.label.clone(),
            url: s.url.clone(),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct CorrectionDto {
    pub note: String,
    pub corrected_at: Option<String>,
    pub revision: i64,
}

/// A correction as readers see it under the release: when, and the note.
#[derive(Serialize, schemars::JsonSchema)]
pub struct PublicCorrectionDto {
    pub note: String,
    pub corrected_at: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct AuthorDto {
    pub id: i64,
    pub name: String,
}

/// The release's own words above the body, in the order the page shows them. Both release
/// shapes carry it, flattened, so their JSON keeps the same keys.
#[derive(Serialize, schemars::JsonSchema)]
pub struct HeadingDto {
    pub headline: String,
    pub subheadline: String,
    pub dateline: DatelineDto,
    pub source: SourceDto,
    pub summary: String,
}

impl From<&ReleaseContent> for HeadingDto {
    fn from(c: &ReleaseContent) -> Self {
        HeadingDto {
            headline: c.headline.clone(),
            subheadline: c.subheadline.clone(),
            dateline: DatelineDto::from(&c.dateline),
            source: SourceDto::from(&c.source),
            summary: c.summary.clone(),
        }
    }
}

/// Who issued the release, whom to call, and where it is filed.
#[derive(Serialize, schemars::JsonSchema)]
pub struct LinksDto {
    pub organization: Option<Ref>,
    pub contacts: Vec<Contact>,
    pub categories: Vec<Ref>,
    pub regions: Vec<Ref>,
    pub tags: Vec<Ref>,
}

impl From<&Release> for LinksDto {
    fn from(r: &Release) -> Self {
        let c = &r.content;
        LinksDto {
            organization: r.organization.as_ref().map(Ref::from),
            contacts: c.contacts.clone(),
            categories: r.categories.iter().map(Ref::from).collect(),
            regions: r.regions.iter().map(Ref::from).collect(),
            tags: r.tags.iter().map(Ref::from).collect(),
        }
    }
}

/// The working copy, for those who may edit the release or see its workings: the Markdown
/// source, the revision to send back in `If-Match`, drafting times and the author.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ReleaseDto {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub status: &'static str,
    pub revision: i64,
    #[serde(flatten)]
    pub heading: HeadingDto,
    pub body: String,
    pub body_html: String,
    pub language: String,
    #[serde(flatten)]
    pub links: LinksDto,
    pub embargo_at: Option<String>,
    pub published_at: Option<String>,
    pub corrected_at: Option<String>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub corrections: Vec<CorrectionDto>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<AuthorDto>,
}

impl ReleaseDto {
    pub fn new(
        config: &Config,
        r: &Release,
        corrections: &[Correction],
        author: Option<AuthorDto>,
    ) -> Self {
        let c = &r.content;
        ReleaseDto {
            id: r.public_id.to_string(),
            slug: r.slug.clone(),
            url: config.absolute(&release_path(r.public_id.as_str(), &r.slug)),
            status: r.status.as_str(),
            revision: r.revision,
            heading: HeadingDto::from(c),
            body: c.body.clone(),
            body_html: r.body_html.as_str().to_owned(),
            language: c.language.clone(),
            links: LinksDto::from(r),
            embargo_at: time(r.embargo_at),
            published_at: time(r.published_at),
            corrected_at: time(r.corrected_at),
            created_at: time(Some(r.created_at)),
            updated_at: time(Some(r.updated_at)),
            corrections: corrections
                .iter()
                .map(|k| CorrectionDto {
                    note: k.note.clone(),
                    corrected_at: time(Some(k.corrected_at)),
                    revision: k.revision,
                })
                .collect(),
            withdrawn_at: time(r.withdrawn_at),
            withdrawal_reason: r.withdrawn_at.map(|_| r.withdrawal_reason.clone()),
            author,
        }
    }
}

/// What the release page shows, and nothing else: the rendered, sanitised body instead of the
/// Markdown (whose HTML comments are editors' notes), and no revision, drafting times or author.
/// A withdrawn release is not here at all: those callers get a 410 naming the reason, as the
/// page does.
#[derive(Serialize, schemars::JsonSchema)]
pub struct PublicReleaseDto {
    pub id: String,
    pub slug: String,
    pub url: String,
    #[serde(flatten)]
    pub heading: HeadingDto,
    pub body_html: String,
    pub language: String,
    #[serde(flatten)]
    pub links: LinksDto,
    pub published_at: Option<String>,
    pub corrected_at: Option<String>,
    pub corrections: Vec<PublicCorrectionDto>,
}

impl PublicReleaseDto {
    pub fn new(config: &Config, r: &Release, corrections: &[Correction]) -> Self {
        let c = &r.content;
        PublicReleaseDto {
            id: r.public_id.to_string(),
            slug: r.slug.clone(),
            url: config.absolute(&release_path(r.public_id.as_str(), &r.slug)),
            heading: HeadingDto::from(c),
            body_html: r.body_html.as_str().to_owned(),
            language: c.language.clone(),
            links: LinksDto::from(r),
            published_at: time(r.published_at),
            corrected_at: time(r.corrected_at),
            corrections: corrections
                .iter()
                .map(|k| PublicCorrectionDto {
                    note: k.note.clone(),
                    corrected_at: time(Some(k.corrected_at)),
                })
                .collect(),
        }
    }
}

/// A release in a list, as a card on the public pages shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct PublicItemDto {
    pub id: String,
    pub slug: String,
    pub url: String,
    pub headline: String,
    pub subheadline: String,
    pub summary: String,
    pub dateline: String,
    pub language: String,
    pub organization: Option<Ref>,
    pub published_at: Option<String>,
    pub corrected_at: Option<String>,
}

impl PublicItemDto {
    pub fn new(config: &Config, r: &ReleaseSummary) -> Self {
        PublicItemDto {
            id: r.public_id.to_string(),
            slug: r.slug.clone(),
            url: config.absolute(&release_path(r.public_id.as_str(), &r.slug)),
            headline: r.headline.clone(),
            subheadline: r.subheadline.clone(),
            summary: r.summary.clone(),
            dateline: r.dateline.to_plain(),
            language: r.language.clone(),
            organization: r.organization.as_ref().map(Ref::from),
            published_at: time(r.published_at),
            corrected_at: time(r.corrected_at),
        }
    }
}

/// A release in a list for someone who may see its workings: the card plus where it is in the
/// workflow.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ReleaseItemDto {
    #[serde(flatten)]
    pub card: PublicItemDto,
    pub status: &'static str,
    pub revision: i64,
    pub embargo_at: Option<String>,
    pub updated_at: Option<String>,
}

/// One list entry, shaped for the caller release by release.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum ItemDto {
    Public(PublicItemDto),
    Working(ReleaseItemDto),
}

impl ItemDto {
    /// `workings`: whether the caller may see this release's working record.
    pub fn new(config: &Config, r: &ReleaseSummary, workings: bool) -> Self {
        let card = PublicItemDto::new(config, r);
        if workings {
            ItemDto::Working(ReleaseItemDto {
                card,
                status: r.status.as_str(),
                revision: r.revision,
                embargo_at: time(r.embargo_at),
                updated_at: time(Some(r.updated_at)),
            })
        } else {
            ItemDto::Public(card)
        }
    }
}

/// Every list answers `{"items": […], "next": cursor-or-null}`.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "List_of_{T}")]
pub struct List<T: Serialize> {
    pub items: Vec<T>,
    pub next: Option<String>,
}
