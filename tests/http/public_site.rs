//! The public newsroom: listings, feeds, sitemaps, search, SEO, HTTP caching, the public read
//! API, and the embargo invariant on every output (`docs/security.md` Z4).

use chrono::{Duration, Utc};
use dateline_core::Role;
use dateline_storage::repo::releases;
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::{Client, TestApp};

fn demo(app: &TestApp) {
    dateline_web::demo::load(&mut app.conn(), app.state.clock.now()).unwrap();
}

fn first_release(app: &TestApp) -> dateline_core::ReleaseSummary {
    let now = app.state.clock.now();
    releases::list_public(
        &mut app.conn(),
        now,
        &Default::default(),
        &dateline_storage::PageRequest::first(1),
    )
    .unwrap()
    .items
    .remove(0)
}

/// Checks that a feed parses with an independent parser and returns it.
fn parse_feed(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes())
        .unwrap_or_else(|e| panic!("not a valid feed ({e}):\n{}", &body[..body.len().min(2000)]))
}

/// Fails unless `xml` is well-formed.
fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed XML ({e}):\n{xml}"),
        }
    }
}

http_tests! {
    async fn listings_and_indexes(app) {
        demo(&app);
        let c = app.client();
        let orgs = c.get("/organizations").await;
        orgs.assert_status(200);
        assert!(orgs.text().contains("Øresund Windshare Cooperative") && orgs.body.contains("(5)"));
        let org = c.get("/organizations/oresund-windshare").await;
        org.assert_status(200);
        let boilerplate = dateline_storage::repo::organizations::get_by_slug(&mut app.conn(), "oresund-windshare").unwrap().boilerplate;
        assert!(org.text().contains(&boilerplate.chars().take(40).collect::<String>()), "the boilerplate introduces the listing");
        assert!(org.body.matches("class=\"card\"").count() >= 4);
        assert!(org.body.contains("/organizations/oresund-windshare/feed.atom"));
        let cats = c.get("/categories").await;
        cats.assert_status(200);
        assert!(cats.body.contains("/categories/renewables"));
        // A parent category lists its sub-categories' releases too.
        let energy = c.get("/categories/energy").await;
        let renewables = c.get("/categories/renewables").await;
        assert!(energy.body.matches("class=\"card\"").count() >= renewables.body.matches("class=\"card\"").count());
        assert!(energy.body.contains("/categories/renewables"), "links its sub-categories");
        c.get("/regions").await.assert_status(200);
        c.get("/regions/europe").await.assert_status(200);
        let r = releases::get(&mut app.conn(), first_release(&app).id).unwrap();
        c.get(&format!("/tags/{}", r.tags[0].slug)).await.assert_status(200);
        let month = c.get(&format!("/archive/{}", r.published_at.unwrap().format("%Y/%m"))).await;
        month.assert_status(200);
        assert!(month.body.contains(&r.content.headline.replace('\'', "&#39;")) || month.text().contains(&r.content.headline));
        // Bad addresses: helpful 404s and 400s, never a 500.
        for path in ["/organizations/nobody", "/categories/nothing", "/regions/atlantis", "/tags/never-used", "/archive/2022/13", "/archive/2022/00", "/archive/22/01", "/archive/2022/1", "/archive/abcd/01", "/releases/zzzzzzzzzz/x"] {
            let res = c.get(path).await;
            assert_eq!(res.status, 404, "{path}");
            assert!(res.body.contains("Page not found"));
        }
        // A tampered paging cursor, and a page number out of range, which the search page
        // answers with its form and the message.
        for path in ["/?after=garbage", "/organizations/oresund-windshare?after=%25%25"] {
            assert_eq!(c.get(path).await.status, 400, "{path}");
        }
        // The lists page with "Older releases" links; a page number says so instead of quietly
        // showing the newest again.
        for path in ["/?page=-1", "/?page=2", "/organizations/oresund-windshare?page=abc", "/archive/2026/01?page=0"] {
            let res = c.get(path).await;
            assert_eq!(res.status, 400, "{path}");
            assert!(res.text().contains("Older releases"), "{path}: {}", res.text());
        }
        c.get("/?page=1").await.assert_status(200);
        for path in ["/search?q=x&page=-1", "/search?q=x&page=abc", "/search?q=x&page=9999"] {
            let res = c.get(path).await;
            assert_eq!(res.status, 400, "{path}");
            assert!(res.body.contains("name=\"q\"") && res.text().contains("page"), "{path}: {}", res.text());
        }
    }

    async fn feeds_are_valid_and_complete(app) {
        demo(&app);
        let c = app.client();
        let paths = ["/feed", "/organizations/oresund-windshare/feed", "/categories/energy/feed", "/regions/europe/feed"];
        for base in paths {
            for (ext, ct) in [("rss", "application/rss+xml"), ("atom", "application/atom+xml"), ("json", "application/feed+json")] {
                let res = c.get(&format!("{base}.{ext}")).await;
                res.assert_status(200);
                assert!(res.header("content-type").unwrap().starts_with(ct), "{base}.{ext}");
                let feed = parse_feed(&res.body);
                assert!(!feed.entries.is_empty(), "{base}.{ext} has entries");
                let e = &feed.entries[0];
                assert!(!e.title.as_ref().unwrap().content.is_empty());
                let html = e.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
                assert!(html.contains("<p>"), "{base}.{ext}: full HTML content");
                // Links out of the entry, the source line's too, carry no opener or referrer.
                for link in html.split("<a ").skip(1) {
                    assert!(link.split('>').next().unwrap().contains("rel=\"noopener noreferrer\""), "{base}.{ext}: <a {link}");
                }
                if ext != "rss" {
                    assert!(!e.authors.is_empty(), "{base}.{ext}: the organization as author");
                }
                assert!(!e.categories.is_empty() || ext == "json", "{base}.{ext}: categories");
            }
        }
        c.get("/feed.xml").await.assert_status(404);
        c.get("/tags/nope/feed.rss").await.assert_status(404);
        // A correction shows as an update.
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let top = first_release(&app);
        app.state.clock.advance(Duration::hours(1));
        editor.json("POST", &format!("/api/v1/releases/{}/corrections", top.public_id), &json!({"note": "A figure was wrong."})).await.assert_status(200);
        let atom = parse_feed(&c.get("/feed.atom").await.body);
        let entry = atom.entries.iter().find(|e| e.links.iter().any(|l| l.href.contains(top.public_id.as_str()))).unwrap();
        assert!(entry.updated.unwrap() > entry.published.unwrap(), "updated after the correction");
        assert!(entry.content.as_ref().unwrap().body.as_ref().unwrap().contains("A figure was wrong."));
        let json: Value = c.get("/feed.json").await.json();
        let item = json["items"].as_array().unwrap().iter().find(|i| i["url"].as_str().unwrap().contains(top.public_id.as_str())).unwrap();
        assert_ne!(item["date_modified"], item["date_published"]);
        assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    }

    async fn sitemaps_list_public_releases(app) {
        demo(&app);
        let c = app.client();
        let index = c.get("/sitemap.xml").await;
        index.assert_status(200);
        well_formed(&index.body);
        assert!(index.body.contains("<sitemapindex") && index.body.contains("/sitemaps/releases-1.xml"));
        let page = c.get("/sitemaps/releases-1.xml").await;
        page.assert_status(200);
        well_formed(&page.body);
        let top = first_release(&app);
        assert!(page.body.contains(&format!("/releases/{}/{}", top.public_id, top.slug)));
        assert!(page.body.contains("/organizations/oresund-windshare"));
        assert_eq!(page.body.matches("<lastmod>").count(), 32, "one per published release");
        c.get("/sitemaps/releases-2.xml").await.assert_status(404);
        c.get("/sitemaps/releases-x.xml").await.assert_status(404);
        // The news sitemap has the last 48 hours only.
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let fresh = editor.json("POST", "/api/v1/releases", &json!({"headline": "Fresh news"})).await.json();
        editor.json("POST", &format!("/api/v1/releases/{}/publish", fresh["id"].as_str().unwrap()), &json!({})).await.assert_status(200);
        let news = c.get("/news-sitemap.xml").await;
        news.assert_status(200);
        well_formed(&news.body);
        assert!(news.body.contains("Fresh news") && news.body.contains("<news:publication_date>"));
        let old_demo = releases::list_public(&mut app.conn(), Utc::now(), &Default::default(), &dateline_storage::PageRequest::first(100)).unwrap().items.into_iter().find(|r| r.published_at.unwrap() < Utc::now() - Duration::days(3)).unwrap();
        assert!(!news.text().contains(&old_demo.headline));
        let robots = c.get("/robots.txt").await;
        assert!(robots.body.contains("Sitemap: ") && robots.body.contains("/news-sitemap.xml") && robots.body.contains("Disallow: /admin"));
    }

    async fn search_over_everything_public(app) {
        demo(&app);
        let c = app.client();
        let page = c.get("/search?q=tuberculosis").await;
        page.assert_status(200);
        assert!(page.body.contains("<mark>"), "highlighted snippets");
        assert!(page.text().contains("Cough Analysis Tool"));
        assert!(page.body.contains("noindex"));
        // A category takes in its sub-categories: the release is filed under Public Health.
        assert!(c.get("/search?q=tuberculosis&category=health").await.text().contains("Cough Analysis Tool"));
        assert!(!c.get("/search?q=tuberculosis&category=energy").await.text().contains("Cough Analysis Tool"));
        let api = c.get("/api/v1/search?q=tuberculosis&category=health").await.json();
        assert_eq!(api["total"], 1, "{api}");
        // Organization names are searched too, and filters narrow.
        let by_org = c.get("/search?q=Windshare").await;
        assert!(by_org.body.matches("class=\"card\"").count() >= 4, "{}", by_org.body);
        let filtered = c.get("/search?q=Windshare&organization=highveld-university").await;
        assert_eq!(filtered.body.matches("class=\"card\"").count(), 0);
        let dated = c.get("/search?q=Windshare&from=2030-01-01").await;
        assert!(dated.text().contains("No releases match"));
        c.get("/search?q=Windshare&organization=nobody").await.assert_status(400);
        // Hostile input gets a clear answer.
        let long = "a".repeat(10_000);
        let res = c.get(&format!("/search?q={long}")).await;
        res.assert_status(400);
        assert!(res.body.contains("at most 200 characters"));
        for q in ["%22unbalanced", "%22%22%22", "a%20OR%20b%20NOT%20c", "NEAR(x%20y)", "*", "%27%3B%20DROP%20TABLE%20releases%3B%20--", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"] {
            let r = c.get(&format!("/search?q={q}")).await;
            r.assert_status(200);
            assert!(!r.body.contains("<script>alert(1)</script>"));
        }
        let api = c.get("/api/v1/search?q=tuberculosis").await;
        api.assert_status(200);
        let j = api.json();
        assert!(j["total"].as_i64().unwrap() >= 1);
        assert!(j["items"][0]["snippet"].as_str().unwrap().contains("[["));
        c.get(&format!("/api/v1/search?q={long}")).await.assert_status(400);
        c.get("/api/v1/search?q=x&sort=password").await.assert_status(400);
    }

    async fn seo_and_language(app) {
        demo(&app);
        let c = app.client();
        let r = first_release(&app);
        let page = c.get(&format!("/releases/{}/{}", r.public_id, r.slug)).await;
        let body = page.body.clone();
        assert!(body.contains(&format!("<link rel=\"canonical\" href=\"{}/releases/{}/{}\">", app.base, r.public_id, r.slug)));
        for tag in ["og:title", "og:description", "og:url", "og:type", "twitter:card", "article:published_time"] {
            assert!(body.contains(tag), "{tag}");
        }
        let ld = body.split("<script type=\"application/ld+json\">").nth(1).unwrap().split("</script>").next().unwrap();
        let v: Value = serde_json::from_str(ld).unwrap();
        assert_eq!(v["@type"], "NewsArticle");
        for field in ["headline", "dateline", "datePublished", "dateModified", "publisher", "isBasedOn"] {
            assert!(!v[field].is_null(), "{field} in {v}");
        }
        assert!(v["dateline"].as_str().unwrap().contains(", 2026"));
        assert!(!body.contains("name=\"robots\""), "public releases are indexable");
        // The German release is served as German.
        let de = releases::list_public(&mut app.conn(), Utc::now(), &Default::default(), &dateline_storage::PageRequest::first(100)).unwrap().items.into_iter().find(|r| r.language == "de").unwrap();
        let de_page = c.get(&format!("/releases/{}/{}", de.public_id, de.slug)).await;
        assert!(de_page.body.contains("<html lang=\"de\">"));
        // Non-public pages are never indexed.
        assert!(c.get("/login").await.body.contains("noindex"));
    }

    async fn conditional_requests_and_compression(app) {
        demo(&app);
        let c = app.client();
        for path in ["/", "/organizations", "/feed.atom", "/sitemap.xml", "/search?q=solar"] {
            let first = c.get(path).await;
            first.assert_status(200);
            let etag = first.header("etag").unwrap_or_else(|| panic!("{path} has an ETag"));
            assert!(first.header("last-modified").is_some());
            assert!(first.header("cache-control").unwrap().contains("public"));
            let again = Client::new(&app.base);
            again.with_header("If-None-Match", &etag);
            let res = again.get(path).await;
            res.assert_status(304);
            assert!(res.body.is_empty());
            let since = Client::new(&app.base);
            since.with_header("If-Modified-Since", &first.header("last-modified").unwrap());
            since.get(path).await.assert_status(304);
        }
        // Publishing changes every validator.
        let etag = c.get("/").await.header("etag").unwrap();
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = editor.json("POST", "/api/v1/releases", &json!({"headline": "New today"})).await.json()["id"].as_str().unwrap().to_owned();
        editor.json("POST", &format!("/api/v1/releases/{id}/publish"), &json!({})).await.assert_status(200);
        let stale = Client::new(&app.base);
        stale.with_header("If-None-Match", &etag);
        let fresh = stale.get("/").await;
        fresh.assert_status(200);
        assert!(fresh.body.contains("New today"));
        // Signed-in readers get fresh, private pages.
        let (me, _) = app.signed_in("co@example.com", Role::Contributor).await;
        let private = me.get("/").await;
        assert_eq!(private.header("cache-control").as_deref(), Some("no-store"));
        assert!(private.header("etag").is_none());
        // Compression.
        for (accept, expected) in [("br", "br"), ("gzip", "gzip")] {
            let z = Client::new(&app.base);
            z.with_header("Accept-Encoding", accept);
            let res = z.get("/").await;
            assert_eq!(res.header("content-encoding").as_deref(), Some(expected));
        }
    }

    async fn the_public_read_api(app) {
        demo(&app);
        let c = app.client();
        let first = c.get("/api/v1/releases?limit=10").await.json();
        assert_eq!(first["items"].as_array().unwrap().len(), 10);
        let next = first["next"].as_str().unwrap();
        let second = c.get(&format!("/api/v1/releases?limit=10&after={next}")).await.json();
        assert_eq!(second["items"].as_array().unwrap().len(), 10);
        assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
        let org = c.get("/api/v1/releases?organization=oresund-windshare").await.json();
        assert!(org["items"].as_array().unwrap().iter().all(|i| i["organization"]["slug"] == "oresund-windshare"));
        let typo = c.get("/api/v1/releases?organization=nobody").await;
        typo.assert_status(400);
        assert_eq!(typo.json()["errors"][0]["field"], "organization");
        c.get("/api/v1/releases?from=2026-13-01").await.assert_status(400);
        c.get("/api/v1/releases?after=tampered").await.assert_status(400);
        let id = first["items"][0]["id"].as_str().unwrap();
        let one = c.get(&format!("/api/v1/releases/{id}")).await.json();
        assert!(one["body_html"].as_str().unwrap().contains("<p>"));
        assert!(one["contacts"].as_array().is_some());
        // Nothing private in any public answer.
        for path in ["/api/v1/releases", "/api/v1/organizations", "/api/v1/categories", "/api/v1/tags", &format!("/api/v1/releases/{id}")] {
            let body = c.get(path).await.body;
            assert!(!body.contains("argon2") && !body.contains("password") && !body.contains("token_hash"), "{path}");
        }
    }
}

