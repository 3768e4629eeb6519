//! Word-level differences between two revisions of a release, for the history page.

use similar::{ChangeTag, TextDiff};

use crate::release::ReleaseContent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Same,
    Added,
    Removed,
}

/// A run of words that is the same in both versions, or only in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub change: Change,
    pub text: String,
}

/// The content as one reviewable text: each field on its own labelled line, then the body.
/// Taxonomies appear by id here; callers that want names pass them in `names`.
pub fn as_text(c: &ReleaseContent, names: &dyn Fn(&str, i64) -> String) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        if !value.trim().is_empty() {
            out.push_str(label);
            out.push_str(": ");
            out.push_str(value.trim());
            out.push('\n');
        }
    };
    line("Headline", &c.headline);
    line("Subheadline", &c.subheadline);
    line("Dateline", &c.dateline.to_plain());
    line("Source", &format!("{} {}", c.source.label, c.source.url));
    line("Summary", &c.summary);
    line("Language", &c.language);
    if let Some(org) = c.organization_id {
        line("Organization", &names("organization", org));
    }
    let list = |kind: &str, ids: &[i64]| {
        ids.iter()
            .map(|id| names(kind, *id))
            .collect::<Vec<_>>()
            .join(", ")
    };
    line("Categories", &list("category", &c.category_ids));
    line("Regions", &list("region", &c.region_ids));
    line("Tags", &c.tags.join(", "));
    for contact in &c.contacts {
        line(
            "Contact",
            &[
                &contact.name,
                &contact.title,
                &contact.email,
                &contact.phone,
            ]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        );
    }
    out.push('\n');
    out.push_str(c.body.trim());
    out
}

/// Word-by-word differences from `old` to `new`, merged into runs.
pub fn words(old: &str, new: &str) -> Vec<Segment> {
    let diff = TextDiff::from_words(old, new);
    let mut out: Vec<Segment> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => Change::Same,
            ChangeTag::Insert => Change::Added,
            ChangeTag::Delete => Change::Removed,
        };
        match out.last_mut() {
            Some(last) if last.change == kind => last.text.push_str(change.value()),
            _ => out.push(Segment {
                change: kind,
                text: change.value().to_owned(),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_changed_words() {
        let d = words(
            "Turnout was 48.2% on Tuesday.",
            "Turnout was 11.8% on Tuesday.",
        );
        assert!(
            d.iter()
                .any(|s| s.change == Change::Removed && s.text.contains("48.2%"))
        );
        assert!(
            d.iter()
                .any(|s| s.change == Change::Added && s.text.contains("11.8%"))
        );
        assert!(
            d.iter()
                .any(|s| s.change == Change::Same && s.text.contains("Turnout was"))
        );
        let same = words("a b c", "a b c");
        assert_eq!(
            same,
            vec![Segment {
                change: Change::Same,
                text: "a b c".into()
            }]
        );
    }

    #[test]
    fn content_as_text() {
        let c = ReleaseContent {
            headline: "H".into(),
            body: "Body".into(),
            tags: vec!["x".into()],
            category_ids: vec![3],
            ..Default::default()
        };
        let t = as_text(&c, &|kind, id| format!("{kind}#{id}"));
        assert!(t.starts_with("Headline: H\n"));
        assert!(
            t.contains("Categories: category#3\n")
                && t.contains("Tags: x\n")
                && t.ends_with("\n\nBody")
        );
    }
}
