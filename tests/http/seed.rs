//! The scale fixture (`dateline demo --releases N`): seeded releases are public, searchable,
//! listed under their taxonomy and shown like any published release, on both backends.

use dateline_core::PublicId;
use dateline_storage::repo::{releases, revisions};
use dateline_web::usecases::seed::{self, SeedError};

use crate::http_tests;
use crate::support::TestApp;

fn count_public(app: &TestApp) -> i64 {
    releases::count_public(&mut app.conn(), app.state.clock.now()).unwrap()
}

/// Published releases per issuing organization.
fn published_by_organization(app: &TestApp) -> std::collections::HashMap<Option<i64>, i64> {
    use dateline_storage::schema::releases as r;
    use diesel::dsl::count_star;
    use diesel::prelude::*;
    r::table
        .filter(r::status.eq("published"))
        .group_by(r::organization_id)
        .select((r::organization_id, count_star()))
        .load::<(Option<i64>, i64)>(&mut *app.conn())
        .unwrap()
        .into_iter()
        .collect()
}

http_tests! {
    async fn seeded_releases_are_public_searchable_and_listed(app) {
        let now = app.state.clock.now();
        // Without organizations, categories and regions there is nothing to issue them under.
        assert!(matches!(
            seed::seed_releases(&app.db.pool, 10, 1, now, &mut |_| {}),
            Err(SeedError::NoTaxonomy)
        ));
        dateline_web::demo::load(&mut app.conn(), now).unwrap();
        assert!(matches!(seed::seed_releases(&app.db.pool, 0, 1, now, &mut |_| {}), Err(SeedError::Count)));
        let before = count_public(&app);
        let before_by_organization = published_by_organization(&app);
        let mut reported = Vec::new();
        let seeded = seed::seed_releases(&app.db.pool, 1_250, 7, now, &mut |n| reported.push(n)).unwrap();
        assert_eq!(seeded.releases, 1_250);
        assert!((1_250 * 2_000..=1_250 * 10_000).contains(&seeded.text_bytes), "300–1,500 words each: {} bytes", seeded.text_bytes);
        // Progress after each batch of a thousand (which finishes first varies where two
        // writers share the work).
        assert_eq!(reported.len(), 2, "{reported:?}");
        assert!(reported.is_sorted() && reported.last() == Some(&1_250), "{reported:?}");
        // About one in a hundred waits under an embargo and one in a hundred was withdrawn:
        // neither is public.
        assert!((3..=40).contains(&seeded.scheduled) && (3..=40).contains(&seeded.withdrawn), "{seeded:?}");
        assert_eq!(count_public(&app), before + 1_250 - seeded.scheduled as i64 - seeded.withdrawn as i64);

        // Every seeded body opens with "<issuer> today announced its …", so the phrase finds
        // each public one through the same index readers search.
        let c = app.client();
        let api = c.get("/api/v1/search?q=%22today%20announced%20its%22").await.json();
        // More than a thousand match, and the count stops there: no reader can page further.
        assert_eq!((api["total"].as_i64(), api["total_capped"].as_bool()), (Some(1_000), Some(true)), "{api}");
        let url = api["items"][0]["url"].as_str().unwrap().to_owned();
        let public_id = url.split("/releases/").nth(1).unwrap().split('/').next().unwrap();
        let r = releases::get_by_public_id(&mut app.conn(), &public_id.parse::<PublicId>().unwrap()).unwrap();
        assert!(r.published_at.is_some());
        assert!((300..=1_600).contains(&r.content.body.split_whitespace().count()), "{} words", r.content.body.split_whitespace().count());
        assert!(!r.categories.is_empty() && !r.regions.is_empty() && !r.tags.is_empty());
        assert!(r.organization.is_some());

        // Its page shows it like a published release, and its listings include it.
        let path = format!("/releases/{}/{}", r.public_id, r.slug);
        let page = c.get(&path).await;
        page.assert_status(200);
        assert!(page.text().contains(&r.content.headline), "{}", page.text());
        let org = r.organization.as_ref().unwrap();
        // Narrowed to one issuer, fewer than a thousand match: each of its seeded releases.
        let seeded_by_org = published_by_organization(&app)[&Some(org.id)] - before_by_organization.get(&Some(org.id)).copied().unwrap_or(0);
        let by_org = c.get(&format!("/api/v1/search?q=%22today%20announced%20its%22&organization={}", org.slug)).await.json();
        assert!((50..1_000).contains(&seeded_by_org), "{seeded_by_org}");
        assert!(by_org["total"].as_i64().unwrap() >= seeded_by_org, "{by_org} against {seeded_by_org}");
        assert!(by_org.get("total_capped").is_none(), "{by_org}");
        let month = r.published_at.unwrap().format("%Y/%m").to_string();
        for listing in [format!("/tags/{}", r.tags[0].slug), format!("/organizations/{}", org.slug), format!("/categories/{}", r.categories[0].slug), format!("/regions/{}", r.regions[0].slug), format!("/archive/{month}")] {
            assert!(listed_within(&c, &listing, &path).await, "{path} is listed under {listing}");
        }

        // The sitemap pages hold every public release once: the second page starts where the
        // first ends.
        let locs = |xml: &str| -> Vec<String> {
            xml.split("<loc>").skip(1).filter_map(|l| l.split("</loc>").next()).filter(|l| l.contains("/releases/")).map(str::to_owned).collect()
        };
        let first = locs(&c.get("/sitemaps/releases-1.xml").await.text());
        let second = locs(&c.get("/sitemaps/releases-2.xml").await.text());
        assert_eq!(first.len(), 1_000);
        assert_eq!(first.len() + second.len(), count_public(&app) as usize);
        let all: std::collections::HashSet<&String> = first.iter().chain(&second).collect();
        assert_eq!(all.len(), first.len() + second.len(), "no release is on both pages");
        assert!(all.iter().any(|l| l.ends_with(&path)), "{path} is in the sitemap");
        c.get("/sitemaps/releases-3.xml").await.assert_status(404);

        // Each went through drafts as an editor's would: created, saved twice, published.
        let actions: Vec<String> = revisions::list(&mut app.conn(), r.id).unwrap().into_iter().rev().map(|v| v.action).collect();
        assert_eq!(&actions[..4], ["create", "save", "save", "transition"]);

        // Some are corrected in public: the note is on the page and the correction is revision 5.
        use diesel::prelude::*;
        use dateline_storage::schema::corrections;
        let notes: Vec<(i64, String)> = corrections::table
            .select((corrections::release_id, corrections::note))
            .load(&mut *app.conn())
            .unwrap();
        assert!((20..=120).contains(&notes.len()), "about one in twenty corrected: {}", notes.len());
        let (id, note) = &notes[0];
        let rel = releases::get(&mut app.conn(), *id).unwrap();
        assert_eq!(rel.revision, 5);
        let page = c.get(&format!("/releases/{}/{}", rel.public_id, rel.slug)).await;
        page.assert_status(200);
        assert!(page.text().contains(note.as_str()), "the correction note is shown");

        // A withdrawn one answers 410 with its reason; the embargoed ones are published by the
        // scheduler when their embargo lifts, as an editor's would be.
        use dateline_storage::schema::releases as rel;
        let (wid, reason): (i64, String) = rel::table.filter(rel::status.eq("withdrawn")).select((rel::id, rel::withdrawal_reason)).first(&mut *app.conn()).unwrap();
        let w = releases::get(&mut app.conn(), wid).unwrap();
        let gone = c.get(&format!("/releases/{}/{}", w.public_id, w.slug)).await;
        gone.assert_status(410);
        assert!(gone.text().contains(&reason), "{}", gone.text());
        let waiting: i64 = rel::table.filter(rel::status.eq("scheduled")).count().get_result(&mut *app.conn()).unwrap();
        assert!(waiting >= seeded.scheduled as i64, "{waiting} waiting");
        let public_now = count_public(&app);
        app.state.clock.advance(chrono::Duration::days(15));
        app.eventually("the embargoed releases to be published", |app| count_public(app) == public_now + waiting).await;
    }
}

