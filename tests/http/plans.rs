//! Query plans are checked, not hoped for: with a few thousand releases seeded and statistics
//! refreshed, every statement behind the public pages, feeds, sitemaps, the public API and the
//! newsroom's lists is put to the database's planner, and none may read a whole table that grows
//! with the newsroom. On PostgreSQL search must go through its GIN index.
//!
//! The statements are the ones the pages really ran (recorded by the test pool), so a new query
//! on any of these pages is checked without anyone listing it here.

use dateline_core::Role;
use dateline_storage::DbConnection;
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::testdb::{TestDatabase, query_plan};
use dateline_storage::visibility::Scope;

use crate::database_tests;
use crate::support::{Client, TestApp};

/// Tables whose size grows with the number of releases.
const GROWING: [&str; 5] = [
    "releases",
    "release_categories",
    "release_regions",
    "release_tags",
    "release_revisions",
];

/// The aliases the hand-written search SQL gives those tables.
const ALIASES: [&str; 3] = ["r", "rc", "rr"];

/// Counts that group every public release, run once per content version (the index pages'
/// "N releases" and the sitemap's page count) and then served from memory. They walk an index
/// end to end on purpose; nothing else may.
const WHOLE_INDEX_WALKS: [&str; 2] = ["COUNT(*)", "count(*)"];

/// Follows the first `href` that starts with `prefix` in `html`.
fn first_link(html: &str, prefix: &str) -> String {
    let marker = format!("href=\"{prefix}");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("a link to {prefix}… in the page"));
    let rest = &html[start + 6..];
    rest[..rest.find('"').unwrap_or(rest.len())].replace("&amp;", "&")
}

/// Every public read a reader, feed reader, crawler or API client makes.
async fn public_paths(c: &Client) -> Vec<String> {
    let home = c.get("/").await;
    let release = first_link(&home.body, "/releases/");
    let page = c.get(&release).await;
    let tag = first_link(&page.body, "/tags/");
    let organization = first_link(&page.body, "/organizations/");
    let year_month = chrono::Utc::now().format("%Y/%m").to_string();
    let mut paths: Vec<String> = [
        "/",
        "/organizations",
        "/categories",
        "/categories/energy",
        "/categories/energy/feed.atom",
        "/regions",
        "/regions/europe",
        "/regions/europe/feed.rss",
        "/feed.atom",
        "/feed.json",
        "/sitemap.xml",
        "/sitemaps/releases-1.xml",
        "/sitemaps/releases-2.xml",
        "/news-sitemap.xml",
        "/search?q=energy",
        "/search?q=%22today+announced+its%22",
        "/search?q=zzzzqqq",
        "/search?q=energy&category=energy&region=europe",
        "/api/v1/releases",
        "/api/v1/search?q=grid",
        "/api/v1/organizations",
        "/api/v1/categories",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    let second_home = first_link(&home.body, "/?after=");
    paths.extend([
        release,
        tag.clone(),
        format!("{tag}/feed.json"),
        organization.clone(),
        format!("{organization}/feed.atom"),
        format!("/archive/{year_month}"),
        second_home,
    ]);
    paths
}

/// The newsroom's lists: the dashboard, the release list under each filter and its next page,
/// one release's page and history, and the audit log.
async fn newsroom_paths(admin: &Client, organization: i64) -> Vec<String> {
    let list = admin.get("/admin/releases").await;
    let rows = list
        .body
        .split("<tbody>")
        .nth(1)
        .expect("a table of releases");
    let edit = first_link(rows, "/admin/releases/");
    let next = first_link(&list.body, "/admin/releases?");
    vec![
        "/admin".to_owned(),
        "/admin/releases".to_owned(),
        "/admin/releases?status=published".to_owned(),
        "/admin/releases?status=scheduled".to_owned(),
        "/admin/releases?q=energy".to_owned(),
        format!("/admin/releases?organization={organization}"),
        "/admin/releases?author=1".to_owned(),
        next,
        format!("{edit}/history"),
        edit,
        "/admin/audit".to_owned(),
    ]
}

/// A recorded statement without its values.
fn sql_of(shown: &str) -> &str {
    shown.split(" -- binds: ").next().unwrap_or(shown)
}

/// Files every other release under a new category "Everything": more than a thousand links, so
/// its listing takes the other path.
fn a_category_on_half_the_releases(app: &TestApp) {
    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;
    let input = dateline_core::taxonomy::TaxonInput {
        name: "Everything".into(),
        ..Default::default()
    };
    let id = taxonomy::create_category(&mut app.conn(), &input)
        .unwrap()
        .id;
    let mut conn = app.conn();
    let linked = match &mut *conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "INSERT INTO release_categories (release_id, category_id) SELECT id, ? FROM releases WHERE id % 2 = 0",
        )
        .bind::<BigInt, _>(id)
        .execute(c),
        DbConnection::Pg(c) => diesel::sql_query(
            "INSERT INTO release_categories (release_id, category_id) SELECT id, $1 FROM releases WHERE id % 2 = 0",
        )
        .bind::<BigInt, _>(id)
        .execute(c),
    }
    .unwrap();
    assert!(linked > 1_000, "{linked} links");
}

