//! A press release, kept as its anatomy rather than one blob of text.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::content::SanitizedHtml;
use crate::dateline::{Dateline, SourceLine};
use crate::ids::PublicId;
use crate::organization::Contact;
use crate::taxonomy::TaxonRef;
use crate::validation::{ValidationErrors, is_http_url, is_language_tag};

/// Where a release is in its life. See [`crate::workflow`] for the moves between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseStatus {
    Draft,
    InReview,
    /// Approved, waiting for its embargo time.
    Scheduled,
    Published,
    /// Taken down; its URL answers 410 with a notice.
    Withdrawn,
}

impl ReleaseStatus {
    pub const ALL: [ReleaseStatus; 5] = [
        ReleaseStatus::Draft,
        ReleaseStatus::InReview,
        ReleaseStatus::Scheduled,
        ReleaseStatus::Published,
        ReleaseStatus::Withdrawn,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Draft => "draft",
            ReleaseStatus::InReview => "in_review",
            ReleaseStatus::Scheduled => "scheduled",
            ReleaseStatus::Published => "published",
            ReleaseStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReleaseStatus::Draft => "Draft",
            ReleaseStatus::InReview => "In review",
            ReleaseStatus::Scheduled => "Scheduled",
            ReleaseStatus::Published => "Published",
            ReleaseStatus::Withdrawn => "Withdrawn",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status {0:?}: use draft, in_review, scheduled, published or withdrawn")]
pub struct UnknownStatus(pub String);

impl FromStr for ReleaseStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReleaseStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

impl fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Limits on the editable fields, in characters. Generous for real releases, small enough that
/// a runaway paste or a hostile client cannot fill the database.
pub mod limits {
    pub const HEADLINE: usize = 300;
    pub const SUBHEADLINE: usize = 500;
    pub const SUMMARY: usize = 1_000;
    pub const BODY: usize = 200_000;
    pub const CITY: usize = 100;
    pub const REGION: usize = 100;
    pub const DISTRIBUTOR: usize = 100;
    pub const SOURCE_LABEL: usize = 200;
    pub const URL: usize = 2_000;
    pub const CONTACTS: usize = 10;
    pub const CONTACT_FIELD: usize = 200;
    pub const TAGS: usize = 20;
    pub const TAG: usize = 60;
    pub const TAXA: usize = 20;
}

/// Everything an author edits. Status, author, times and ids change only through explicit actions,
/// never through this struct, so no form or payload can assign them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseContent {
    pub headline: String,
    pub subheadline: String,
    pub dateline: Dateline,
    pub source: SourceLine,
    pub summary: String,
    /// Markdown, as written.
    pub body: String,
    pub language: String,
    pub organization_id: Option<i64>,
    pub contacts: Vec<Contact>,
    pub category_ids: Vec<i64>,
    pub region_ids: Vec<i64>,
    /// Free-form tag names; created on first use.
    pub tags: Vec<String>,
}

impl ReleaseContent {
    /// The one-line description shown to readers and feed readers: the summary, or the
    /// subheadline where no summary was written.
    pub fn description(&self) -> &str {
        if self.summary.is_empty() {
            &self.subheadline
        } else {
            &self.summary
        }
    }

    /// Trims stray whitespace, drops empty contacts and duplicate tags. Run before validating.
    pub fn normalize(&mut self) {
        for s in [
            &mut self.headline,
            &mut self.subheadline,
            &mut self.summary,
            &mut self.language,
            &mut self.dateline.city,
            &mut self.dateline.region,
            &mut self.dateline.distributor,
            &mut self.source.label,
            &mut self.source.url,
        ] {
            let t = s.trim();
            if t.len() != s.len() {
                *s = t.to_owned();
            }
        }
        self.contacts.retain(|c| !c.is_empty());
        for c in &mut self.contacts {
            for f in [&mut c.name, &mut c.title, &mut c.email, &mut c.phone] {
                *f = f.trim().to_owned();
            }
        }
        let mut seen = std::collections::HashSet::new();
        self.tags = self
            .tags
            .iter()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
            .collect();
        self.category_ids.sort_unstable();
        self.category_ids.dedup();
        self.region_ids.sort_unstable();
        self.region_ids.dedup();
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        self.check_text(&mut e);
        self.check_dateline_and_source(&mut e);
        self.check_contacts(&mut e);
        self.check_tags(&mut e);
        self.check_taxa(&mut e);
        e.into_result()
    }