http_tests! {
    async fn seeded_releases_are_indexed_as_publishing_indexes_them(app) {
        use dateline_storage::repo::search;
        use dateline_storage::schema::releases as rel;
        use diesel::prelude::*;
        let now = app.state.clock.now();
        dateline_web::demo::load(&mut app.conn(), now).unwrap();
        seed::seed_releases(&app.db.pool, 300, 11, now, &mut |_| {}).unwrap();
        let c = app.client();
        let queries = ["grid", "%22today%20announced%20its%22", "platform%20capacity", "low-carbon"];
        let mut found = Vec::new();
        for q in queries {
            found.push(c.get(&format!("/api/v1/search?q={q}")).await.json());
        }
        let documents = |app: &crate::support::TestApp| -> Vec<(i32, String)> {
            match &mut *app.conn() {
                dateline_storage::DbConnection::Pg(pg) => diesel::sql_query(
                    "SELECT release_id::int4 AS id, document::text AS doc FROM release_search ORDER BY 1",
                )
                .load::<IndexRow>(pg)
                .unwrap()
                .into_iter()
                .map(|r| (r.id, r.doc))
                .collect(),
                dateline_storage::DbConnection::Sqlite(_) => Vec::new(),
            }
        };
        let seeded = documents(&app);

        // Index every public release again the way publishing does.
        let ids: Vec<i64> = rel::table.filter(rel::status.eq("published")).select(rel::id).load(&mut *app.conn()).unwrap();
        assert!(ids.len() > 250, "{} public", ids.len());
        for id in ids {
            let r = releases::get(&mut app.conn(), id).unwrap();
            search::sync(&mut app.conn(), &r).unwrap();
        }
        dateline_storage::repo::settings::bump_content_version(&mut app.conn(), now).unwrap();

        assert_eq!(documents(&app), seeded, "the same terms, positions and weights");
        // As many releases match, and on PostgreSQL, whose documents were just compared, they
        // rank the same. (On SQLite the order moves a little, as FTS5's ranking statistics count
        // replaced rows until it merges its segments.)
        let postgres = seeded.len() > 250;
        for (q, before) in queries.iter().zip(found) {
            assert!(before["total"].as_i64().unwrap() > 0, "{q} finds seeded releases");
            let after = c.get(&format!("/api/v1/search?q={q}")).await.json();
            assert_eq!(after["total"], before["total"], "{q}");
            if postgres {
                assert_eq!(after["items"], before["items"], "{q}");
            }
        }
    }
}

#[derive(diesel::QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    id: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    doc: String,
}

/// Whether `path` is linked from the listing at `listing` or one of the pages its "older" links
/// lead to (a listing shows the newest first, twenty at a time).
async fn listed_within(c: &crate::support::Client, listing: &str, path: &str) -> bool {
    let mut next = Some(listing.to_owned());
    for _ in 0..200 {
        let Some(url) = next.take() else { return false };
        let page = c.get(&url).await;
        page.assert_status(200);
        if page.body.contains(path) {
            return true;
        }
        next = page
            .body
            .split("rel=\"next\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .filter(|_| page.body.contains("rel=\"next\""))
            .map(|href| {
                href.split('"')
                    .next()
                    .unwrap_or_default()
                    .replace("&amp;", "&")
            });
    }
    false
}