/// Every public output, for the canary crawler. Returns (what, status, body).
async fn crawl(
    app: &TestApp,
    r: &dateline_core::Release,
    token: &str,
) -> Vec<(String, u16, String)> {
    let c = app.client();
    let org = r.organization.as_ref().unwrap().slug.clone();
    let cat = r.categories[0].slug.clone();
    let reg = r.regions[0].slug.clone();
    let tag = r.tags[0].slug.clone();
    let month = app.state.clock.now().format("%Y/%m").to_string();
    let id = r.public_id.to_string();
    let mut paths: Vec<String> = vec![
        "/".into(),
        "/?static=1&preview=true&status=scheduled&order=asc&id=1".into(),
        "/organizations".into(),
        "/categories".into(),
        "/regions".into(),
        format!("/organizations/{org}"),
        format!("/organizations/{org}?status=scheduled&preview=1"),
        format!("/categories/{cat}"),
        format!("/regions/{reg}"),
        format!("/tags/{tag}"),
        format!("/archive/{month}"),
        "/sitemap.xml".into(),
        "/sitemaps/releases-1.xml".into(),
        "/news-sitemap.xml".into(),
        "/robots.txt".into(),
        format!("/search?q={token}"),
        format!(
            "/search?q={}",
            r.content.headline.split_whitespace().next().unwrap()
        ),
        "/api/v1/releases".into(),
        "/api/v1/releases?status=scheduled".into(),
        format!("/api/v1/releases?organization={org}"),
        format!("/api/v1/releases?tag={tag}"),
        format!("/api/v1/search?q={token}"),
        "/api/v1/tags".into(),
        format!("/api/v1/tags/{tag}"),
        format!("/api/v1/releases/{id}"),
        format!("/releases/{id}"),
        format!("/releases/{id}/{}", r.slug),
        format!("/releases/{id}/{}/", r.slug),
        format!("/releases/{}/{}", id.to_uppercase(), r.slug),
        format!("/releases/{id}%2F{}", r.slug),
        format!("/releases/{id}/{}.json", r.slug),
        format!("/releases/{id}/{}?static=1&preview=1", r.slug),
        format!("/preview/{}", "A".repeat(43)),
        format!("/preview/{id}"),
    ];
    for base in [
        "/feed".to_owned(),
        format!("/organizations/{org}/feed"),
        format!("/categories/{cat}/feed"),
        format!("/regions/{reg}/feed"),
        format!("/tags/{tag}/feed"),
    ] {
        for ext in ["rss", "atom", "json"] {
            paths.push(format!("{base}.{ext}"));
        }
    }
    let mut out = Vec::new();
    for p in paths {
        let res = c.get(&p).await;
        out.push((p, res.status, res.body));
    }
    // Paging cursors carry the last key seen: walk the tags a page at a time and read each
    // cursor too, as someone probing for hidden names would.
    let mut next = Some("/api/v1/tags?limit=1".to_owned());
    while let Some(p) = next.take() {
        let res = c.get(&p).await;
        let cursor = res.json()["next"].as_str().map(str::to_owned);
        let mut seen = res.body.clone();
        if let Some(cur) = &cursor {
            let decoded = dateline_storage::pagination::Cursor::decode(cur).unwrap();
            seen.push_str(decoded.text_key().unwrap_or_default());
            next = Some(format!("/api/v1/tags?limit=1&after={cur}"));
        }
        out.push((p, res.status, seen));
    }
    out
}

