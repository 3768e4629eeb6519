//! The SQL half of the one visibility rule (`dateline_core::visibility`): which releases a viewer
//! may see, and which organizations, categories, regions and tags exist for them.
//!
//! Every query that decides what a reader sees builds on [`public_release`] (or, in the raw-SQL
//! search, on `public_release_sql!`, the same rule as text). The property test at the bottom
//! checks both against `dateline_core::visibility::can_view` on both databases.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::{ReleaseStatus, Role, Viewer};
use diesel::dsl::auto_type;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable};

use crate::connection::{DbConnection, MultiBackend};
use crate::error::Result;
use crate::schema::{categories, release_categories, releases};
use crate::time::to_db;

const PUBLISHED: &str = ReleaseStatus::Published.as_str();
const WITHDRAWN: &str = ReleaseStatus::Withdrawn.as_str();

/// Public: published, with a publication time that has come (`is_public`). Not boxed, so it also
/// filters joins of `releases` with other tables.
#[auto_type]
pub(crate) fn public_release(now: NaiveDateTime) -> _ {
    let published: &'static str = PUBLISHED;
    releases::status
        .eq(published)
        .and(releases::published_at.le(now))
}

/// The rule as SQL text over a `releases` row aliased `r`, for the search queries, which are
/// static SQL. `$now` is the placeholder bound to the current time.
macro_rules! public_release_sql {
    ($now:literal) => {
        concat!("(r.status = 'published' AND r.published_at <= ", $now, ")")
    };
}
pub(crate) use public_release_sql;

/// A condition on `releases`, chosen at run time.
pub(crate) type ReleasePredicate =
    Box<dyn BoxableExpression<releases::table, MultiBackend, SqlType = Nullable<Bool>>>;

/// The releases `viewer` may see at `now`: `can_view` as SQL.
pub(crate) fn visible_to(viewer: Viewer, now: DateTime<Utc>) -> ReleasePredicate {
    let public = public_release(to_db(now));
    match viewer {
        Viewer::Anonymous => Box::new(public),
        Viewer::Staff { role, .. } if role >= Role::Editor => {
            Box::new(diesel::IntoSql::into_sql::<Nullable<Bool>>(true))
        }
        Viewer::Staff { user_id, .. } => Box::new(public_or_by(to_db(now), user_id)),
        Viewer::PreviewLink { release_id } => {
            let withdrawn: &'static str = WITHDRAWN;
            Box::new(
                public.or(releases::id
                    .eq(release_id)
                    .and(releases::status.ne(withdrawn))),
            )
        }
    }
}

/// Which organizations, categories, regions and tags someone may learn of. Each exists, outside
/// the newsroom, only once a release they may read refers to it: one set up for an embargoed
/// launch, or a tag typed into an embargoed release, would otherwise announce it early.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// The newsroom, which manages them all.
    All,
    /// Those on releases public at `now`, plus those on releases by `author` (a contributor's
    /// own).
    VisibleTo {
        now: DateTime<Utc>,
        author: Option<i64>,
    },
}

impl Scope {
    /// What a reader of the public site may learn of.
    pub fn public(now: DateTime<Utc>) -> Scope {
        Scope::VisibleTo { now, author: None }
    }

    /// The releases whose references count; `None` when everything is in scope.
    pub(crate) fn releases(self) -> Option<public_or_by> {
        match self {
            Scope::All => None,
            // -1 never matches an author, which keeps one query shape for both cases.
            Scope::VisibleTo { now, author } => {
                Some(public_or_by(to_db(now), author.unwrap_or(-1)))
            }
        }
    }
}

/// Releases public at `now` or written by `author`: `can_view` for a contributor, and for a
/// reader when `author` matches no one.
#[auto_type]
pub(crate) fn public_or_by(now: NaiveDateTime, author: i64) -> _ {
    let public: public_release = public_release(now);
    public.or(releases::author_id.eq(author))
}

