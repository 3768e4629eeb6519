//! Guessing under concurrency (issue 9): limits that hold when many attempts arrive at once,
//! what a failed sign-in leaves behind, secrets at rest, and the last active admin.

use chrono::Duration;
use dateline_core::Role;
use dateline_storage::PageRequest;
use dateline_storage::repo::audit::{self, AuditFilter};
use dateline_storage::repo::{throttle, users};
use dateline_storage::testdb::TestDatabase;
use dateline_web::routes::auth::attempts::{account_key, address_key, second_factor_key};
use futures_util::future::join_all;

use crate::http_tests;
use crate::support::{Client, PASSWORD, TestApp};

fn failures(app: &TestApp, key: &str) -> u32 {
    throttle::failures(&mut app.conn(), key).unwrap()
}

/// Sorts responses into (401s, 429s, anything else as "status: body").
fn tally(responses: &[crate::support::client::Response]) -> (usize, usize, Vec<String>) {
    let mut other = Vec::new();
    let (mut unauthorized, mut too_many) = (0, 0);
    for r in responses {
        match r.status {
            401 => unauthorized += 1,
            429 => {
                assert!(
                    r.header("retry-after")
                        .is_some_and(|v| v.parse::<u64>().is_ok_and(|s| s >= 1))
                );
                too_many += 1;
            }
            s => other.push(format!(
                "{s}: {}",
                r.body.chars().take(200).collect::<String>()
            )),
        }
    }
    (unauthorized, too_many, other)
}

/// A client that has fetched the sign-in form, and the token to post with it.
async fn login_form(app: &TestApp) -> (Client, String) {
    let c = app.client();
    let form = c.get("/login").await;
    form.assert_status(200);
    let token = form.csrf();
    (c, token)
}