// Z4: an embargoed release appears nowhere before its time and everywhere after.
http_tests! {
    async fn the_embargo_canary(app) {
        demo(&app);
        let token = format!("EMB{}", uuid::Uuid::new_v4().simple());
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let created = editor
            .json("POST", "/api/v1/releases", &json!({
                "headline": format!("Canary {token} results"),
                "summary": format!("Summary {token}"),
                "body": format!("Body text {token}."),
                "organization": "oresund-windshare",
                "categories": ["renewables"],
                "regions": ["europe"],
                "tags": [format!("canary {token}")],
            }))
            .await;
        created.assert_status(201);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        let embargo = app.state.clock.now() + Duration::hours(2);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        let r = releases::get_by_public_id(&mut app.conn(), &id.parse().unwrap()).unwrap();
        let needle = token.to_lowercase();
        // What would give the release away: its headline, slug, summary or body. (Search pages
        // repeat the bare query back, which gives nothing away.)
        let markers = [format!("canary {needle}"), format!("canary-{needle}"), format!("summary {needle}"), format!("body text {needle}")];
        let shows = |body: &str| {
            let lower = body.to_lowercase();
            markers.iter().any(|m| lower.contains(m.as_str()))
        };
        for (path, status, body) in crawl(&app, &r, &token).await {
            assert!(status < 500, "{path}: {status}");
            // Error answers name the address and the filter values asked for; that echo tells
            // the asker nothing new. Answers that succeeded are checked whole.
            let (bare, query) = path.split_once('?').unwrap_or((&path, ""));
            let mut without_echo = body.replace(bare, "");
            if status >= 400 {
                for (_, value) in url::form_urlencoded::parse(query.as_bytes()) {
                    without_echo = without_echo.replace(value.as_ref(), "");
                }
            }
            assert!(!shows(&without_echo), "the canary leaked before its time through {path}: {status}");
        }

        app.state.clock.advance(Duration::hours(2) + Duration::seconds(1));
        let pid = id.clone();
        app.eventually("the embargo to lift", move |app| releases::get_by_public_id(&mut app.conn(), &pid.parse().unwrap()).unwrap().status == dateline_core::ReleaseStatus::Published).await;
        let results = crawl(&app, &r, &token).await;
        let must_show = [
            "/".to_owned(),
            format!("/organizations/{}", "oresund-windshare"),
            "/categories/renewables".to_owned(),
            "/regions/europe".to_owned(),
            format!("/tags/canary-{needle}"),
            format!("/archive/{}", app.state.clock.now().format("%Y/%m")),
            "/sitemaps/releases-1.xml".to_owned(),
            "/news-sitemap.xml".to_owned(),
            format!("/search?q={token}"),
            "/api/v1/releases".to_owned(),
            format!("/api/v1/search?q={token}"),
            format!("/api/v1/releases/{id}"),
            format!("/releases/{id}/{}", r.slug),
            "/feed.rss".to_owned(),
            "/feed.atom".to_owned(),
            "/feed.json".to_owned(),
            "/categories/renewables/feed.atom".to_owned(),
            "/regions/europe/feed.json".to_owned(),
            format!("/tags/canary-{needle}/feed.rss"),
        ];
        for path in must_show {
            let (_, status, body) = results.iter().find(|(p, _, _)| *p == path).unwrap_or_else(|| panic!("{path} was not crawled"));
            assert_eq!(*status, 200, "{path}");
            assert!(shows(body), "after the embargo, {path} shows the release");
        }
    }
}