/// The categories in `scope`, or `None` for all. A category shows its sub-categories' releases,
/// so the parents of a category in scope are in scope too.
pub(crate) fn category_ids(conn: &mut DbConnection, scope: Scope) -> Result<Option<HashSet<i64>>> {
    let Some(visible) = scope.releases() else {
        return Ok(None);
    };
    // One probe per category (there are few), each stopping at its first visible release.
    let mut ids: HashSet<i64> = categories::table
        .filter(diesel::dsl::exists(
            release_categories::table
                .inner_join(releases::table)
                .filter(release_categories::category_id.eq(categories::id))
                .filter(visible)
                .select(release_categories::release_id),
        ))
        .select(categories::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let parents: std::collections::HashMap<i64, i64> = categories::table
        .select((categories::id, categories::parent_id))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .filter_map(|(id, parent)| parent.map(|p| (id, p)))
        .collect();
    let mut todo: Vec<i64> = ids.iter().copied().collect();
    while let Some(id) = todo.pop() {
        if let Some(&p) = parents.get(&id)
            && ids.insert(p)
        {
            todo.push(p);
        }
    }
    Ok(Some(ids))
}

#[cfg(test)]
mod tests {
    //! The property: for releases in every status, publication time and withdrawal state, and for
    //! every kind of viewer, the queries return exactly what `dateline_core::visibility::can_view`
    //! accepts, and the organizations, categories, regions and tags in scope are exactly those
    //! such releases refer to. One database per backend, cleared between cases.

    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use chrono::Duration;
    use dateline_core::visibility::{VisibilityFacts, can_view};
    use dateline_core::{Dateline, ReleaseContent};
    use diesel::sql_types::{BigInt, Timestamp};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    use super::*;
    use crate::repo::organizations::{self, OrganizationInput};
    use crate::repo::releases::{self as release_repo, NewRelease, PublicFilter};
    use crate::repo::taxonomy::{self, TaxonInput};
    use crate::repo::users::{self, NewUser};
    use crate::testdb::TestDatabase;
    use crate::{PageRequest, backend_tests};

    #[derive(Debug, Clone)]
    struct Spec {
        status: ReleaseStatus,
        /// Hours from now; `None` for never published.
        published: Option<i64>,
        embargo: Option<i64>,
        /// Index into the authors (the last means none).
        author: usize,
        organization: usize,
        category: usize,
        region: usize,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        let hours = proptest::option::of(prop_oneof![-48i64..=-1, 1i64..=48]);
        (
            proptest::sample::select(ReleaseStatus::ALL.to_vec()),
            hours.clone(),
            hours,
            0usize..3,
            0usize..3,
            0usize..3,
            0usize..3,
        )
            .prop_map(
                |(status, published, embargo, author, organization, category, region)| Spec {
                    status,
                    published,
                    embargo,
                    author,
                    organization,
                    category,
                    region,
                },
            )
            // The schema refuses a published release without a publication time.
            .prop_filter("published without a time", |s| {
                s.status != ReleaseStatus::Published || s.published.is_some()
            })
    }

    /// What the test database holds besides releases.
    struct World {
        /// Two contributors, an editor and an admin.
        people: Vec<(i64, Role)>,
        organizations: Vec<i64>,
        /// A parent, its child, and one on its own.
        categories: Vec<i64>,
        regions: Vec<i64>,
    }

    fn world(conn: &mut DbConnection) -> World {
        let people = [
            Role::Contributor,
            Role::Contributor,
            Role::Editor,
            Role::Admin,
        ]
        .iter()
        .enumerate()
        .map(|(i, &role)| {
            let u = users::create(
                conn,
                &NewUser {
                    email: format!("p{i}@example.com"),
                    display_name: format!("P{i}"),
                    role,
                    password_hash: "x".into(),
                },
            )
            .unwrap();
            (u.id, role)
        })
        .collect();
        let organizations = (0..3)
            .map(|i| {
                let input = OrganizationInput {
                    name: format!("Org {i}"),
                    ..Default::default()
                };
                organizations::create(conn, &input).unwrap().id
            })
            .collect();
        let parent = taxonomy::create_category(conn, &TaxonInput::named("Parent"))
            .unwrap()
            .id;
        let child = TaxonInput {
            parent_id: Some(parent),
            ..TaxonInput::named("Child")
        };
        let child = taxonomy::create_category(conn, &child).unwrap().id;
        let other = taxonomy::create_category(conn, &TaxonInput::named("Other"))
            .unwrap()
            .id;
        let regions = (0..3)
            .map(|i| {
                taxonomy::create_region(conn, &TaxonInput::named(&format!("Region {i}")))
                    .unwrap()
                    .id
            })
            .collect();
        World {
            people,
            organizations,
            categories: vec![parent, child, other],
            regions,
        }
    }

    /// A stored release as the spec says, with one tag of its own.
    fn insert(conn: &mut DbConnection, w: &World, s: &Spec, i: usize, now: DateTime<Utc>) -> Row {
        let author = w.people.get(s.author).map(|p| p.0);
        let content = ReleaseContent {
            headline: format!("Release {i}"),
            language: "en".into(),
            body: "Body.".into(),
            dateline: Dateline {
                city: "Lisbon".into(),
                ..Default::default()
            },
            organization_id: Some(w.organizations[s.organization]),
            category_ids: vec![w.categories[s.category]],
            region_ids: vec![w.regions[s.region]],
            tags: vec![format!("tag {i}")],
            ..Default::default()
        };
        let r = release_repo::create(
            conn,
            &NewRelease {
                content,
                author_id: author,
            },
        )
        .unwrap();
        let at = |h: Option<i64>| h.map(|h| to_db(now + Duration::hours(h)));
        diesel::update(releases::table.find(r.id))
            .set((
                releases::status.eq(s.status.as_str()),
                releases::published_at.eq(at(s.published)),
                releases::embargo_at.eq(at(s.embargo)),
                releases::withdrawn_at.eq(if s.status == ReleaseStatus::Withdrawn {
                    Some(to_db(now))
                } else {
                    None
                }),
            ))
            .execute(conn)
            .unwrap();
        Row {
            facts: VisibilityFacts {
                release_id: r.id,
                status: s.status,
                published_at: s.published.map(|h| now + Duration::hours(h)),
                author_id: author,
            },
            organization: w.organizations[s.organization],
            category: w.categories[s.category],
            region: w.regions[s.region],
            tag: r.tags[0].id,
        }
    }

    struct Row {
        facts: VisibilityFacts,
        organization: i64,
        category: i64,
        region: i64,
        tag: i64,
    }

    fn viewers(w: &World, rows: &[Row]) -> Vec<Viewer> {
        let mut out = vec![Viewer::Anonymous];
        out.extend(
            w.people
                .iter()
                .map(|&(user_id, role)| Viewer::Staff { user_id, role }),
        );
        out.extend(rows.iter().map(|r| Viewer::PreviewLink {
            release_id: r.facts.release_id,
        }));
        out.push(Viewer::PreviewLink { release_id: -5 });
        out
    }

    #[derive(QueryableByName)]
    struct IdRow {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    /// The raw-SQL fragment the search uses, on its own.
    fn public_by_sql(conn: &mut DbConnection, now: DateTime<Utc>) -> BTreeSet<i64> {
        let rows = match conn {
            DbConnection::Sqlite(c) => diesel::sql_query(concat!(
                "SELECT r.id AS id FROM releases r WHERE ",
                public_release_sql!("?")
            ))
            .bind::<Timestamp, _>(to_db(now))
            .load::<IdRow>(c),
            DbConnection::Pg(c) => diesel::sql_query(concat!(
                "SELECT r.id AS id FROM releases r WHERE ",
                public_release_sql!("$1")
            ))
            .bind::<Timestamp, _>(to_db(now))
            .load::<IdRow>(c),
        };
        rows.unwrap().into_iter().map(|r| r.id).collect()
    }

    fn check_case(
        conn: &mut DbConnection,
        w: &World,
        specs: &[Spec],
        now: DateTime<Utc>,
    ) -> Result<(), TestCaseError> {
        diesel::delete(releases::table).execute(conn).unwrap();
        diesel::delete(crate::schema::tags::table)
            .execute(conn)
            .unwrap();
        let rows: Vec<Row> = specs
            .iter()
            .enumerate()
            .map(|(i, s)| insert(conn, w, s, i, now))
            .collect();
        let seen_by = |v: Viewer| -> BTreeSet<i64> {
            rows.iter()
                .filter(|r| can_view(v, &r.facts, now))
                .map(|r| r.facts.release_id)
                .collect()
        };
        for v in viewers(w, &rows) {
            let got: BTreeSet<i64> = releases::table
                .filter(visible_to(v, now))
                .select(releases::id)
                .into_boxed()
                .load::<i64>(conn)
                .unwrap()
                .into_iter()
                .collect();
            prop_assert_eq!(&got, &seen_by(v), "{:?}", v);
        }
        check_public_queries(conn, &seen_by(Viewer::Anonymous), now)?;
        let contributor = w.people[0].0;
        for (scope, v) in [
            (Scope::public(now), Viewer::Anonymous),
            (
                Scope::VisibleTo {
                    now,
                    author: Some(contributor),
                },
                Viewer::Staff {
                    user_id: contributor,
                    role: Role::Contributor,
                },
            ),
        ] {
            let visible: Vec<&Row> = rows.iter().filter(|r| can_view(v, &r.facts, now)).collect();
            check_taxa(conn, w, scope, &visible)?;
        }
        Ok(())
    }

    /// Every listing the public site is built from agrees with the rule.
    fn check_public_queries(
        conn: &mut DbConnection,
        public: &BTreeSet<i64>,
        now: DateTime<Utc>,
    ) -> Result<(), TestCaseError> {
        let listed: BTreeSet<i64> = release_repo::list_public(
            conn,
            now,
            &PublicFilter::default(),
            &PageRequest::first(100),
        )
        .unwrap()
        .items
        .iter()
        .map(|r| r.id)
        .collect();
        prop_assert_eq!(&listed, public);
        let between: BTreeSet<i64> = release_repo::public_between(conn, now, None, 0, 100)
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        prop_assert_eq!(&between, public);
        prop_assert_eq!(
            release_repo::count_public(conn, now).unwrap(),
            public.len() as i64
        );
        prop_assert_eq!(&public_by_sql(conn, now), public);
        let counts = release_repo::public_counts(conn, now).unwrap();
        prop_assert_eq!(
            counts.organizations.values().sum::<i64>(),
            public.len() as i64
        );
        Ok(())
    }

    fn check_taxa(
        conn: &mut DbConnection,
        w: &World,
        scope: Scope,
        visible: &[&Row],
    ) -> Result<(), TestCaseError> {
        let ids = |f: fn(&Row) -> i64| visible.iter().map(|r| f(r)).collect::<BTreeSet<i64>>();
        // The ids of what a listing returned.
        macro_rules! listed {
            ($items:expr) => {
                $items.iter().map(|t| t.id).collect::<BTreeSet<i64>>()
            };
        }
        let orgs = listed!(organizations::all(conn, scope).unwrap());
        prop_assert_eq!(&orgs, &ids(|r| r.organization), "organizations");
        let regions = listed!(taxonomy::all_regions(conn, scope).unwrap());
        prop_assert_eq!(&regions, &ids(|r| r.region), "regions");
        // A child's parent comes with it.
        let mut cats = ids(|r| r.category);
        if cats.contains(&w.categories[1]) {
            cats.insert(w.categories[0]);
        }
        let got = listed!(taxonomy::all_categories(conn, scope).unwrap());
        prop_assert_eq!(&got, &cats, "categories");
        let tags = listed!(
            taxonomy::list_tags(conn, &PageRequest::first(100), scope)
                .unwrap()
                .items
        );
        prop_assert_eq!(&tags, &ids(|r| r.tag), "tags");
        for &o in &w.organizations {
            prop_assert_eq!(
                organizations::visible(conn, o, scope).unwrap(),
                orgs.contains(&o)
            );
        }
        for &c in &w.categories {
            prop_assert_eq!(
                taxonomy::category_visible(conn, c, scope).unwrap(),
                cats.contains(&c)
            );
        }
        for &r in &w.regions {
            prop_assert_eq!(
                taxonomy::region_visible(conn, r, scope).unwrap(),
                regions.contains(&r)
            );
        }
        Ok(())
    }

    fn run_property(db: &TestDatabase) {
        let mut conn = db.pool.get().unwrap();
        let w = world(&mut conn);
        let now = crate::time::now();
        let conn = RefCell::new(conn);
        let mut runner = TestRunner::new(Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&proptest::collection::vec(spec(), 1..7), |specs| {
            check_case(&mut conn.borrow_mut(), &w, &specs, now)
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    backend_tests! {
        fn queries_agree_with_can_view(db) {
            run_property(db);
        }
    }

    #[test]
    fn the_sql_fragment_names_the_published_status() {
        assert!(public_release_sql!("?").contains(&format!("'{PUBLISHED}'")));
    }
}
