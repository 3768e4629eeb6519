//! Webhooks, end to end: an admin registers a receiver that this test starts on loopback, and
//! the receiver hears of publications, corrections and withdrawals, signed, retried after a
//! failure, never before an embargo lifts, and only once the admin allowed the private address.

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::Duration;
use dateline_auth::webhook_signature;
use dateline_core::Role;
use dateline_storage::repo::webhooks;
use serde_json::{Value, json};

use crate::http_tests;
use crate::support::client::field_value;
use crate::support::{Client, TestApp};

/// What the receiver got: the signature header, the event header and the body.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event: String,
    body: String,
}

/// A receiver on a free loopback port. It answers each request with the next status in
/// `script`, and 200 once the script is used up.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    /// Sent as `Location` with every answer, for redirect tests.
    location: Arc<Mutex<String>>,
}

/// A TCP listener on loopback that only counts the connections it accepts.
async fn counting_listener() -> (Arc<std::sync::atomic::AtomicUsize>, u16) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    actix_web::rt::spawn(async move {
        while let Ok((_socket, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    (count, port)
}

impl Receiver {
    fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/dateline", listener.local_addr().unwrap());
        let shared = receiver.clone();
        let server = HttpServer::new(move || {
            let r = shared.clone();
            App::new().route(
                "/hooks/dateline",
                web::post().to(move |req: HttpRequest, body: String| {
                    let r = r.clone();
                    async move {
                        let header = |n: &str| {
                            req.headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_owned()
                        };
                        r.got.lock().unwrap().push(Received {
                            signature: header("Dateline-Signature"),
                            event: header("Dateline-Event"),
                            body,
                        });
                        let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
                        let location = r.location.lock().unwrap().clone();
                        let mut answer = HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).unwrap(),
                        );
                        if !location.is_empty() {
                            answer.insert_header(("Location", location));
                        }
                        answer.body("receiver says hello")
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        actix_web::rt::spawn(server);
        (receiver, url)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn deliveries(app: &TestApp) -> Vec<webhooks::Delivery> {
    let mut conn = app.conn();
    let mut all = Vec::new();
    for hook in webhooks::list(&mut conn).unwrap() {
        all.extend(webhooks::deliveries(&mut conn, hook.id, 100).unwrap());
    }
    all
}

/// Registers `url` on the admin page and returns the endpoint's page address and its secret.
async fn register(admin: &Client, url: &str, allow_private: bool) -> (String, String) {
    let mut fields = vec![
        ("url", url),
        ("description", "Our wire desk"),
        ("events", "release.published"),
        ("events", "release.corrected"),
        ("events", "release.withdrawn"),
        ("active", "true"),
    ];
    if allow_private {
        fields.push(("allow_private", "true"));
    }
    let made = admin
        .submit("/admin/webhooks", "/admin/webhooks", &fields)
        .await;
    made.assert_status(303);
    let page = made.location().split('?').next().unwrap().to_owned();
    let shown = admin.get(&page).await;
    shown.assert_status(200);
    let secret = shown
        .body
        .split("id=\"signing-secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        secret.starts_with("whsec_"),
        "the secret is shown to the admin"
    );
    (page, secret)
}

fn verify(secret: &str, got: &Received) -> Value {
    let now = chrono::Utc::now().timestamp();
    // The app's clock is moved forward in these tests; the signature carries the app's time.
    assert!(
        webhook_signature::verify(secret, &got.signature, got.body.as_bytes(), now, 86_400),
        "a valid signature: {}",
        got.signature
    );
    assert!(
        !webhook_signature::verify(secret, &got.signature, b"{}", now, 86_400),
        "the signature covers the body"
    );
    serde_json::from_str(&got.body).unwrap()
}

http_tests! {
    async fn events_reach_a_receiver_signed_and_after_the_embargo(app) {
        let (receiver, url) = Receiver::start();
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let (_page, secret) = register(&admin, &url, true).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let made = editor.json("POST", "/api/v1/releases", &json!({"headline": "Harbour opens", "body": "Body."})).await;
        made.assert_status(201);
        let id = made.json()["id"].as_str().unwrap().to_owned();

        // Approved under embargo: nothing is owed, let alone sent.
        let embargo = app.state.clock.now() + Duration::hours(2);
        editor.json("POST", &format!("/api/v1/releases/{id}/approve"), &json!({"embargo_at": embargo.to_rfc3339()})).await.assert_status(200);
        // Deliveries are written with the change that owes them, so none exists now.
        assert!(deliveries(&app).is_empty(), "no event before the embargo lifts");

        // The embargo lifts: the scheduler publishes and the receiver hears of it.
        app.state.clock.advance(Duration::hours(2) + Duration::seconds(1));
        let r = receiver.clone();
        app.eventually("the published event", move |_| r.received().len() == 1).await;
        let got = &receiver.received()[0];
        assert_eq!(got.event, "release.published");
        let body = verify(&secret, got);
        assert_eq!(body["event"], "release.published");
        assert_eq!(body["release"]["id"], id.as_str());
        assert_eq!(body["release"]["headline"], "Harbour opens");
        assert_eq!(body["release"]["status"], "published");
        let page_url = body["release"]["url"].as_str().unwrap();
        assert!(page_url.starts_with(&app.base) && page_url.contains(&id), "{page_url}");
        app.client().get(page_url.trim_start_matches(&app.base)).await.assert_status(200);

        // A correction and a withdrawal follow, each with what readers see.
        editor.json("POST", &format!("/api/v1/releases/{id}/corrections"), &json!({"note": "The opening hour was wrong."})).await.assert_status(200);
        let r = receiver.clone();
        app.eventually("the corrected event", move |_| r.received().len() == 2).await;
        let corrected = verify(&secret, &receiver.received()[1]);
        assert_eq!(corrected["event"], "release.corrected");
        assert_eq!(corrected["release"]["correction_note"], "The opening hour was wrong.");
        editor.json("POST", &format!("/api/v1/releases/{id}/withdraw"), &json!({"reason": "Issued in error."})).await.assert_status(200);
        let r = receiver.clone();
        app.eventually("the withdrawn event", move |_| r.received().len() == 3).await;
        let withdrawn = verify(&secret, &receiver.received()[2]);
        assert_eq!(withdrawn["event"], "release.withdrawn");
        assert_eq!(withdrawn["release"]["withdrawal_reason"], "Issued in error.");
        // Each attempt is logged once the receiver's answer is in.
        app.eventually("every delivery logged as delivered", |a| {
            let all = deliveries(a);
            all.len() == 3 && all.iter().all(|d| d.state == "delivered" && d.last_status == Some(200))
        }).await;
    }

    async fn a_failed_delivery_is_retried_and_logged(app) {
        let (receiver, url) = Receiver::start();
        receiver.script.lock().unwrap().push_back(503);
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let (page, secret) = register(&admin, &url, true).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        editor.publish_release(&json!({"headline": "Ferry timetable", "body": "Body."})).await;

        // The receiver fails once: the log shows its status, and the delivery waits a minute.
        app.eventually("the first attempt", |a| deliveries(a).first().is_some_and(|d| d.attempts == 1)).await;
        let first = deliveries(&app).remove(0);
        assert_eq!((first.state.as_str(), first.last_status), ("pending", Some(503)));
        assert!(first.next_attempt_at > app.state.clock.now() + Duration::seconds(50));
        let log = admin.get(&page).await;
        assert!(log.body.contains("503") && log.body.contains("receiver says hello"), "the status and the answer are logged");

        // A minute later it is tried again, and delivered.
        app.state.clock.advance(Duration::seconds(61));
        app.eventually("the retry", |a| deliveries(a).first().is_some_and(|d| d.state == "delivered")).await;
        let got = receiver.received();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].body, got[1].body, "a retry sends the same event");
        verify(&secret, &got[1]);
        let tries = webhooks::attempts(&mut app.conn(), first.id).unwrap();
        assert_eq!(tries.iter().map(|t| t.status).collect::<Vec<_>>(), vec![Some(503), Some(200)]);
        let log = admin.get(&page).await;
        assert!(log.body.contains("delivered"));
    }

    async fn private_addresses_need_an_admins_permission(app) {
        let (receiver, url) = Receiver::start();
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let (page, _) = register(&admin, &url, false).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        let id = editor.publish_release(&json!({"headline": "Bridge closes", "body": "Body."})).await;

        // Loopback is refused before any connection is made.
        app.eventually("the refused attempt", |a| deliveries(a).first().is_some_and(|d| d.attempts == 1)).await;
        let refused = deliveries(&app).remove(0);
        assert_eq!(refused.last_status, None);
        assert!(refused.last_error.contains("not a public address"), "{}", refused.last_error);
        assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");

        // The admin allows the host, then sends the delivery again from the log.
        let form = admin.get(&page).await;
        let token = form.csrf();
        admin.post_form(&page, &[("csrf_token", &token), ("url", &url), ("events", "release.published"), ("active", "true"), ("allow_private", "true")]).await.assert_status(303);
        let resend = format!("{page}/deliveries/{}/resend", refused.id);
        admin.post_form(&resend, &[("csrf_token", &token)]).await.assert_status(303);
        let r = receiver.clone();
        app.eventually("the delivery after the host was allowed", move |_| r.received().len() == 1).await;

        // Names that resolve to a private address are refused like literal ones.
        let named = url.replace("127.0.0.1", "localhost");
        let (named_page, _) = register(&admin, &named, false).await;
        editor.json("POST", &format!("/api/v1/releases/{id}/corrections"), &json!({"note": "Typo."})).await.assert_status(200);
        let hook: i64 = named_page.rsplit('/').next().unwrap().parse().unwrap();
        app.eventually("the refused named host", move |a| {
            webhooks::deliveries(&mut a.conn(), hook, 10).unwrap().first().is_some_and(|d| d.attempts == 1)
        }).await;
        let d = webhooks::deliveries(&mut app.conn(), hook, 10).unwrap().remove(0);
        assert!(d.last_error.contains("not a public address"), "{}", d.last_error);
    }

    // SECURITY.md X6: a listener on loopback counts connections while deliveries try every
    // spelling of a loopback address, and an allowed receiver that redirects to it.
    async fn outbound_requests_never_reach_a_private_address_unasked(app) {
        let (counter, port) = counting_listener().await;
        let (redirector, redirector_url) = Receiver::start();
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let spellings = [
            format!("http://127.0.0.1:{port}/"),
            format!("http://[::ffff:127.0.0.1]:{port}/"),
            format!("http://2130706433:{port}/"),
            format!("http://[::1]:{port}/"),
            format!("http://localhost:{port}/"),
        ];
        for url in &spellings {
            register(&admin, url, false).await;
        }
        // Allowed, and answers with a redirect to the counting listener.
        redirector.script.lock().unwrap().push_back(307);
        *redirector.location.lock().unwrap() = format!("http://127.0.0.1:{port}/");
        register(&admin, &redirector_url, true).await;
        let (editor, _) = app.api_user("ed@example.com", Role::Editor);
        editor.publish_release(&json!({"headline": "Tunnel opens", "body": "Body."})).await;
        app.eventually("every endpoint's first attempt", |a| {
            let all = deliveries(a);
            all.len() == spellings.len() + 1 && all.iter().all(|d| d.attempts == 1)
        }).await;
        assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 0, "no connection reached the loopback listener");
        for d in deliveries(&app) {
            if d.last_status == Some(307) {
                assert!(d.last_error.contains("redirects are not followed"), "{}", d.last_error);
                assert_eq!(d.state, "pending", "a redirect is not a delivery");
            } else {
                assert_eq!(d.last_status, None);
                assert!(d.last_error.contains("not a public address"), "{}", d.last_error);
            }
        }
        assert_eq!(redirector.received().len(), 1);
    }

    async fn endpoint_forms_name_what_is_wrong_and_only_admins_see_them(app) {
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let page = admin.get("/admin/webhooks").await;
        let token = page.csrf();
        let bad = admin.post_form("/admin/webhooks", &[("csrf_token", &token), ("url", "ftp://files.example.com/in"), ("description", "Kept as typed")]).await;
        bad.assert_status(422);
        assert!(bad.body.contains("Only https:// and http:// addresses"), "{}", bad.body);
        assert!(bad.body.contains("Choose at least one event"));
        assert_eq!(field_value(&bad.body, "url").as_deref(), Some("ftp://files.example.com/in"), "what was typed is kept");
        assert!(bad.body.contains("value=\"Kept as typed\""));
        assert!(webhooks::list(&mut app.conn()).unwrap().is_empty(), "nothing was stored");
        let no_token = admin.post_form("/admin/webhooks", &[("url", "https://hooks.example.com/"), ("events", "release.published")]).await;
        assert_eq!(no_token.status, 403);
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        assert_eq!(editor.get("/admin/webhooks").await.status, 403);

        // Deleting an endpoint takes its log with it, and is audited.
        let (endpoint, _) = register(&admin, "https://hooks.example.com/in", false).await;
        let form = admin.get(&endpoint).await;
        admin.post_form(&format!("{endpoint}/delete"), &[("csrf_token", &form.csrf())]).await.assert_status(303);
        assert!(webhooks::list(&mut app.conn()).unwrap().is_empty());
        assert_eq!(admin.get(&endpoint).await.status, 404);
    }
}