/// Every public answer that lists or names organizations, categories or regions, with the
/// addresses of these ones. Returns (path, status, body).
async fn crawl_taxa(
    app: &TestApp,
    org: &str,
    cats: &[&str],
    reg: &str,
) -> Vec<(String, u16, String)> {
    let c = app.client();
    let mut paths: Vec<String> = vec![
        "/".into(),
        "/organizations".into(),
        "/categories".into(),
        "/regions".into(),
        "/search".into(),
        "/search?q=launch".into(),
        "/sitemap.xml".into(),
        "/sitemaps/releases-1.xml".into(),
        "/news-sitemap.xml".into(),
        "/feed.atom".into(),
        "/api/v1/releases".into(),
        "/api/v1/organizations".into(),
        "/api/v1/categories".into(),
        "/api/v1/regions".into(),
        "/api/v1/tags".into(),
        format!("/organizations/{org}"),
        format!("/organizations/{org}/feed.rss"),
        format!("/api/v1/organizations/{org}"),
        format!("/api/v1/releases?organization={org}"),
        format!("/search?q=launch&organization={org}"),
        format!("/api/v1/search?q=launch&organization={org}"),
        format!("/regions/{reg}"),
        format!("/regions/{reg}/feed.json"),
        format!("/api/v1/regions/{reg}"),
        format!("/api/v1/releases?region={reg}"),
        format!("/search?q=launch&region={reg}"),
    ];
    for cat in cats {
        paths.extend([
            format!("/categories/{cat}"),
            format!("/categories/{cat}/feed.atom"),
            format!("/api/v1/categories/{cat}"),
            format!("/api/v1/releases?category={cat}"),
            format!("/search?q=launch&category={cat}"),
        ]);
    }
    let mut out = Vec::new();
    for p in paths {
        let res = c.get(&p).await;
        out.push((p, res.status, res.body));
    }
    out
}

