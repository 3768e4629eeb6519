//! The word-level comparison of two versions of a release, as the history's compare page and the
//! editor's conflict panel both print it. One place turns content into segments, naming
//! organizations and taxa the way the editor chose them, so the two views cannot drift apart.

use dateline_core::ReleaseContent;
use dateline_core::diff::{self, Change};
use dateline_core::{Category, Organization, Region};

/// A run of words, unchanged, added or removed.
pub struct SegmentView {
    pub text: String,
    pub added: bool,
    pub removed: bool,
}

/// The names a comparison prints for the ids a release refers to.
pub struct Names<'a> {
    pub organizations: &'a [Organization],
    pub categories: &'a [Category],
    pub regions: &'a [Region],
}

impl Names<'_> {
    fn name(&self, kind: &str, id: i64) -> String {
        match kind {
            "organization" => self
                .organizations
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.name.clone()),
            "category" => self
                .categories
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.name.clone()),
            _ => self
                .regions
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.name.clone()),
        }
        // An id no longer on file still prints, as its number.
        .unwrap_or_else(|| format!("#{id}"))
    }
}

/// The differences from `old` to `new`, word by word.
pub fn segments(old: &ReleaseContent, new: &ReleaseContent, names: &Names) -> Vec<SegmentView> {
    let name = |kind: &str, id: i64| names.name(kind, id);
    diff::words(&diff::as_text(old, &name), &diff::as_text(new, &name))
        .into_iter()
        .map(|s| SegmentView {
            added: s.change == Change::Added,
            removed: s.change == Change::Removed,
            text: s.text,
        })
        .collect()
}

/// Whether nothing changed between the two versions.
pub fn unchanged(segments: &[SegmentView]) -> bool {
    segments.iter().all(|s| !s.added && !s.removed)
}
