//! Extreme input is a 4xx, never a 5xx or a dropped connection. Every
//! GET route in the permission table is walked on the real binary, with a table of hostile
//! values in each path segment and in each query parameter the route reads; afterwards the
//! server's log holds no panic. A new route is walked as soon as it is in the table.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use dateline_auth::permissions::{Method, Permission, ROUTES};
use dateline_core::Role;
use dateline_storage::Cursor;
use serde_json::json;

use crate::http_tests;
use crate::inventory::{Fixtures, concrete};
use crate::support::process::{Server, free_port, wait_for};
use crate::support::{Client, PASSWORD};

/// What a parameter holds, which decides which hostile values it must accept.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// `from`/`to`: a day in years 1–9999.
    Day,
    /// `page` on the lists that page with cursors: only 1.
    ListPage,
    /// `page` of search results: 1 to 50.
    SearchPage,
    /// `limit` on API lists: 1 to 100.
    Limit,
    /// A paging cursor: none of the hostile ones is real.
    Cursor,
    /// A slug naming a filter: none of the hostile values names one.
    Filter,
    /// A search query: anything without NUL, up to 200 characters.
    Text,
    /// A staff list's text filter, which keeps the first characters: anything without NUL.
    Words,
    /// A staff list's id filter: any whole number that fits.
    Number,
    /// A revision to compare: a positive whole number; only 1 exists among the values.
    Revision,
    /// A parameter the route does not read: any answer but a 5xx.
    Ignored,
    /// A segment of the path: never a page of its own (a redirect or a 4xx).
    Path,
}

use Kind::*;

struct Hostile {
    value: String,
    /// Where the value is valid and must be answered with a 2xx; everywhere else, a 4xx.
    /// Text parameters decide by length and NUL alone (see [`Hostile::valid`]).
    valid_in: &'static [Kind],
}

impl Hostile {
    fn valid(&self, kind: Kind) -> bool {
        let clean = !self.value.contains('\0');
        match kind {
            Text => clean && self.value.chars().count() <= 200,
            Words => clean,
            k => self.valid_in.contains(&k),
        }
    }
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
}

/// The table of hostile values.
fn hostile() -> Vec<Hostile> {
    let v = |value: &str, valid_in: &'static [Kind]| Hostile {
        value: value.to_owned(),
        valid_in,
    };
    let cursor = |c: Cursor| Hostile {
        value: c.encode(),
        valid_in: &[],
    };
    vec![
        // Dates past what chrono, PostgreSQL or four-digit text can take.
        v("+262142-12-31", &[]),
        v("-262143-01-01", &[]),
        v("-4714-01-01", &[]),
        v("0000-01-01", &[]),
        v("10000-01-01", &[]),
        v("2023-02-29", &[]),
        // The first and last days that are valid.
        v("0001-01-01", &[Day]),
        v("9999-12-31", &[Day]),
        // Numbers at and past the integer limits.
        v("99999999999999999999999", &[]),
        v("9223372036854775807", &[Number]),
        v("-9223372036854775808", &[Number]),
        v("18446744073709551616", &[]),
        v("-1", &[Number]),
        v("0", &[Number]),
        // Valid wherever a number is; as a path segment it may name a real row.
        v("1", &[ListPage, SearchPage, Limit, Number, Revision, Path]),
        v("1e3", &[]),
        // Cursors built the way real ones are, naming impossible rows.
        cursor(Cursor::time(DateTime::<Utc>::MAX_UTC, 1)),
        cursor(Cursor::time(DateTime::<Utc>::MIN_UTC, 1)),
        cursor(Cursor::time(at(-4714, 1, 1), 1)),
        cursor(Cursor::time(at(0, 12, 31), 1)),
        cursor(Cursor::time(at(10000, 1, 1), 1)),
        cursor(Cursor::time(at(2026, 1, 1), 0)),
        cursor(Cursor::time(at(2026, 1, 1), -9_223_372_036_854_775_808)),
        cursor(Cursor::id(0)),
        cursor(Cursor::text("a\0b", 1)),
        // NUL, which PostgreSQL cannot compare, and text too long for any parameter.
        v("\0", &[]),
        v("a\0", &[]),
        v(&"9".repeat(5000), &[]),
        v(&"é".repeat(3000), &[]),
    ]
}