// An organization, category or region is public once a release of it is, and not before.
http_tests! {
    async fn nothing_is_public_before_its_first_public_release(app) {
        demo(&app);
        let mark = format!("q{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let made = |path: &'static str, body: Value| {
            let editor = editor.clone();
            async move {
                let res = editor.json("POST", path, &body).await;
                res.assert_status(201);
                res.json()["slug"].as_str().unwrap().to_owned()
            }
        };
        let org = made("/api/v1/organizations", json!({"name": format!("Launchco {mark}"), "boilerplate": format!("About Launchco {mark}.")})).await;
        let parent = made("/api/v1/categories", json!({"name": format!("Mergers {mark}")})).await;
        let child = made("/api/v1/categories", json!({"name": format!("Takeovers {mark}"), "parent": parent})).await;
        let reg = made("/api/v1/regions", json!({"name": format!("Atlantis {mark}")})).await;
        let created = editor
            .json("POST", "/api/v1/releases", &json!({
                "headline": "Launch day",
                "body": "The launch.",
                "organization": org,
                "categories": [child],
                "regions": [reg],
            }))
            .await;
        created.assert_status(201);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        // A draft, then scheduled: still nothing anywhere.
        let cats = [parent.as_str(), child.as_str()];
        // Error answers name the address and filter values asked for (which hold the slugs);
        // that echo tells the asker nothing new, so it is left out.
        let leaks = |results: &[(String, u16, String)]| -> Vec<String> {
            results
                .iter()
                .filter(|(path, status, body)| {
                    let (bare, query) = path.split_once('?').unwrap_or((path, ""));
                    let mut rest = body.replace(bare, "");
                    if *status >= 400 {
                        // Longest first: "launch" is part of "launchco-…".
                        let mut values: Vec<String> = url::form_urlencoded::parse(query.as_bytes()).map(|(_, v)| v.into_owned()).collect();
                        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
                        for value in values {
                            rest = rest.replace(&value, "");
                        }
                    }
                    rest.to_lowercase().contains(&mark)
                })
                .map(|(p, s, _)| format!("{p} ({s})"))
                .collect()
        };
        let before = crawl_taxa(&app, &org, &cats, &reg).await;
        assert_eq!(leaks(&before), Vec::<String>::new(), "named while only a draft refers to them");
        let embargo = app.state.clock.now() + Duration::hours(2);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        let scheduled = crawl_taxa(&app, &org, &cats, &reg).await;
        assert_eq!(leaks(&scheduled), Vec::<String>::new(), "named while only an embargoed release refers to them");
        for (path, status, _) in &scheduled {
            assert!(*status < 500, "{path}: {status}");
            let own_page = [format!("/organizations/{org}"), format!("/regions/{reg}"), format!("/categories/{parent}"), format!("/categories/{child}")];
            if own_page.iter().any(|p| path.starts_with(p.as_str())) || path.starts_with("/api/v1/organizations/") || path.starts_with("/api/v1/categories/") || path.starts_with("/api/v1/regions/") {
                assert_eq!(*status, 404, "{path}");
            }
            // As unknown as a typo where it is a filter.
            if path.contains(&format!("={org}")) || path.contains(&format!("={reg}")) || cats.iter().any(|c| path.ends_with(&format!("={c}"))) {
                assert_eq!(*status, 400, "{path}");
            }
        }
        // The newsroom still sees and manages them all.
        for path in [format!("/api/v1/organizations/{org}"), format!("/api/v1/categories/{child}"), format!("/api/v1/regions/{reg}")] {
            editor.get(&path).await.assert_status(200);
        }
        let (contributor, _) = app.api_user("co@example.com", Role::Contributor);
        assert!(contributor.get("/api/v1/organizations?limit=100").await.body.contains(&mark), "contributors pick organizations from the full list");
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        assert!(admin.get("/admin/organizations").await.text().contains(&format!("Launchco {mark}")));
        assert!(admin.get("/admin/taxonomy/categories").await.text().contains(&format!("Takeovers {mark}")));
        assert!(admin.get("/admin/taxonomy/regions").await.text().contains(&format!("Atlantis {mark}")));

        app.state.clock.advance(Duration::hours(2) + Duration::seconds(1));
        let pid = id.clone();
        app.eventually("the embargo to lift", move |app| releases::get_by_public_id(&mut app.conn(), &pid.parse().unwrap()).unwrap().status == dateline_core::ReleaseStatus::Published).await;
        let after = crawl_taxa(&app, &org, &cats, &reg).await;
        let lists = ["/organizations", "/categories", "/regions", "/search", "/sitemaps/releases-1.xml", "/api/v1/organizations", "/api/v1/categories", "/api/v1/regions"];
        for (path, status, body) in &after {
            let about_them = path.contains(&mark);
            if about_them {
                assert_eq!(*status, 200, "{path}");
            }
            if lists.contains(&path.as_str()) || (about_them && !path.contains('?') && !path.contains("/feed.")) {
                assert!(body.to_lowercase().contains(&mark), "after the release, {path} names them");
            }
        }
        // A parent category with only a sub-category's release is public too: its page lists it.
        let parent_page = app.client().get(&format!("/categories/{parent}")).await;
        assert!(parent_page.text().contains("Launch day") && parent_page.body.contains(&format!("/categories/{child}")));
    }
}