/// The release ids a listing page shows, in order.
fn listed(html: &str) -> Vec<String> {
    let mut ids: Vec<String> = html
        .split("href=\"/releases/")
        .skip(1)
        .map(|rest| rest[..10].to_owned())
        .collect();
    ids.dedup();
    ids
}

/// The first two pages of the big category, checked against the newest public releases filed
/// under it, and their paths for the plan check.
async fn listing_of_a_big_category(reader: &Client, app: &TestApp) -> Vec<String> {
    use diesel::RunQueryDsl;
    let first = reader.get("/categories/everything").await;
    first.assert_status(200);
    let next = first_link(&first.body, "/categories/everything?after=");
    let second = reader.get(&next).await;
    let mut shown = listed(&first.body);
    shown.extend(listed(&second.body));
    // Every other release is in it, so the newest public ones with an even id are its listing.
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        public_id: String,
    }
    let newest = "SELECT public_id FROM releases WHERE status = 'published' AND id % 2 = 0 \
                  ORDER BY published_at DESC, id DESC LIMIT 40";
    let mut conn = app.conn();
    let expected: Vec<String> = match &mut *conn {
        DbConnection::Sqlite(c) => diesel::sql_query(newest).load::<Id>(c),
        DbConnection::Pg(c) => diesel::sql_query(newest).load::<Id>(c),
    }
    .unwrap()
    .into_iter()
    .map(|r| r.public_id)
    .collect();
    assert_eq!(shown.len(), 40, "two full pages");
    assert_eq!(
        shown, expected,
        "the newest public releases in the category, in order"
    );
    vec!["/categories/everything".to_owned(), next]
}

/// What is wrong with one plan, if anything.
fn faults(backend: &str, sql: &str, plan: &[String]) -> Vec<String> {
    let whole_walk_allowed = WHOLE_INDEX_WALKS.iter().any(|c| sql.contains(c));
    let mut found = Vec::new();
    for step in plan {
        let step = step.trim();
        match backend {
            "sqlite" => {
                // "SCAN t" reads the table; "SCAN t USING [COVERING] INDEX i" walks an index in
                // order, which is how a LIMIT query stops early (and what a count does).
                // SQLite names a table by its alias where the SQL gives one (the search's `r`).
                for table in GROWING.iter().chain(&ALIASES) {
                    let scan = format!("SCAN {table}");
                    if step == scan || step.starts_with(&format!("{scan} ")) {
                        let walks_an_index = step.contains(" USING ");
                        if !walks_an_index || !(sql.contains("LIMIT") || whole_walk_allowed) {
                            found.push(format!("full scan: {step}"));
                        }
                    }
                }
                // Sorting the matches of a paged query over a growing table means reading all of
                // them first.
                let outer_grows = plan
                    .first()
                    .is_some_and(|first| GROWING.iter().any(|t| first.contains(&format!(" {t} "))));
                // A listing narrowed to a taxon with few releases reads them through the link
                // table's taxon index and sorts them; one with many walks the public order
                // instead (the storage layer chooses by counting up to a thousand links).
                let few_linked = plan.iter().any(|s| s.starts_with("LIST SUBQUERY"))
                    && plan.iter().any(|s| {
                        s.starts_with("SEARCH release_")
                            && s.contains("_by_")
                            && !s.contains("release_revisions")
                    });
                if step == "USE TEMP B-TREE FOR ORDER BY"
                    && sql.contains("LIMIT")
                    && outer_grows
                    && !few_linked
                {
                    found.push("sorts every match to show one page".to_owned());
                }
                // A search table step without a MATCH constraint (M in the index string) reads
                // every document.
                if step.starts_with("SCAN release_search VIRTUAL TABLE") && !step.contains(":M") {
                    found.push(format!("full text scan: {step}"));
                }
            }
            _ => {
                if GROWING.iter().any(|t| {
                    step.contains(&format!("Seq Scan on {t} "))
                        || step.ends_with(&format!("Seq Scan on {t}"))
                }) {
                    found.push(format!("sequential scan: {step}"));
                }
            }
        }
    }
    // A document may be matched row by row only where its row was found by key: among the
    // candidates the index already found (a phrase checked against the ids passed in), or
    // among a bounded run of the newest ids (a word nearly every release holds).
    let searched_by_key = (sql.contains("unnest(")
        || sql.contains("release_id > (SELECT max(release_id) FROM release_search) -"))
        && plan
            .iter()
            .filter(|s| s.contains(" on release_search"))
            .all(|s| s.contains("release_search_pkey"));
    if backend == "postgres"
        && (sql.contains("@@") || sql.contains("ts_match_vq"))
        && !plan.iter().any(|s| s.contains("release_search_document"))
        && !searched_by_key
    {
        found.push("search without the GIN index".to_owned());
    }
    found
}

