//! The one visibility rule: may this viewer see this release at this time?
//!
//! Every output — page, listing, feed, sitemap, search, API, preview — asks this function or the
//! SQL filter in `dateline-storage` that mirrors it (`dateline_storage::visibility`, checked
//! against this one by a property test on both databases). Keep the two in step.

use chrono::{DateTime, Utc};

use crate::release::ReleaseStatus;
use crate::user::Role;

/// Who is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    Staff {
        user_id: i64,
        role: Role,
    },
    /// Someone holding a valid (unexpired, unrevoked) journalist preview link for one release.
    /// Checking the link itself is the caller's job; this only says what such a holder may see.
    PreviewLink {
        release_id: i64,
    },
}

/// The facts about a release that visibility depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibilityFacts {
    pub release_id: i64,
    pub status: ReleaseStatus,
    pub published_at: Option<DateTime<Utc>>,
    pub author_id: Option<i64>,
}

/// Public means published, with a publication time that has come. A scheduled release is never
/// public by itself: it becomes public when the scheduler publishes it at its embargo time.
pub fn is_public(
    status: ReleaseStatus,
    published_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    status == ReleaseStatus::Published && published_at.is_some_and(|p| p <= now)
}

pub fn can_view(viewer: Viewer, release: &VisibilityFacts, now: DateTime<Utc>) -> bool {
    if is_public(release.status, release.published_at, now) {
        return true;
    }
    match viewer {
        Viewer::Anonymous => false,
        Viewer::Staff { role, user_id } => {
            role >= Role::Editor || release.author_id == Some(user_id)
        }
        Viewer::PreviewLink { release_id } => {
            release_id == release.release_id && release.status != ReleaseStatus::Withdrawn
        }
    }
}

/// What one viewer gets at a release's address: the release, the withdrawal notice, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Visible,
    /// Taken down after it was public: the address answers that it was withdrawn (HTTP 410)
    /// rather than pretending it never existed, since readers may have linked to it.
    Withdrawn,
    Hidden,
}