/// The query parameters a route reads, with the query that makes it read them (a search page
/// applies filters only to a query). Routes not listed get `page` and `after`, which they must
/// ignore or refuse without a 5xx.
fn parameters(route: &str) -> (&'static str, Vec<(&'static str, Kind)>) {
    let listing = vec![("after", Cursor), ("page", ListPage)];
    let search = vec![
        ("q", Text),
        ("organization", Filter),
        ("category", Filter),
        ("region", Filter),
        ("from", Day),
        ("to", Day),
        ("page", SearchPage),
    ];
    match route {
        "public.home"
        | "public.organization"
        | "public.category"
        | "public.region"
        | "public.tag"
        | "public.archive" => ("", listing),
        "public.search" | "api.search" => ("q=wind", search),
        "api.releases" => (
            "",
            vec![
                ("organization", Filter),
                ("category", Filter),
                ("region", Filter),
                ("tag", Filter),
                ("from", Day),
                ("to", Day),
                ("after", Cursor),
                ("limit", Limit),
            ],
        ),
        "api.taxa" => ("", vec![("after", Cursor), ("limit", Limit)]),
        "admin.releases" => (
            "",
            vec![
                ("q", Words),
                ("organization", Number),
                ("author", Number),
                ("after", Cursor),
            ],
        ),
        "admin.audit" => (
            "",
            vec![
                ("action", Words),
                ("actor", Number),
                ("from", Day),
                ("to", Day),
                ("after", Cursor),
            ],
        ),
        "admin.release_compare" => ("", vec![("from", Revision), ("to", Revision)]),
        _ => ("", vec![("page", Ignored), ("after", Ignored)]),
    }
}

/// A path segment as a link would carry it: characters a path may hold as they are (so `+`
/// and `-` reach the handler), anything else percent-encoded.
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~+".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn query_pair(name: &str, value: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair(name, value)
        .finish()
}

/// One GET over its own connection; None if the server dropped it without an answer.
fn get(port: u16, target: &str, headers: &[(String, String)]) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    s.write_all(request.as_bytes()).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, text))
}

struct Walk {
    port: u16,
    anonymous: Vec<(String, String)>,
    staff_pages: Vec<(String, String)>,
    staff_api: Vec<(String, String)>,
    failures: Vec<String>,
    requests: usize,
}

impl Walk {
    fn headers(&self, route: &dateline_auth::RouteDef, target: &str) -> &[(String, String)] {
        match (route.permission, target.starts_with("/api/")) {
            (Permission::Public | Permission::SecondFactor, _) => &self.anonymous,
            (_, true) => &self.staff_api,
            (_, false) => &self.staff_pages,
        }
    }

    /// Sends one request and records what is wrong with the answer, if anything.
    fn check(&mut self, route: &dateline_auth::RouteDef, target: &str, kind: Kind, h: &Hostile) {
        self.requests += 1;
        let headers = self.headers(route, target).to_vec();
        let Some((status, raw)) = get(self.port, target, &headers) else {
            let shown: String = target.chars().take(200).collect();
            self.failures
                .push(format!("{shown}: the connection dropped without an answer"));
            return;
        };
        let valid = h.valid(kind);
        let ok = match kind {
            _ if status >= 500 => false,
            Ignored => true,
            Path => !(200..300).contains(&status) || valid,
            _ if valid => (200..300).contains(&status),
            _ => (400..500).contains(&status),
        };
        if !ok {
            let body: String = raw.chars().take(600).collect();
            let shown: String = target.chars().take(200).collect();
            self.failures.push(format!(
                "{shown} ({kind:?}, valid: {valid}): got {status}\n{body}"
            ));
            return;
        }
        // An API refusal of a date or a limit names the parameter, as problem+json.
        if target.starts_with("/api/") && status == 400 && matches!(kind, Day | Limit) {
            let name = target
                .split(['?', '&'])
                .next_back()
                .and_then(|p| p.split('=').next())
                .unwrap_or("");
            if !raw.contains(&format!("\"field\":\"{name}\"")) {
                self.failures.push(format!(
                    "{target}: the problem does not name `{name}`:\n{raw}"
                ));
            }
        }
    }

    fn route(&mut self, route: &dateline_auth::RouteDef, f: &Fixtures, values: &[Hostile]) {
        // Each path parameter in turn, the others filled with real values.
        let slots: Vec<&str> = route
            .path
            .split(['/', '.', '-'])
            .filter(|s| s.starts_with('{'))
            .collect();
        for slot in slots {
            for h in values {
                let path = concrete(&route.path.replace(slot, &segment(&h.value)), f);
                self.check(route, &path, Path, h);
            }
        }
        let path = concrete(route.path, f);
        let (base, params) = parameters(route.name);
        for (name, kind) in params {
            for h in values {
                // The base query's own parameter is replaced, not repeated.
                let mut pairs: Vec<String> = base
                    .split('&')
                    .filter(|p| !p.is_empty() && !p.starts_with(&format!("{name}=")))
                    .map(str::to_owned)
                    .collect();
                pairs.push(query_pair(name, &h.value));
                let target = format!("{path}?{}", pairs.join("&"));
                self.check(route, &target, kind, h);
            }
        }
    }
}