http_tests! {
    // 60 wrong passwords for one account at once: at most the free allowance is checked against
    // the password (a 401 is the only answer that follows a check), the rest are 429 without
    // argon2 work, none fails, and the counters hold exact numbers: the account's counts the
    // five attempts it let past the first gate (refused ones are not counted); the address's the
    // twenty it let through before its own lock (every attempt from it counts there first).
    async fn concurrent_wrong_passwords_are_limited(app) {
        app.user("ana@example.com", Role::Editor);
        app.state.clock.stop();
        let forms = join_all((0..60).map(|_| login_form(&app))).await;
        let responses = join_all(forms.iter().map(|(c, token)| async move {
            c.post_form("/login", &[("csrf_token", token.as_str()), ("email", "ana@example.com"), ("password", "wrong password here")]).await
        }))
        .await;
        let (checked, refused, other) = tally(&responses);
        assert!(other.is_empty(), "{other:?}");
        // Usually fewer than five: an attempt that finds, once a hashing thread is free, that
        // later attempts have locked its counters meanwhile is refused too.
        assert!(checked <= 5, "{checked} attempts were checked");
        assert_eq!(checked + refused, 60);
        assert_eq!(failures(&app, &account_key(&app.state.key, "ana@example.com")), 5);
        assert_eq!(failures(&app, &address_key("127.0.0.1")), 20);
        // The right password still works once the (short) locks end, and clears the account.
        app.state.clock.advance(Duration::seconds(2));
        app.client().login("ana@example.com", PASSWORD).await.assert_status(303);
        assert_eq!(failures(&app, &account_key(&app.state.key, "ana@example.com")), 0);
        assert_eq!(failures(&app, &address_key("127.0.0.1")), 20, "a success takes back only its own count");
        // ... and lifts the lock it set in case it failed, so the next person at the same
        // address signs in too.
        app.client().login("ana@example.com", PASSWORD).await.assert_status(303);
        app.user("bo@example.com", Role::Editor);
        app.client().login("bo@example.com", PASSWORD).await.assert_status(303);
        assert_eq!(failures(&app, &address_key("127.0.0.1")), 20);
    }

    // The same for second-factor codes: 60 wrong codes at once from a half-signed-in session.
    async fn concurrent_wrong_codes_are_limited(app) {
        let (c, ana) = app.signed_in("ana@example.com", Role::Editor).await;
        let secret = app.enable_two_factor(&c).await;
        app.state.clock.advance(Duration::seconds(31));
        app.state.clock.stop();
        let b = app.client();
        b.login("ana@example.com", PASSWORD).await.assert_status(303);
        let form = b.get("/login/two-factor").await;
        form.assert_status(200);
        let token = form.csrf();
        let now = app.state.clock.now().timestamp() as u64;
        let valid: Vec<String> = [now - 30, now, now + 30].iter().map(|t| dateline_auth::totp::code_at(&secret, *t).unwrap()).collect();
        let wrong = (0..1_000_000).map(|n| format!("{n:06}")).find(|c| !valid.contains(c)).unwrap();
        let (b, token, wrong) = (&b, &token, &wrong);
        let responses = join_all((0..60).map(|_| async move { b.post_form("/login/two-factor", &[("csrf_token", token.as_str()), ("code", wrong.as_str())]).await })).await;
        let (checked, refused, other) = tally(&responses);
        assert!(other.is_empty(), "{other:?}");
        assert!(checked <= 5, "{checked} codes were checked");
        assert_eq!(checked + refused, 60);
        assert_eq!(failures(&app, &second_factor_key(ana.id)), 5);
        // The right code is refused while locked, and works after.
        let right = dateline_auth::totp::code_at(&secret, now).unwrap();
        b.post_form("/login/two-factor", &[("csrf_token", token.as_str()), ("code", right.as_str())]).await.assert_status(429);
        app.state.clock.advance(Duration::seconds(2));
        let right = dateline_auth::totp::code_at(&secret, app.state.clock.now().timestamp() as u64).unwrap();
        b.post_form("/login/two-factor", &[("csrf_token", token.as_str()), ("code", right.as_str())]).await.assert_status(303);
        assert_eq!(failures(&app, &second_factor_key(ana.id)), 0);
    }

    // IPv6 clients are limited per /64: a subscriber's other addresses share its counter, another
    // network does not. The audit log still shows the full address.
    async fn ipv6_clients_share_a_limit_per_64(app) {
        let proxied = TestApp::start(TestDatabase::attach(&app.db.url).unwrap(), &[("DATELINE_TRUSTED_PROXIES", "127.0.0.1")]).await;
        proxied.state.clock.stop();
        let from = |addr: &str| {
            let c = proxied.client();
            c.with_header("X-Forwarded-For", addr);
            c
        };
        let first = from("2001:db8:1:2::a");
        for i in 0..20 {
            assert_eq!(first.login(&format!("user{i}@example.com"), "wrong password here").await.status, 401, "attempt {i}");
        }
        from("2001:db8:1:2:ffff:ffff:ffff:b").login("user99@example.com", "wrong password here").await.assert_status(429);
        from("2001:db8:1:3::c").login("user99@example.com", "wrong password here").await.assert_status(401);
        assert_eq!(failures(&app, &address_key("2001:db8:1:2::1")), 20);
        let rows = audit::list(&mut app.conn(), &AuditFilter::default(), &PageRequest::first(1)).unwrap().items;
        assert_eq!(rows[0].ip, "2001:db8:1:3::c");
    }

    // A password typed into the email field is kept nowhere: not in the audit log, not in the
    // throttle table. Failures for real accounts still name them.
    async fn a_failed_sign_in_keeps_no_typed_email(app) {
        app.user("ana@example.com", Role::Editor);
        let typed = "Correct Horse Battery 77";
        app.client().login(typed, "something else").await.assert_status(401);
        app.client().login("ana@example.com", "wrong password here").await.assert_status(401);
        let rows = audit::list(&mut app.conn(), &AuditFilter::default(), &PageRequest::first(100)).unwrap().items;
        assert_eq!(rows.len(), 2);
        let lowered = typed.to_lowercase();
        for r in &rows {
            let all = format!("{} {} {} {}", r.actor_label, r.object_id, r.detail, r.request_id).to_lowercase();
            assert!(!all.contains(&lowered) && !all.contains("correct horse"), "{r:?}");
        }
        assert_eq!(rows[1].actor_label, "(unknown account)");
        assert_eq!(rows[0].actor_label, "ana@example.com");
        use diesel::prelude::*;
        let keys: Vec<String> = dateline_storage::schema::login_throttle::table
            .select(dateline_storage::schema::login_throttle::key)
            .load(&mut app.conn())
            .unwrap();
        assert!(!keys.is_empty());
        for k in keys {
            assert!(!k.to_lowercase().contains("correct") && !k.contains("ana@"), "{k}");
        }
    }

    // TOTP secrets are stored sealed, bound to their account; an old plaintext secret still works.
    async fn totp_secrets_are_sealed_at_rest(app) {
        let (c, ana) = app.signed_in("ana@example.com", Role::Editor).await;
        let secret = app.enable_two_factor(&c).await;
        let stored = users::credentials(&mut app.conn(), ana.id).unwrap().totp_secret.unwrap();
        assert!(stored.starts_with("v1:") && !stored.contains(&secret), "{stored}");
        assert_eq!(dateline_web::totp_secrets::open(&app.state.key, ana.id, &stored).as_deref(), Some(secret.as_str()));
        assert_eq!(dateline_web::totp_secrets::open(&app.state.key, ana.id + 1, &stored), None, "bound to its account");

        // A secret stored before sealing existed keeps working.
        let bo = app.user("bo@example.com", Role::Editor);
        let plain = dateline_auth::totp::new_secret();
        users::set_totp(&mut app.conn(), bo.id, Some(&plain), true, None).unwrap();
        let b = app.client();
        b.login("bo@example.com", PASSWORD).await.assert_status(303);
        let now = app.state.clock.now().timestamp() as u64;
        b.submit("/login/two-factor", "/login/two-factor", &[("code", &dateline_auth::totp::code_at(&plain, now).unwrap())]).await.assert_status(303);
        // Start-up seals it.
        let sealed = dateline_web::totp_secrets::seal_plaintext(&mut app.conn(), &app.state.key).unwrap();
        assert_eq!(sealed, 1);
        let stored = users::credentials(&mut app.conn(), bo.id).unwrap().totp_secret.unwrap();
        assert!(stored.starts_with("v1:") && !stored.contains(&plain));
        assert_eq!(dateline_web::totp_secrets::open(&app.state.key, bo.id, &stored).as_deref(), Some(plain.as_str()));
    }

    // Two admins demoting each other at the same moment: one change wins, the other is refused,
    // and an active admin always remains. Several rounds, to give a race every chance to show.
    async fn the_last_admin_survives_a_race(app) {
        for round in 0..4 {
            let (a, a_user) = app.signed_in(&format!("a{round}@example.com"), Role::Admin).await;
            let (b, b_user) = app.signed_in(&format!("b{round}@example.com"), Role::Admin).await;
            // Only these two are active admins in this round.
            for u in users::all(&mut app.conn()).unwrap() {
                if u.role == Role::Admin && u.id != a_user.id && u.id != b_user.id {
                    users::update(&mut app.conn(), u.id, u.revision, &users::UserUpdate { display_name: u.display_name.clone(), role: Role::Editor, disabled: false, time_zone: None }).unwrap();
                }
            }
            let form_a = a.get(&format!("/admin/users/{}", b_user.id)).await;
            let form_b = b.get(&format!("/admin/users/{}", a_user.id)).await;
            let (ta, tb) = (form_a.csrf(), form_b.csrf());
            let (ra, rb) = (b_user.revision.to_string(), a_user.revision.to_string());
            let (pa, pb) = (format!("/admin/users/{}", b_user.id), format!("/admin/users/{}", a_user.id));
            let demote = |c: &Client, path: &str, token: &str, name: &str, revision: &str| {
                let (c, path, token, name, revision) = (c.clone(), path.to_owned(), token.to_owned(), name.to_owned(), revision.to_owned());
                async move { c.post_form(&path, &[("csrf_token", token.as_str()), ("display_name", name.as_str()), ("role", "editor"), ("revision", revision.as_str())]).await }
            };
            let (x, y) = futures_util::future::join(demote(&a, &pa, &ta, "B", &ra), demote(&b, &pb, &tb, "A", &rb)).await;
            assert!(x.status < 500 && y.status < 500, "{} {}", x.status, y.status);
            let admins = users::count_admins(&mut app.conn()).unwrap();
            assert!(admins >= 1, "round {round}: no active admin left ({} and {})", x.status, y.status);
        }
    }
}