/// The one answer the release page and the API give a viewer. Whoever may read the release
/// (editors; the author, as in the newsroom's own list) gets it, withdrawn or not; anyone else
/// gets the notice if it was once public, and otherwise nothing, so a release withdrawn before
/// its publication time gives nothing away.
pub fn access(viewer: Viewer, release: &VisibilityFacts, now: DateTime<Utc>) -> Access {
    if can_view(viewer, release, now) {
        Access::Visible
    } else if release.status == ReleaseStatus::Withdrawn
        && release.published_at.is_some_and(|p| p <= now)
    {
        Access::Withdrawn
    } else {
        Access::Hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = ReleaseStatus> {
        proptest::sample::select(ReleaseStatus::ALL.to_vec())
    }

    fn time() -> impl Strategy<Value = DateTime<Utc>> {
        (1_600_000_000i64..1_900_000_000)
            .prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap_or_default())
    }

    fn viewer() -> impl Strategy<Value = Viewer> {
        prop_oneof![
            Just(Viewer::Anonymous),
            (1i64..4, proptest::sample::select(Role::ALL.to_vec()))
                .prop_map(|(user_id, role)| Viewer::Staff { user_id, role }),
            (1i64..4).prop_map(|release_id| Viewer::PreviewLink { release_id }),
        ]
    }

    proptest! {
        /// The spec, written out case by case, against the implementation.
        #[test]
        fn matches_the_spec(
            v in viewer(),
            st in status(),
            published in proptest::option::of(time()),
            author in proptest::option::of(1i64..4),
            release_id in 1i64..4,
            now in time(),
        ) {
            let facts = VisibilityFacts { release_id, status: st, published_at: published, author_id: author };
            let live = st == ReleaseStatus::Published && published.is_some_and(|p| p <= now);
            let expected = match v {
                Viewer::Anonymous => live,
                Viewer::Staff { role: Role::Editor | Role::Admin, .. } => true,
                Viewer::Staff { role: Role::Contributor, user_id } => live || author == Some(user_id),
                Viewer::PreviewLink { release_id: r } => live || (r == release_id && st != ReleaseStatus::Withdrawn),
            };
            prop_assert_eq!(can_view(v, &facts, now), expected);
        }

        /// Whatever an anonymous reader can see, everyone can see; time only ever adds.
        #[test]
        fn anonymous_is_the_floor_and_time_only_reveals(
            v in viewer(), st in status(), published in proptest::option::of(time()),
            author in proptest::option::of(1i64..4), now in time(), later in 0i64..10_000_000,
        ) {
            let facts = VisibilityFacts { release_id: 1, status: st, published_at: published, author_id: author };
            if can_view(Viewer::Anonymous, &facts, now) {
                prop_assert!(can_view(v, &facts, now));
                prop_assert!(can_view(Viewer::Anonymous, &facts, now + chrono::Duration::seconds(later)));
            }
        }
    }

    /// Release 7, written by user 2: the examples below ask who else may see it.
    fn release_7_by_2(
        status: ReleaseStatus,
        published_at: Option<DateTime<Utc>>,
    ) -> VisibilityFacts {
        VisibilityFacts {
            release_id: 7,
            status,
            published_at,
            author_id: Some(2),
        }
    }

    #[test]
    fn embargoed_is_hidden_until_published() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let scheduled = release_7_by_2(ReleaseStatus::Scheduled, None);
        let withdrawn = release_7_by_2(ReleaseStatus::Withdrawn, Some(t0));
        let staff = |user_id| Viewer::Staff {
            user_id,
            role: Role::Contributor,
        };
        let preview = |release_id| Viewer::PreviewLink { release_id };
        for (viewer, facts, visible) in [
            (Viewer::Anonymous, &scheduled, false),
            (staff(3), &scheduled, false),
            (staff(2), &scheduled, true),
            (preview(7), &scheduled, true),
            (preview(8), &scheduled, false),
            (Viewer::Anonymous, &withdrawn, false),
            (preview(7), &withdrawn, false),
        ] {
            assert_eq!(can_view(viewer, facts, t0), visible, "{viewer:?} {facts:?}");
        }
    }

    #[test]
    fn a_withdrawn_release_is_read_by_its_newsroom_and_a_notice_for_everyone_else() {
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
        let withdrawn = release_7_by_2(ReleaseStatus::Withdrawn, Some(t0));
        let staff = |user_id, role| Viewer::Staff { user_id, role };
        for v in [
            staff(2, Role::Contributor),
            staff(9, Role::Editor),
            staff(9, Role::Admin),
        ] {
            assert_eq!(access(v, &withdrawn, t0), Access::Visible, "{v:?}");
        }
        for v in [
            Viewer::Anonymous,
            staff(3, Role::Contributor),
            Viewer::PreviewLink { release_id: 7 },
        ] {
            assert_eq!(access(v, &withdrawn, t0), Access::Withdrawn, "{v:?}");
        }
        // Withdrawn before its publication time came: it never was public, so nothing shows.
        let early = VisibilityFacts {
            published_at: Some(t0 + chrono::Duration::hours(1)),
            ..withdrawn
        };
        assert_eq!(access(Viewer::Anonymous, &early, t0), Access::Hidden);
        let draft = VisibilityFacts {
            status: ReleaseStatus::Draft,
            published_at: None,
            ..withdrawn
        };
        assert_eq!(access(Viewer::Anonymous, &draft, t0), Access::Hidden);
        assert_eq!(
            access(staff(2, Role::Contributor), &draft, t0),
            Access::Visible
        );
        let public = VisibilityFacts {
            status: ReleaseStatus::Published,
            ..withdrawn
        };
        assert_eq!(access(Viewer::Anonymous, &public, t0), Access::Visible);
    }
}