/// The newsroom of the demo, a published release with a tag, and the ids the routes name.
async fn newsroom(app: &crate::support::TestApp) -> (Fixtures, String) {
    dateline_web::demo::load(&mut app.conn(), app.state.clock.now()).unwrap();
    let (editor, contributor) = app.api_user("ed-hostile@example.com", Role::Editor);
    let admin = app.user("admin-hostile@example.com", Role::Admin);
    let admin_token = app.token(&admin, "write");
    let release = editor
        .publish_release(&json!({"headline": "Wind park opens", "organization": "oresund-windshare", "categories": ["energy"], "regions": ["europe"], "tags": ["hostile"]}))
        .await;
    let link = editor
        .json(
            "POST",
            &format!("/api/v1/releases/{release}/preview-links"),
            &json!({}),
        )
        .await;
    let fixtures = Fixtures {
        release,
        tag: "hostile".into(),
        user: contributor.id,
        token: dateline_storage::repo::tokens::list_api_tokens(
            &mut app.conn(),
            Some(contributor.id),
        )
        .unwrap()[0]
            .id,
        link: link.json()["id"].as_i64().unwrap_or(1),
        organization: dateline_storage::repo::organizations::get_by_slug(
            &mut app.conn(),
            "oresund-windshare",
        )
        .unwrap()
        .id,
        category: dateline_storage::repo::taxonomy::category_by_slug(&mut app.conn(), "energy")
            .unwrap()
            .id,
    };
    (fixtures, admin_token)
}

/// The real binary on the test's database, its log kept.
fn serve(app: &crate::support::TestApp, dir: &std::path::Path) -> (Server, u16) {
    let port = free_port();
    let url = crate::resilience::url_text(&app.db.url);
    let server = Server::start(
        dir,
        &[
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
        ],
        &[],
    );
    wait_for("readiness", || {
        get(port, "/healthz/ready", &[]).is_some_and(|(s, _)| s == 200)
    });
    (server, port)
}