async fn every_page_is_planned_on_indexes(db: &TestDatabase) {
    let app = TestApp::quiet(TestDatabase::attach(&db.url).unwrap()).await;
    let now = app.state.clock.now();
    dateline_web::demo::load(&mut app.conn(), now).unwrap();
    // Seeding refreshes the planner's statistics (ANALYZE), as after any bulk load.
    dateline_web::usecases::seed::seed_releases(&app.db.pool, 3_000, 11, now, &mut |_| {}).unwrap();
    let (admin, _) = app.signed_in("plans@example.com", Role::Admin).await;
    let reader = app.client();
    a_category_on_half_the_releases(&app);
    let mut paths = public_paths(&reader).await;
    paths.extend(listing_of_a_big_category(&reader, &app).await);
    let organization = organizations::all(&mut app.conn(), Scope::All).unwrap()[0].id;
    paths.extend(newsroom_paths(&admin, organization).await);

    app.db.queries.record();
    for path in &paths {
        // The page cache is told to forget, so each page runs its queries.
        app.state.page_cache.learn(-1);
        let client = if path.starts_with("/admin") {
            &admin
        } else {
            &reader
        };
        client.get(path).await.assert_status(200);
    }
    // Each distinct statement once, with the values of its first run. A statement Diesel turns
    // into `WHERE (1=0)` (an empty `IN` list) reads nothing whatever its plan says.
    let mut seen = std::collections::HashSet::new();
    let statements: Vec<String> = app
        .db
        .queries
        .recorded()
        .into_iter()
        .filter(|s| {
            let head = s.trim_start().to_ascii_uppercase();
            (head.starts_with("SELECT") || head.starts_with("WITH")) && !s.contains("(1=0)")
        })
        .filter(|s| seen.insert(sql_of(s).to_owned()))
        .collect();
    assert!(
        statements.len() >= 30,
        "the pages ran their queries: {statements:#?}"
    );

    let backend = match db.url {
        dateline_storage::DatabaseUrl::Sqlite(_) => "sqlite",
        _ => "postgres",
    };
    let mut report = Vec::new();
    let mut searches = 0;
    for sql in &statements {
        let plan = query_plan(&mut app.conn(), sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
        let sql = sql_of(sql);
        searches +=
            usize::from(sql.contains("@@") || sql.contains("MATCH") || sql.contains("ts_match_vq"));
        let wrong = faults(backend, sql, &plan);
        if !wrong.is_empty() {
            report.push(format!(
                "{}\n  {sql}\n  plan:\n    {}",
                wrong.join("; "),
                plan.join("\n    ")
            ));
        }
    }
    assert!(searches >= 2, "search statements were among those checked");
    assert!(
        report.is_empty(),
        "{} of {} statements would read a whole growing table:\n\n{}",
        report.len(),
        statements.len(),
        report.join("\n\n")
    );
}

database_tests! {
    every_page_is_planned_on_indexes_on_sqlite,
    every_page_is_planned_on_indexes_on_postgres => every_page_is_planned_on_indexes;
}
