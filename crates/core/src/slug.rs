//! Slugs: the readable part of a URL. Unicode is transliterated to ASCII so that a headline in
//! any script gives a slug that survives copy-paste, email clients and old proxies.

use crate::validation::ValidationErrors;

/// Longest slug we produce. Longer headlines are cut at a word boundary.
pub const MAX_SLUG_LEN: usize = 80;

/// Turns any text into a lowercase ASCII slug of letters, digits and single hyphens.
/// The result may be empty (for text with no letters or digits at all); see [`slugify_or`].
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode(text);
    let mut slug = String::with_capacity(ascii.len());
    let mut pending_hyphen = false;
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(ch.to_ascii_lowercase());
        } else if ch == '\'' || ch == '\u{2019}' {
            // "Europe's" reads better as "europes" than "europe-s".
        } else {
            pending_hyphen = true;
        }
    }
    truncate_at_word(slug, MAX_SLUG_LEN)
}

/// Like [`slugify`], with a fallback for text that has nothing to keep.
pub fn slugify_or(text: &str, fallback: &str) -> String {
    let slug = slugify(text);
    if slug.is_empty() {
        slugify(fallback)
    } else {
        slug
    }
}

fn truncate_at_word(slug: String, max: usize) -> String {
    if slug.len() <= max {
        return slug;
    }
    let cut = &slug[..max];
    match cut.rfind('-') {
        Some(pos) if pos > max / 2 => cut[..pos].to_owned(),
        _ => cut.trim_end_matches('-').to_owned(),
    }
}

/// Whether `s` is already a well-formed slug (what [`slugify`] would leave unchanged).
pub fn is_valid_slug(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_SLUG_LEN && slugify(s) == s
}

/// Checks the name and the optional hand-picked slug of anything named and slugged
/// (organizations, categories, regions, tags); `example` shows a good slug in the message.
pub fn check_name_and_slug(
    e: &mut ValidationErrors,
    name: &str,
    name_max: usize,
    slug: &str,
    example: &str,
) {
    e.line("name", name, true, name_max);
    e.line("slug", slug, false, MAX_SLUG_LEN);
    if !slug.is_empty() && !is_valid_slug(slug) {
        e.add(
            "slug",
            format!("Use lowercase letters, digits and single hyphens, e.g. {example}."),
        );
    }
}

/// Picks `base`, or `base-2`, `base-3`, … : the first one `is_taken` says is free.
pub fn unique_slug(base: &str, mut is_taken: impl FnMut(&str) -> bool) -> String {
    if !is_taken(base) {
        return base.to_owned();
    }
    (2u64..)
        .map(|n| {
            let suffix = format!("-{n}");
            let room = MAX_SLUG_LEN.saturating_sub(suffix.len());
            let stem = truncate_at_word(base.to_owned(), room);
            format!("{stem}{suffix}")
        })
        .find(|candidate| !is_taken(candidate))
        .unwrap_or_else(|| base.to_owned())
}

/// What decides a release's slug when it is saved or published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlugState<'a> {
    /// The slug stored now.
    pub current: &'a str,
    /// An editor chose this slug; it stays until an editor changes it again.
    pub chosen: bool,
    /// The release has been public at least once.
    pub published_before: bool,
}

/// The slug a release should carry after a save or at its first publication, given the headline
/// it will then have.
///
/// Until a release is first published its slug follows its headline, so a working headline never
/// ends up in the public address; from the first publication on, the address is out in the world
/// and stays put. Old slugs are never kept as aliases: the public id in the URL decides, and any
/// other slug redirects to the current address without repeating the old one.
pub fn slug_for_save(state: SlugState<'_>, headline: &str) -> String {
    if state.published_before || state.chosen {
        state.current.to_owned()
    } else {
        slugify_or(headline, "release")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn transliterates_and_lowercases() {
        assert_eq!(slugify("Øresund Bridge Opens"), "oresund-bridge-opens");
        assert_eq!(slugify("Zürich: Straße & Café"), "zurich-strasse-cafe");
        assert_eq!(slugify("  Q3 2026 -- results!  "), "q3-2026-results");
        assert_eq!(slugify("Europe's largest"), "europes-largest");
        assert_eq!(slugify("北京"), "bei-jing");
        assert_eq!(slugify("!!!"), "");
        assert_eq!(slugify_or("!!!", "release"), "release");
    }

    #[test]
    fn long_headlines_cut_at_a_word() {
        let s = slugify(&"word ".repeat(40));
        assert!(s.len() <= MAX_SLUG_LEN);
        assert!(s.ends_with("word"));
    }

    #[test]
    fn unique_suffixes() {
        let taken = ["launch", "launch-2"];
        assert_eq!(unique_slug("launch", |s| taken.contains(&s)), "launch-3");
        assert_eq!(unique_slug("other", |s| taken.contains(&s)), "other");
        let long = "a".repeat(MAX_SLUG_LEN);
        let got = unique_slug(&long, |s| s == long);
        assert!(got.len() <= MAX_SLUG_LEN && got.ends_with("-2"), "{got}");
    }

    #[test]
    fn a_draft_slug_follows_its_headline() {
        let draft = SlugState {
            current: "acme-to-buy-globex-for-two-billion",
            chosen: false,
            published_before: false,
        };
        assert_eq!(
            slug_for_save(draft, "Acme and Globex form a partnership"),
            "acme-and-globex-form-a-partnership"
        );
        assert_eq!(slug_for_save(draft, "!!!"), "release");
    }

    #[test]
    fn a_published_or_chosen_slug_stays() {
        let published = SlugState {
            current: "grid-opens",
            chosen: false,
            published_before: true,
        };
        assert_eq!(slug_for_save(published, "Grid opens late"), "grid-opens");
        let chosen = SlugState {
            current: "our-choice",
            chosen: true,
            published_before: false,
        };
        assert_eq!(slug_for_save(chosen, "Another headline"), "our-choice");
    }

    #[test]
    fn names_and_hand_picked_slugs_are_checked() {
        let mut e = ValidationErrors::new();
        check_name_and_slug(&mut e, "", 100, "Public Health", "public-health");
        assert_eq!(e.for_field("name"), Some("This field is required."));
        assert_eq!(
            e.for_field("slug"),
            Some("Use lowercase letters, digits and single hyphens, e.g. public-health.")
        );
        let mut fine = ValidationErrors::new();
        check_name_and_slug(&mut fine, "Public health", 100, "", "public-health");
        check_name_and_slug(&mut fine, "Public health", 100, "public-health", "x");
        assert!(fine.is_empty());
        let mut long = ValidationErrors::new();
        check_name_and_slug(&mut long, &"n".repeat(101), 100, "ok", "x");
        assert!(long.for_field("name").is_some() && long.for_field("slug").is_none());
    }

    proptest! {
        #[test]
        fn slugs_are_url_safe_and_stable(text in "\\PC{0,200}") {
            let s = slugify(&text);
            prop_assert!(s.len() <= MAX_SLUG_LEN);
            prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            prop_assert!(!s.starts_with('-') && !s.ends_with('-') && !s.contains("--"));
            prop_assert_eq!(slugify(&s), s.clone());
            prop_assert!(s.is_empty() || is_valid_slug(&s));
        }
    }
}