    fn check_text(&self, e: &mut ValidationErrors) {
        use limits::*;
        e.line("headline", &self.headline, true, HEADLINE);
        e.line("subheadline", &self.subheadline, false, SUBHEADLINE);
        e.text("summary", &self.summary, false, SUMMARY);
        e.text("body", &self.body, false, BODY);
        if e.for_field("body").is_some() {
            return;
        }
        let unsafe_parts = crate::content::unsafe_markup(&self.body);
        if !unsafe_parts.is_empty() {
            e.add(
                "body",
                format!(
                    "The body contains markup that cannot be published and would be removed: {}. Remove it, and use Markdown for formatting.",
                    unsafe_parts.join(", ")
                ),
            );
        }
    }

    fn check_dateline_and_source(&self, e: &mut ValidationErrors) {
        use limits::*;
        let (dateline, source) = (&self.dateline, &self.source);
        e.line("dateline.city", &dateline.city, false, CITY);
        e.line("dateline.region", &dateline.region, false, REGION);
        e.line(
            "dateline.distributor",
            &dateline.distributor,
            false,
            DISTRIBUTOR,
        );
        e.line("source.label", &source.label, false, SOURCE_LABEL);
        e.line("source.url", &source.url, false, URL);
        if !source.url.is_empty() && !is_http_url(&source.url) {
            e.add(
                "source.url",
                "Use a full web address starting with https:// or http://.",
            );
        }
        if !is_language_tag(&self.language) {
            e.add("language", "Use a language code such as en, de or pt-BR.");
        }
    }

    fn check_contacts(&self, e: &mut ValidationErrors) {
        use limits::CONTACTS;
        if self.contacts.len() > CONTACTS {
            e.add(
                "contacts",
                format!("A release can list at most {CONTACTS} contacts."),
            );
        }
        for (i, c) in self.contacts.iter().enumerate() {
            c.check(i, e);
        }
    }

    fn check_tags(&self, e: &mut ValidationErrors) {
        use limits::{TAG, TAGS};
        if self.tags.len() > TAGS {
            e.add("tags", format!("Use at most {TAGS} tags."));
        }
        for t in &self.tags {
            if t.chars().count() > TAG {
                e.add(
                    "tags",
                    format!("Tag {t:?} is longer than {TAG} characters."),
                );
            } else if crate::slug::slugify(t).is_empty() {
                e.add(
                    "tags",
                    format!("Tag {t:?} needs at least one letter or digit."),
                );
            }
        }
    }

    fn check_taxa(&self, e: &mut ValidationErrors) {
        use limits::TAXA;
        if self.category_ids.len() > TAXA {
            e.add("categories", format!("Use at most {TAXA} categories."));
        }
        if self.region_ids.len() > TAXA {
            e.add("regions", format!("Use at most {TAXA} regions."));
        }
    }
}

/// What a release's content names that storage found missing: an organization, category or
/// region deleted, or an id made up in a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MissingReferences {
    pub organization: bool,
    pub categories: bool,
    pub regions: bool,
}

impl MissingReferences {
    /// Each missing reference as an error on the field that names it.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        if self.organization {
            e.add("organization", "That organization does not exist.");
        }
        if self.categories {
            e.add("categories", "One of the categories does not exist.");
        }
        if self.regions {
            e.add("regions", "One of the regions does not exist.");
        }
        e.into_result()
    }
}

/// Why a save happened, recorded on the revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevisionAction {
    Create,
    Save,
    Autosave,
    Restore,
    Correct,
    Transition,
}

impl RevisionAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RevisionAction::Create => "create",
            RevisionAction::Save => "save",
            RevisionAction::Autosave => "autosave",
            RevisionAction::Restore => "restore",
            RevisionAction::Correct => "correct",
            RevisionAction::Transition => "transition",
        }
    }
}

/// A correction published on a live release: the note stays public for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub id: i64,
    pub note: String,
    pub corrected_at: DateTime<Utc>,
    /// The revision the correction produced.
    pub revision: i64,
}

