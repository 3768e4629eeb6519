//! Turning a plain-text wire release into a release: read the bytes (refusing what is not text),
//! parse them (`dateline_core::wire`), fill the editor's fields, and create the draft — or
//! publish it, for a caller allowed to — in one transaction with its audit row and the text's
//! fingerprint, so the same text imported twice finds the release it already made.

use chrono::{DateTime, Datelike, NaiveTime, Utc};
use dateline_auth::permissions::Permission;
use dateline_core::slug::slugify_or;
use dateline_core::wire::{self, Flag, WireRelease};
use dateline_core::workflow::Change;
use dateline_core::{PublicId, ReleaseContent, ValidationErrors};
use dateline_storage::repo::{imports, organizations};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, StorageError, write_tx};
use sha2::{Digest, Sha256};

use super::Caller;
use super::releases::{self, Via};

/// A dateline older than this is not used as the publication time (it is kept on the release):
/// such a date is a typo, and feeds cannot print years before the calendar they use.
const OLDEST_YEAR: i32 = 1900;

/// The largest wire text accepted: a long release is tens of kilobytes.
pub const MAX_BYTES: usize = 1024 * 1024;

/// Why a file is not a wire text we can read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotText {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {MAX_BYTES} bytes, more than any wire release")]
    TooLarge,
    #[error("the file holds binary data (a NUL byte at offset {offset}), not text")]
    Binary { offset: usize },
    #[error(
        "line {line} is not UTF-8; the file looks like a legacy 8-bit encoding such as \
         Windows-1252 or ISO-8859-1. Convert it first, e.g. iconv -f WINDOWS-1252 -t UTF-8"
    )]
    LegacyEncoding { line: usize },
}

/// Checks that `bytes` are a UTF-8 text of a sensible size, naming what they are otherwise.
pub fn read_text(bytes: &[u8]) -> Result<&str, NotText> {
    if bytes.len() > MAX_BYTES {
        return Err(NotText::TooLarge);
    }
    if let Some(offset) = bytes.iter().position(|b| *b == 0) {
        return Err(NotText::Binary { offset });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| NotText::LegacyEncoding {
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count(),
    })?;
    if text.trim().is_empty() {
        return Err(NotText::Empty);
    }
    Ok(text)
}

/// What an import is asked to do besides reading the text.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The issuer, when the text names none or names one the newsroom does not have.
    pub organization_id: Option<i64>,
    /// Publish straight away instead of leaving a draft.
    pub publish: bool,
    /// The language the newsroom writes in, for the release's language field.
    pub language: String,
}

/// What became of one text.
#[derive(Debug)]
pub struct Imported {
    pub public_id: PublicId,
    /// False when an earlier import of the same text made this release.
    pub created: bool,
    pub published: bool,
    /// What the editor should check, with the line each is about.
    pub flags: Vec<Flag>,
}

/// Why a text was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportRefused {
    #[error("{0}")]
    NotText(#[from] NotText),
    #[error("only editors and admins may publish; import it as a draft instead")]
    MayNotPublish,
    #[error(
        "the text is dated {0}, ahead of today, so it may be under embargo; import it as a draft \
         and approve it for its time"
    )]
    DatedAhead(chrono::NaiveDate),
    #[error("it cannot be published: {0}")]
    Refused(String),
    /// The fields read from the text break a rule; each message names the line it came from.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<dateline_storage::DieselError> for ImportRefused {
    fn from(e: dateline_storage::DieselError) -> Self {
        ImportRefused::Storage(e.into())
    }
}

/// A fingerprint of the text that ignores how its lines were wrapped and spaced.
pub fn fingerprint(text: &str) -> String {
    let mut hash = Sha256::new();
    for word in text.split_whitespace() {
        hash.update(word.as_bytes());
        hash.update(b" ");
    }
    hex::encode(hash.finalize())
}

/// Fills a release's fields from a parsed text, picking the issuer from the options or by the
/// name the text gives. Nothing is written. The parse itself is done before, off the
/// connection: it is the slow part, and needs no database.
pub fn draft(
    conn: &mut DbConnection,
    mut parsed: WireRelease,
    options: &Options,
) -> Result<(WireRelease, ReleaseContent), StorageError> {
    let mut content = parsed.content();
    content.language = options.language.clone();
    content.organization_id = match options.organization_id {
        Some(id) => Some(id),
        None => match parsed.issuer() {
            Some(name) => issuer_named(conn, name)?,
            None => None,
        },
    };
    if let Some(name) = parsed
        .issuer()
        .filter(|_| content.organization_id.is_none())
    {
        let message = format!(
            "The text names {name:?} as its issuer, which is not an organization in this \
             newsroom; the release has no issuer yet."
        );
        parsed.flags.push(Flag {
            line: 0,
            field: "organization",
            message,
        });
        keep_about_in_body(&mut parsed, &mut content);
    }
    Ok((parsed, content))
}

