//! The newsroom archive: everything a newsroom is (settings, people, organizations, taxonomies,
//! releases with every revision and correction) as JSON Lines, one [`Record`] per line, the
//! first line a [`Header`] naming the format and its version. `docs/archive.md` documents it.
//!
//! Records refer to each other by what is stable across instances (slugs, e-mail addresses,
//! public ids), never by database ids, so an archive moves between SQLite and PostgreSQL and
//! into a newsroom that already has content. The order is canonical (every kind sorted by its
//! key, referenced records before those that refer to them), so exporting the same newsroom
//! twice gives the same bytes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dateline::{Dateline, SourceLine};
use crate::organization::Contact;

pub const FORMAT: &str = "dateline-archive";
/// The version this build writes and the only one it reads.
pub const VERSION: u32 = 1;

/// The first line of every archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

impl Header {
    pub fn current() -> Self {
        Header {
            format: FORMAT.to_owned(),
            version: VERSION,
        }
    }

    /// Refuses what this build cannot read, saying what it found.
    pub fn check(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "this is not a Dateline archive (its first line names the format {:?})",
                self.format
            ));
        }
        if self.version != VERSION {
            return Err(format!(
                "the archive is version {}, and this Dateline reads version {VERSION} only",
                self.version
            ));
        }
        Ok(())
    }
}

/// One line of an archive after the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Setting(SettingRecord),
    User(UserRecord),
    Organization(OrganizationRecord),
    Category(TaxonRecord),
    Region(TaxonRecord),
    Tag(TaxonRecord),
    Release(Box<ReleaseRecord>),
    Media(Box<MediaRecord>),
}

/// An uploaded file with its renditions, as stored: the original without its metadata, in
/// base64. It belongs to a release (by public id), to an organization (by slug), or to neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaRecord {
    /// The SHA-256 of the original's bytes, checked on import.
    pub sha256: String,
    pub kind: String,
    pub name: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub release: Option<String>,
    pub organization: Option<String>,
    /// The uploader's e-mail address.
    pub uploaded_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub bytes: String,
    pub renditions: Vec<RenditionRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenditionRecord {
    pub width: u32,
    pub height: u32,
    pub format: String,
    pub bytes: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingRecord {
    pub key: String,
    pub value: String,
}

/// An account. Its password hash travels only when asked for (`--with-secrets`); without it
/// the imported account cannot sign in until an admin sends a reset link. Two-factor secrets
/// never travel: they are encrypted under the exporting server's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub disabled: bool,
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRecord {
    pub slug: String,
    pub name: String,
    pub website: String,
    pub boilerplate: String,
    pub contacts: Vec<Contact>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A category, region or tag. Only categories have a description and a parent, and tags are
/// never edited, so they have no `updated_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxonRecord {
    pub slug: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The parent category's slug; it comes earlier in the archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

/// A release's content with its references by slug: the organization's slug, category and
/// region slugs, tag names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentRecord {
    pub headline: String,
    pub subheadline: String,
    pub dateline: Dateline,
    pub source: SourceLine,
    pub summary: String,
    pub body: String,
    pub language: String,
    pub organization: Option<String>,
    pub contacts: Vec<Contact>,
    pub categories: Vec<String>,
    pub regions: Vec<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseRecord {
    pub public_id: String,
    pub slug: String,
    pub slug_chosen: bool,
    pub status: String,
    /// The revision the release is at now.
    pub revision: i64,
    pub content: ContentRecord,
    pub embargo_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub corrected_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: String,
    /// The author's e-mail address.
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub revisions: Vec<RevisionRecord>,
    pub corrections: Vec<CorrectionRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionRecord {
    pub revision: i64,
    pub content: ContentRecord,
    pub slug: String,
    pub status: String,
    pub action: String,
    pub note: String,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRecord {
    pub note: String,
    pub revision: i64,
    pub editor: Option<String>,
    pub corrected_at: DateTime<Utc>,
}