http_tests! {
    async fn every_get_route_answers_hostile_values_with_a_4xx(app) {
        let (fixtures, admin_token) = newsroom(&app).await;
        let dir = tempfile::tempdir().unwrap();
        let (server, port) = serve(&app, dir.path());
        let base = format!("http://127.0.0.1:{port}");
        let staff = Client::new(&base);
        staff.login("admin-hostile@example.com", PASSWORD).await.assert_status(303);
        let session = staff.cookie("dateline_session").expect("a session");
        let json = ("Accept".to_owned(), "application/json".to_owned());
        let mut walk = Walk {
            port,
            anonymous: vec![json.clone()],
            staff_pages: vec![json.clone(), ("Cookie".into(), format!("dateline_session={session}"))],
            staff_api: vec![json, ("Authorization".into(), format!("Bearer {admin_token}"))],
            failures: Vec::new(),
            requests: 0,
        };
        let values = hostile();
        for route in ROUTES.iter().filter(|r| r.method == Method::Get) {
            walk.route(route, &fixtures, &values);
        }
        assert!(walk.requests > 1000, "the walk covered {} requests", walk.requests);
        assert!(walk.failures.is_empty(), "{} of {} answers were wrong:\n{}", walk.failures.len(), walk.requests, walk.failures.join("\n\n"));
        let log = server.log();
        assert!(!log.contains("panicked"), "the server panicked:\n{log}");
    }

    async fn the_reported_cases_are_400s_naming_the_parameter(app) {
        dateline_web::demo::load(&mut app.conn(), app.state.clock.now()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (server, port) = serve(&app, dir.path());
        let html = [("Accept".to_owned(), "text/html".to_owned())];
        // Verbatim from the report: `+` in a query is a space, so the first two reach the
        // server as " 262142-12-31", which chrono reads as year 262142.
        for (target, parameter) in [
            ("/api/v1/releases?to=+262142-12-31", "to"),
            ("/api/v1/releases?to=%2B262142-12-31", "to"),
            ("/api/v1/releases?from=-262143-01-01", "from"),
            ("/api/v1/releases?from=-4714-01-01", "from"),
            ("/api/v1/search?q=a&to=+262142-12-31", "to"),
            ("/api/v1/releases?limit=18446744073709551616", "limit"),
        ] {
            let (status, raw) = get(port, target, &[]).unwrap_or_else(|| panic!("{target}: dropped"));
            assert_eq!(status, 400, "{target}:\n{raw}");
            assert!(raw.contains("application/problem+json"), "{target}:\n{raw}");
            assert!(raw.contains(&format!("\"field\":\"{parameter}\"")), "{target}:\n{raw}");
            assert!(raw.contains("is not a date") || parameter == "limit", "{target}:\n{raw}");
        }
        let (status, raw) = get(port, "/search?q=a&to=+262142-12-31", &html).unwrap();
        assert_eq!(status, 400, "{raw}");
        assert!(raw.contains("is not a date") && raw.contains("name=\"q\""), "the search page says so, form and all:\n{raw}");
        // A sitemap page past the last is not there, however far past.
        for page in ["9223372036854775807", "9223372036854775808", "2", "0", "-1"] {
            let (status, _) = get(port, &format!("/sitemaps/releases-{page}.xml"), &html).unwrap();
            assert_eq!(status, 404, "{page}");
        }
        assert_eq!(get(port, "/sitemaps/releases-1.xml", &html).unwrap().0, 200);
        // The valid extremes are answered: the last day of 9999 is the open end of a range.
        let (status, raw) = get(port, "/api/v1/releases?from=0001-01-01&to=9999-12-31", &[]).unwrap();
        assert_eq!(status, 200, "{raw}");
        let all = raw.split("\r\n\r\n").nth(1).unwrap_or("");
        assert!(all.contains("\"headline\""), "every release is between year 1 and 9999:\n{raw}");
        assert_eq!(get(port, "/archive/9999/12", &html).unwrap().0, 200);
        assert_eq!(get(port, "/archive/1970/01", &html).unwrap().0, 200);
        assert!(!server.log().contains("panicked"), "{}", server.log());
    }

    // NUL in a body is refused where the body is read, on every kind of body: a sign-in form, a
    // release and a taxonomy in JSON, and a workflow action's JSON. PostgreSQL cannot look text
    // with NUL up at all (it was a 500 there), so both backends answer the same 400 naming the
    // field, and nothing is written.
    async fn nul_in_bodies_is_a_400_naming_the_field(app) {
        app.user("ana@example.com", Role::Editor);
        let c = app.client();
        let token = c.get("/login").await.csrf();
        let r = c.post_form("/login", &[("csrf_token", token.as_str()), ("email", "ana\0@example.com"), ("password", "x")]).await;
        r.assert_status(400);
        assert!(r.text().contains("\"email\""), "{}", r.text());
        let (api, _) = app.api_user("ed@example.com", Role::Editor);
        for (body, field) in [
            (json!({"headline": "Harbor\u{0}opens", "language": "en"}), "headline"),
            (json!({"headline": "Harbor opens", "organization": "acme\u{0}"}), "organization"),
            (json!({"headline": "Harbor opens", "dateline": {"city": "LISBON\u{0}"}}), "dateline.city"),
            (json!({"headline": "Harbor opens", "tags": ["ok", "b\u{0}d"]}), "tags"),
        ] {
            let r = api.json("POST", "/api/v1/releases", &body).await;
            r.assert_status(400);
            assert!(r.body.contains(&format!("\\\"{field}\\\"")), "{field}: {}", r.body);
        }
        let r = api.json("POST", "/api/v1/categories", &json!({"name": "Ener\u{0}gy"})).await;
        r.assert_status(400);
        let made = api.json("POST", "/api/v1/releases", &json!({"headline": "Harbor opens", "language": "en"})).await;
        made.assert_status(201);
        let id = made.json()["id"].as_str().unwrap().to_owned();
        let r = api.json("POST", &format!("/api/v1/releases/{id}/send-back"), &json!({"comment": "not yet\u{0}"})).await;
        r.assert_status(400);
        assert!(r.body.contains("\\\"comment\\\""), "{}", r.body);
        // Nothing of it was written: one release, still a draft, no category.
        let list = api.get("/api/v1/releases?status=draft").await;
        assert_eq!(list.json()["items"].as_array().map(Vec::len), Some(1), "{}", list.body);
        assert!(api.get("/api/v1/categories").await.json()["items"].as_array().is_some_and(Vec::is_empty));
    }
}