/// A release as read back, with everything needed to print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: i64,
    pub public_id: PublicId,
    pub slug: String,
    pub content: ReleaseContent,
    pub body_html: SanitizedHtml,
    pub status: ReleaseStatus,
    pub embargo_at: Option<DateTime<Utc>>,
    /// First publication. Kept through corrections.
    pub published_at: Option<DateTime<Utc>>,
    /// The last public correction, if any: what feeds show as "updated".
    pub corrected_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revision: i64,
    pub author_id: Option<i64>,
    pub organization: Option<TaxonRef>,
    pub categories: Vec<TaxonRef>,
    pub regions: Vec<TaxonRef>,
    pub tags: Vec<TaxonRef>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: String,
}

impl Release {
    pub fn visibility_facts(&self) -> crate::visibility::VisibilityFacts {
        crate::visibility::VisibilityFacts {
            release_id: self.id,
            status: self.status,
            published_at: self.published_at,
            author_id: self.author_id,
        }
    }

    /// The time readers see as "updated": the last correction, else the first publication.
    pub fn public_updated_at(&self) -> Option<DateTime<Utc>> {
        self.corrected_at.or(self.published_at)
    }
}

/// A release as listed: enough for a headline, a dateline and a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSummary {
    pub id: i64,
    pub public_id: PublicId,
    pub slug: String,
    pub headline: String,
    pub subheadline: String,
    pub summary: String,
    pub dateline: Dateline,
    pub language: String,
    pub status: ReleaseStatus,
    pub embargo_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub corrected_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub revision: i64,
    pub author_id: Option<i64>,
    pub organization: Option<TaxonRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_references_are_named_on_their_fields() {
        assert_eq!(MissingReferences::default().into_result(), Ok(()));
        let all = MissingReferences {
            organization: true,
            categories: true,
            regions: true,
        }
        .into_result()
        .unwrap_err();
        assert_eq!(
            all.for_field("organization"),
            Some("That organization does not exist.")
        );
        assert_eq!(
            all.for_field("categories"),
            Some("One of the categories does not exist.")
        );
        assert_eq!(
            all.for_field("regions"),
            Some("One of the regions does not exist.")
        );
    }

    #[test]
    fn the_description_is_the_summary_or_else_the_subheadline() {
        let mut c = ReleaseContent {
            subheadline: "Deal closes in May".into(),
            ..Default::default()
        };
        assert_eq!(c.description(), "Deal closes in May");
        c.summary = "Acme buys Globex.".into();
        assert_eq!(c.description(), "Acme buys Globex.");
    }

    fn valid() -> ReleaseContent {
        ReleaseContent {
            headline: "Harbor opens".into(),
            language: "en".into(),
            ..Default::default()
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in ReleaseStatus::ALL {
            assert_eq!(s.as_str().parse::<ReleaseStatus>(), Ok(s));
        }
        assert!("live".parse::<ReleaseStatus>().is_err());
    }

    #[test]
    fn validation_names_fields() {
        assert!(valid().validate().is_ok());
        let mut c = valid();
        c.headline = String::new();
        c.body = "x".repeat(limits::BODY + 1);
        c.source.url = "javascript:alert(1)".into();
        c.language = "english".into();
        c.contacts.push(Contact {
            name: "".into(),
            email: "nope".into(),
            ..Default::default()
        });
        let err = c.validate().unwrap_err();
        for field in [
            "headline",
            "body",
            "source.url",
            "language",
            "contacts[0].name",
            "contacts[0].email",
        ] {
            assert!(err.for_field(field).is_some(), "{field}: {err}");
        }
    }

    #[test]
    fn normalize_trims_and_dedups() {
        let mut c = valid();
        c.headline = "  Harbor opens \n".into();
        c.tags = vec![
            "Solar  power".into(),
            "solar power".into(),
            " ".into(),
            "wind".into(),
        ];
        c.contacts = vec![
            Contact::default(),
            Contact {
                name: " Ana ".into(),
                ..Default::default()
            },
        ];
        c.category_ids = vec![3, 1, 3];
        c.normalize();
        assert_eq!(c.headline, "Harbor opens");
        assert_eq!(c.tags, vec!["Solar power".to_string(), "wind".to_string()]);
        assert_eq!(c.contacts.len(), 1);
        assert_eq!(c.contacts[0].name, "Ana");
        assert_eq!(c.category_ids, vec![1, 3]);
    }
}