/// Without an issuer in the newsroom, the "About" boilerplate has nowhere to go but the body:
/// it is kept there, at the end, rather than lost.
fn keep_about_in_body(parsed: &mut WireRelease, content: &mut ReleaseContent) {
    let Some(about) = parsed.about.as_ref().filter(|a| !a.text.is_empty()) else {
        return;
    };
    let block = format!(
        "{}\n\n{}",
        wire::escape_markdown(&about.heading),
        wire::escape_markdown(&about.text)
    );
    content.body = if content.body.is_empty() {
        block
    } else {
        format!("{}\n\n{block}", content.body)
    };
    parsed.flags.push(Flag {
        line: 0,
        field: "body",
        message: "The \"About\" boilerplate was kept at the end of the body; move it to the \
                  organization once it exists."
            .into(),
    });
}

/// The organization a text names: the one with that name (in any case or accents spelled
/// out), or whose slug is that name's slug.
fn issuer_named(conn: &mut DbConnection, name: &str) -> Result<Option<i64>, StorageError> {
    let wanted = slugify_or(name, "");
    if wanted.is_empty() {
        return Ok(None);
    }
    let all = organizations::all(conn, Scope::All)?;
    Ok(all
        .iter()
        .find(|o| slugify_or(&o.name, "") == wanted || o.slug == wanted)
        .map(|o| o.id))
}

/// Imports one wire text as `caller`: a draft, or a published release with `options.publish`.
/// One transaction: the release, its audit row and the text's fingerprint, or nothing.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    text: &str,
    options: &Options,
    now: DateTime<Utc>,
) -> Result<Imported, ImportRefused> {
    if options.publish && !Permission::Review.granted_to(caller.role) {
        return Err(ImportRefused::MayNotPublish);
    }
    let print = fingerprint(text);
    write_tx(conn, |conn| {
        if let Some(id) = imports::release_for(conn, &print)? {
            let existing = dateline_storage::repo::releases::get(conn, id)?;
            return Ok(Imported {
                public_id: existing.public_id,
                created: false,
                published: false,
                flags: Vec::new(),
            });
        }
        let (parsed, content) = draft(conn, wire::parse(text), options)?;
        let flags = parsed.flags.clone();
        let created = releases::create_in(conn, caller, content, Via::WireText, now)
            .map_err(|e| located(e, &parsed))?;
        imports::record(conn, &print, created.id, now)?;
        if options.publish {
            publish(conn, caller, created.id, &parsed, now)?;
        }
        Ok(Imported {
            public_id: created.public_id,
            created: true,
            published: options.publish,
            flags,
        })
    })
}

/// Publishes the new release, dated by its dateline when that day is past (an archive of old
/// releases keeps its dates), else now.
fn publish(
    conn: &mut DbConnection,
    caller: &Caller,
    id: i64,
    parsed: &WireRelease,
    now: DateTime<Utc>,
) -> Result<(), ImportRefused> {
    let at = match parsed.dateline.date {
        // A text dated ahead is usually under embargo: publishing it now would break that.
        Some(d) if d.and_time(NaiveTime::MIN).and_utc() > now => {
            return Err(ImportRefused::DatedAhead(d));
        }
        Some(d) if d.year() >= OLDEST_YEAR => Some(d.and_time(NaiveTime::MIN).and_utc()),
        _ => None,
    };
    let release = dateline_storage::repo::releases::get(conn, id)?;
    releases::transition_in(conn, caller, &release, Change::Publish { at }, None, now).map_err(
        |e| match e {
            releases::Failed::Refused(e) => ImportRefused::Refused(e.to_string()),
            releases::Failed::Storage(e) => ImportRefused::Storage(e),
        },
    )?;
    Ok(())
}

/// A refusal of the fields, each message pointing at the line its field was read from.
fn located(e: StorageError, parsed: &WireRelease) -> ImportRefused {
    let StorageError::Invalid(errors) = e else {
        return e.into();
    };
    ImportRefused::Invalid(messages(&errors, parsed))
}

fn messages(errors: &ValidationErrors, parsed: &WireRelease) -> Vec<String> {
    errors
        .errors
        .iter()
        .map(|e| {
            let line = if e.field.starts_with("dateline") {
                parsed.dateline_line
            } else if e.field == "body" {
                parsed.paragraph_lines.first().copied().unwrap_or(0)
            } else {
                parsed.headline_line
            };
            let at = if line > 0 {
                format!("line {line}: ")
            } else {
                String::new()
            };
            format!("{at}{}: {}", e.field, e.message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_text_is_named() {
        assert_eq!(read_text(b""), Err(NotText::Empty));
        assert_eq!(read_text(b"  \n\n "), Err(NotText::Empty));
        assert_eq!(
            read_text(&vec![b'a'; MAX_BYTES + 1]),
            Err(NotText::TooLarge)
        );
        assert_eq!(
            read_text(b"PK\x03\x04\x00\x00"),
            Err(NotText::Binary { offset: 4 })
        );
        assert_eq!(
            read_text(b"Headline\n\nCaf\xe9 opens.\n"),
            Err(NotText::LegacyEncoding { line: 3 })
        );
        assert_eq!(read_text("Caf\u{e9}".as_bytes()), Ok("Caf\u{e9}"));
    }

    #[test]
    fn the_fingerprint_ignores_wrapping_and_spacing() {
        assert_eq!(
            fingerprint("A  headline\n\nOne line\nwrapped."),
            fingerprint("A headline\n\nOne line wrapped.\n")
        );
        assert_ne!(fingerprint("A headline"), fingerprint("Another headline"));
    }
}
