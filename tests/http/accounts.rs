//! Accounts, sessions, permissions and the audit log: `docs/security.md` A1–A6, S1–S6, C1–C5, Z1–Z3,
//! Z7, Z9 and L1–L4, through the real app over HTTP.

use chrono::Duration;
use dateline_core::Role;
use dateline_storage::PageRequest;
use dateline_storage::repo::audit::{self, Actor, AuditAction, AuditFilter, Entry, Outcome};
use dateline_storage::repo::users;

use crate::http_tests;
use crate::support::client::{field_value, unescape};
use crate::support::{Client, PASSWORD, TestApp};

fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    let page = audit::list(
        &mut app.conn(),
        &AuditFilter::default(),
        &PageRequest::first(100),
    )
    .unwrap();
    page.items
        .into_iter()
        .rev()
        .map(|r| (r.action, r.result, r.ip))
        .collect()
}

fn stored_hash(app: &TestApp, email: &str) -> String {
    users::credentials_by_email(&mut app.conn(), email)
        .unwrap()
        .unwrap()
        .password_hash
}

/// The TOTP code for an account's stored secret at the app's current time.
fn totp_code(app: &TestApp, email: &str, offset_steps: i64) -> String {
    let creds = users::credentials_by_email(&mut app.conn(), email)
        .unwrap()
        .unwrap();
    let t = app.state.clock.now().timestamp() + offset_steps * 30;
    let secret = dateline_web::totp_secrets::open(
        &app.state.key,
        creds.user.id,
        &creds.totp_secret.unwrap(),
    )
    .unwrap();
    dateline_auth::totp::code_at(&secret, t as u64).unwrap()
}

/// Enrols two-factor sign-in for the signed-in account and returns the recovery codes shown.
/// The pending secret is read from the enrolment page, as an authenticator app would scan it.
async fn enrol_two_factor(app: &TestApp, c: &Client, email: &str) -> Vec<String> {
    let page = c.get("/account/two-factor").await;
    page.assert_status(200);
    let secret = field_value(&page.body, "secret").expect("pending secret on the page");
    let issued = field_value(&page.body, "issued").expect("issue time on the page");
    let mac = field_value(&page.body, "secret_mac").expect("secret binding on the page");
    // Showing the page stores nothing: enrolment is only pending in the form.
    let creds = users::credentials_by_email(&mut app.conn(), email)
        .unwrap()
        .unwrap();
    assert!(creds.totp_secret.is_none() && !creds.totp_enabled);
    let t = app.state.clock.now().timestamp() as u64;
    let code = dateline_auth::totp::code_at(&secret, t).unwrap();
    let done = c
        .submit(
            "/account/two-factor",
            "/account/two-factor",
            &[
                ("code", &code),
                ("secret", &secret),
                ("issued", &issued),
                ("secret_mac", &mac),
                ("password", PASSWORD),
            ],
        )
        .await;
    done.assert_status(200);
    assert!(done.body.contains("recovery codes"));
    done.body
        .split("<li>")
        .skip(1)
        .filter_map(|s| s.split("</li>").next())
        .filter(|s| s.len() == 14 && s.matches('-').count() == 2)
        .map(str::to_owned)
        .collect()
}

http_tests! {
    // A1: argon2id with OWASP parameters, and a weaker stored hash is upgraded at sign-in.
    async fn passwords_are_argon2id_and_rehashed(app) {
        app.user("ana@example.com", Role::Editor);
        let h = stored_hash(&app, "ana@example.com");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        use argon2::{Argon2, Algorithm, Version, Params, PasswordHasher};
        let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 1, 1, None).unwrap()).hash_password(PASSWORD.as_bytes()).unwrap().to_string();
        let id = users::find_by_email(&mut app.conn(), "ana@example.com").unwrap().unwrap().id;
        users::set_password_hash(&mut app.conn(), id, &weak).unwrap();
        app.client().login("ana@example.com", PASSWORD).await.assert_status(303);
        let upgraded = stored_hash(&app, "ana@example.com");
        assert_ne!(upgraded, weak);
        assert!(upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    // A2: length only, long passwords whole, common ones refused, changes need the current one.
    async fn the_password_policy(app) {
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let create = |email: &'static str, pw: String| {
            let admin = admin.clone();
            async move { admin.submit("/admin/users", "/admin/users", &[("email", email), ("name", "N"), ("role", "contributor"), ("password", &pw), ("confirm", &pw)]).await }
        };
        let short = create("a@example.com", "aaaaaaaaaaa".into()).await;
        short.assert_status(422);
        assert!(short.body.contains("at least 12"));
        create("b@example.com", "password1234".into()).await.assert_status(422);
        let long: String = "correct horse ".repeat(10);
        assert_eq!(long.len(), 140);
        create("c@example.com", long.clone()).await.assert_status(303);
        assert_eq!(app.client().login("c@example.com", &long).await.status, 303);
        assert_eq!(app.client().login("c@example.com", &long[..long.len() - 1]).await.status, 401, "no truncation");

        let (c, _) = app.signed_in("d@example.com", Role::Contributor).await;
        let wrong = c.submit("/account", "/account/password", &[("current", "not my password"), ("password", "a brand new passphrase"), ("confirm", "a brand new passphrase")]).await;
        wrong.assert_status(422);
        assert!(wrong.body.contains("current password is not right"));
        assert_eq!(app.client().login("d@example.com", "a brand new passphrase").await.status, 401);
    }

    // A3: per-account and per-address throttling, 429 with Retry-After, a lock that ends.
    async fn login_throttling(app) {
        // The clock stands still, so a one-second lock cannot run out on a busy machine before
        // the next attempt arrives; the test moves it on by hand.
        app.state.clock.stop();
        app.user("ana@example.com", Role::Editor);
        let c = app.client();
        for i in 1..=5 {
            assert_eq!(c.login("ana@example.com", "wrong password here").await.status, 401, "attempt {i}");
        }
        let locked = c.login("ana@example.com", "wrong password here").await;
        locked.assert_status(429);
        let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
        assert!(retry >= 1);
        // The right password does not get through a lock, and another address is locked too.
        c.login("ana@example.com", PASSWORD).await.assert_status(429);
        let other = Client::from_address(&app.base, "127.0.0.2".parse().unwrap());
        other.login("ana@example.com", PASSWORD).await.assert_status(429);
        // Locks always end.
        app.state.clock.advance(Duration::seconds(retry as i64 + 1));
        c.login("ana@example.com", PASSWORD).await.assert_status(303);
        let actions: Vec<String> = audit_actions(&app).into_iter().map(|a| a.0).collect();
        assert!(actions.contains(&"lockout".to_owned()) && actions.contains(&"login_failed".to_owned()) && actions.contains(&"login_ok".to_owned()));
    }

    // A stolen session cannot guess the password faster than the sign-in form allows: wrong
    // current passwords count against the same lock, and the right one cannot get through it.
    async fn re_entering_the_password_is_throttled(app) {
        app.state.clock.stop();
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        let change = |current: &'static str| {
            let c = c.clone();
            async move { c.submit("/account", "/account/password", &[("current", current), ("password", "a brand new passphrase"), ("confirm", "a brand new passphrase")]).await.status }
        };
        for i in 1..=3 {
            assert_eq!(change("guess number one").await, 422, "attempt {i}");
        }
        let disable = c.submit("/account/two-factor", "/account/two-factor/disable", &[("password", "guess number two")]).await;
        assert_eq!(disable.status, 422);
        assert_eq!(change("guess number three").await, 422);
        assert_eq!(change(PASSWORD).await, 429, "locked after five wrong answers across both forms");
        app.client().login("ana@example.com", PASSWORD).await.assert_status(429);
        app.state.clock.advance(Duration::seconds(2));
        assert_eq!(change(PASSWORD).await, 303);
    }

    // After sign-in only local addresses are followed, however the value is disguised.
    async fn next_cannot_leave_the_site(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        for next in ["/%09/evil.test", "//evil.test", "/%5Cevil.test", "https://evil.test", "/%0A/evil.test"] {
            assert_eq!(c.get(&format!("/login?next={next}")).await.location(), "/admin", "{next}");
        }
        assert_eq!(c.get("/login?next=/admin/releases%3Fstatus%3Ddraft").await.location(), "/admin/releases?status=draft");
        app.user("bo@example.com", Role::Editor);
        let fresh = app.client();
        let form = fresh.get("/login?next=/%09/evil.test").await;
        assert_eq!(field_value(&form.body, "next").as_deref(), Some("/admin"));
    }

    async fn one_address_cannot_try_many_accounts(app) {
        let c = Client::from_address(&app.base, "127.0.0.3".parse().unwrap());
        for i in 0..20 {
            assert_eq!(c.login(&format!("user{i}@example.com"), "wrong password here").await.status, 401, "attempt {i}");
        }
        c.login("user99@example.com", "wrong password here").await.assert_status(429);
        // Another address is not affected.
        app.client().login("user99@example.com", "wrong password here").await.assert_status(401);
    }

    // A4: an unknown account and a wrong password look the same.
    async fn no_account_enumeration(app) {
        app.user("ana@example.com", Role::Editor);
        let normalize = |r: &crate::support::client::Response| {
            let token = r.csrf();
            let id = r.header("x-request-id").unwrap();
            (r.status, r.body.replace(&token, "TOKEN").replace(&id, "ID").replace("ana@example.com", "EMAIL").replace("nobody@example.com", "EMAIL"))
        };
        let wrong = app.client().login("ana@example.com", "wrong password here").await;
        let unknown = app.client().login("nobody@example.com", "wrong password here").await;
        assert_eq!(normalize(&wrong), normalize(&unknown));
        let names = |r: &crate::support::client::Response| -> Vec<String> { r.set_cookies().iter().map(|c| c.split('=').next().unwrap().to_owned()).collect() };
        assert_eq!(names(&wrong), names(&unknown));
    }

    // A5: reset and invitation links work once and expire.
    async fn one_time_links(app) {
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let ana = app.user("ana@example.com", Role::Editor);
        let made = admin.submit(&format!("/admin/users/{}", ana.id), &format!("/admin/users/{}/reset-link", ana.id), &[]).await;
        made.assert_status(200);
        let link = made.body.split(&format!("{}/reset/", app.base)).nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(link.len() >= 43, "at least 128 bits");
        let path = format!("/reset/{link}");
        let stolen = app.client();
        stolen.get(&path).await.assert_status(200);
        let c = app.client();
        c.submit(&path, &path, &[("password", "a fresh passphrase here"), ("confirm", "a fresh passphrase here")]).await.assert_status(303);
        assert_eq!(app.client().login("ana@example.com", "a fresh passphrase here").await.status, 303);
        app.client().get(&path).await.assert_status(404);

        // An invitation, used after its seven days, is gone.
        let invited = admin.submit("/admin/users", "/admin/users/invite", &[("email", "new@example.com"), ("name", "New Person"), ("role", "contributor")]).await;
        invited.assert_status(200);
        let invite = format!("/invite/{}", invited.body.split(&format!("{}/invite/", app.base)).nth(1).unwrap().split('<').next().unwrap());
        app.client().get(&invite).await.assert_status(200);
        app.state.clock.advance(Duration::days(7) + Duration::minutes(1));
        app.client().get(&invite).await.assert_status(404);
        // A reset link older than an hour is gone too.
        let again = admin.clone();
        again.forget_cookies();
        let (admin2, _) = app.signed_in("admin2@example.com", Role::Admin).await;
        let made = admin2.submit(&format!("/admin/users/{}", ana.id), &format!("/admin/users/{}/reset-link", ana.id), &[]).await;
        let link = made.body.split(&format!("{}/reset/", app.base)).nth(1).unwrap().split('<').next().unwrap().to_owned();
        app.state.clock.advance(Duration::minutes(61));
        app.client().get(&format!("/reset/{link}")).await.assert_status(404);
    }

    // A6: the second factor gates everything, codes work once, attempts are throttled.
    async fn two_factor_sign_in(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        let recovery = enrol_two_factor(&app, &c, "ana@example.com").await;
        assert_eq!(recovery.len(), 10);
        app.state.clock.advance(Duration::seconds(31));

        let b = app.client();
        let step1 = b.login("ana@example.com", PASSWORD).await;
        step1.assert_status(303);
        assert!(step1.location().starts_with("/login/two-factor"));
        // With the password alone, protected pages and the API are closed.
        assert_eq!(b.get("/admin").await.location(), "/login/two-factor");
        assert_eq!(b.get("/account").await.location(), "/login/two-factor");
        // Half signed in, the sign-out page works but names no one and shows no menu.
        let out = b.get("/logout").await;
        out.assert_status(200);
        assert!(out.body.contains("action=\"/logout\"") && !out.text().contains("signed in as") && !out.body.contains("account-menu"), "{}", out.text());
        let code = totp_code(&app, "ana@example.com", 0);
        let ok = b.submit("/login/two-factor", "/login/two-factor", &[("code", &code)]).await;
        ok.assert_status(303);
        b.get("/admin").await.assert_status(200);

        // The same code again, in a fresh sign-in, is refused.
        let replay = app.client();
        replay.login("ana@example.com", PASSWORD).await.assert_status(303);
        replay.submit("/login/two-factor", "/login/two-factor", &[("code", &code)]).await.assert_status(401);
        // A recovery code works once.
        replay.submit("/login/two-factor", "/login/two-factor", &[("code", &recovery[0])]).await.assert_status(303);
        let again = app.client();
        again.login("ana@example.com", PASSWORD).await.assert_status(303);
        again.submit("/login/two-factor", "/login/two-factor", &[("code", &recovery[0])]).await.assert_status(401);
        // Wrong codes are throttled.
        let mut last = 0;
        for _ in 0..8 {
            last = again.submit("/login/two-factor", "/login/two-factor", &[("code", "000000")]).await.status;
        }
        assert_eq!(last, 429);
    }

    // The code typed to turn two-factor on is spent: someone who watched it being typed cannot
    // use it to finish a sign-in within the same 30 seconds.
    async fn the_enrolment_code_cannot_sign_in(app) {
        // The clock stands still, so the code worked out below is the one typed to enrol, not
        // the next step's.
        app.state.clock.stop();
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        enrol_two_factor(&app, &c, "ana@example.com").await;
        let enrolment_code = totp_code(&app, "ana@example.com", 0);
        let b = app.client();
        b.login("ana@example.com", PASSWORD).await.assert_status(303);
        b.submit("/login/two-factor", "/login/two-factor", &[("code", &enrolment_code)]).await.assert_status(401);
        // The next step's code works.
        app.state.clock.advance(Duration::seconds(30));
        let next = totp_code(&app, "ana@example.com", 0);
        b.submit("/login/two-factor", "/login/two-factor", &[("code", &next)]).await.assert_status(303);
    }

    // A pending secret is bound to its account: a form carrying another secret, or another
    // account's secret, is refused and enrols nothing; a wrong code keeps the same secret.
    async fn two_factor_enrolment_cannot_be_forged(app) {
        let (ana, _) = app.signed_in("ana@example.com", Role::Editor).await;
        let (bo, _) = app.signed_in("bo@example.com", Role::Editor).await;
        let page = bo.get("/account/two-factor").await;
        let bo_secret = field_value(&page.body, "secret").unwrap();
        let issued = field_value(&page.body, "issued").unwrap();
        let bo_mac = field_value(&page.body, "secret_mac").unwrap();
        let t = app.state.clock.now().timestamp() as u64;
        let code = dateline_auth::totp::code_at(&bo_secret, t).unwrap();
        let with = |code: &str, mac: &str, password: &str| {
            vec![("code", code.to_owned()), ("secret", bo_secret.clone()), ("issued", issued.clone()), ("secret_mac", mac.to_owned()), ("password", password.to_owned())]
        };
        let post = |c: &Client, fields: Vec<(&'static str, String)>| {
            let c = c.clone();
            async move {
                let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                c.submit("/account/two-factor", "/account/two-factor", &refs).await
            }
        };
        let stolen = post(&ana, with(&code, &bo_mac, PASSWORD)).await;
        stolen.assert_status(400);
        assert!(stolen.body.contains("Reload the page"), "{}", stolen.body);
        post(&ana, with(&code, "00", PASSWORD)).await.assert_status(400);
        let creds = users::credentials_by_email(&mut app.conn(), "ana@example.com").unwrap().unwrap();
        assert!(!creds.totp_enabled && creds.totp_secret.is_none());

        // A wrong code or password keeps the same key on the page.
        let wrong = post(&bo, with("000000", &bo_mac, PASSWORD)).await;
        wrong.assert_status(422);
        assert!(wrong.body.contains("That code is not right"));
        assert_eq!(field_value(&wrong.body, "secret").as_deref(), Some(bo_secret.as_str()), "the QR code shown stays the same");
        let no_pw = post(&bo, with(&code, &bo_mac, "not my password")).await;
        no_pw.assert_status(422);
        assert!(no_pw.body.contains("password is not right"));
        assert_eq!(field_value(&no_pw.body, "secret").as_deref(), Some(bo_secret.as_str()));
        // The message is tied to the field it is about, for screen readers.
        let input = |body: &str, id: &str| body.split(&format!("id=\"{id}\"")).nth(1).and_then(|rest| rest.split('>').next()).unwrap_or_default().to_owned();
        assert!(input(&wrong.body, "code").contains("aria-invalid") && !input(&wrong.body, "enrol-password").contains("aria-invalid"));
        assert!(input(&no_pw.body, "enrol-password").contains("aria-describedby=\"enrol-error\"") && !input(&no_pw.body, "code").contains("aria-invalid"));
        // A page left open for over an hour is replaced, not accepted.
        // (In steps, with a page view between, so the session's idle timeout does not end it.)
        for minutes in [25, 25, 11] {
            app.state.clock.advance(Duration::minutes(minutes));
            bo.get("/account").await.assert_status(200);
        }
        let t = app.state.clock.now().timestamp() as u64;
        let late_code = dateline_auth::totp::code_at(&bo_secret, t).unwrap();
        let late = post(&bo, with(&late_code, &bo_mac, PASSWORD)).await;
        late.assert_status(422);
        assert!(late.body.contains("over an hour"));
        assert_ne!(field_value(&late.body, "secret").as_deref(), Some(bo_secret.as_str()), "a new key");
        let creds = users::credentials_by_email(&mut app.conn(), "bo@example.com").unwrap().unwrap();
        assert!(!creds.totp_enabled);

        // Once on, the same form sent again changes nothing: not the key, not the recovery codes.
        let page = bo.get("/account/two-factor").await;
        let fields: Vec<(&str, String)> = ["secret", "issued", "secret_mac"].into_iter().map(|k| (k, field_value(&page.body, k).unwrap())).collect();
        let code = dateline_auth::totp::code_at(&fields[0].1, app.state.clock.now().timestamp() as u64).unwrap();
        let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        form.extend([("code", code.as_str()), ("password", PASSWORD)]);
        bo.submit("/account/two-factor", "/account/two-factor", &form).await.assert_status(200);
        let enrolled = users::credentials_by_email(&mut app.conn(), "bo@example.com").unwrap().unwrap();
        assert!(enrolled.totp_enabled);
        let again = bo.submit("/account/two-factor", "/account/two-factor", &form).await;
        again.assert_status(409);
        assert!(again.text().contains("already on"), "{}", again.text());
        let after = users::credentials_by_email(&mut app.conn(), "bo@example.com").unwrap().unwrap();
        assert_eq!((after.totp_secret, after.totp_last_step), (enrolled.totp_secret, enrolled.totp_last_step));
    }

    // Turning the second factor on or off ends the account's other sessions.
    async fn two_factor_changes_end_other_sessions(app) {
        let (here, _) = app.signed_in("ana@example.com", Role::Editor).await;
        let elsewhere = app.client();
        elsewhere.login("ana@example.com", PASSWORD).await.assert_status(303);
        enrol_two_factor(&app, &here, "ana@example.com").await;
        here.get("/admin").await.assert_status(200);
        assert_eq!(elsewhere.get("/admin").await.status, 303, "the other session ended");
        let later = app.client();
        later.login("ana@example.com", PASSWORD).await.assert_status(303);
        app.state.clock.advance(Duration::seconds(31));
        let code = totp_code(&app, "ana@example.com", 0);
        later.submit("/login/two-factor", "/login/two-factor", &[("code", &code)]).await.assert_status(303);
        later.get("/admin").await.assert_status(200);
        here.submit("/account/two-factor", "/account/two-factor/disable", &[("password", PASSWORD)]).await.assert_status(303);
        here.get("/admin").await.assert_status(200);
        assert_eq!(later.get("/admin").await.status, 303, "ended when it was turned off too");
    }

    async fn the_newsroom_can_require_two_factor(app) {
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        admin.submit("/admin/settings", "/admin/settings", &[("name", "Calder Bay News"), ("description", "d"), ("time_zone", "Europe/Lisbon"), ("language", "en"), ("require_two_factor", "true")]).await.assert_status(303);
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        assert_eq!(editor.get("/admin").await.location(), "/account/two-factor");
        let (contrib, _) = app.signed_in("co@example.com", Role::Contributor).await;
        contrib.get("/admin").await.assert_status(200);
        enrol_two_factor(&app, &editor, "ed@example.com").await;
        editor.get("/admin").await.assert_status(200);
    }

    // S1: the cookie's attributes; S2: a new id at sign-in.
    async fn session_cookies(app) {
        app.user("ana@example.com", Role::Editor);
        let c = app.client();
        c.set_cookie("dateline_session", "planted-by-an-attacker-0000000000000000000");
        let res = c.login("ana@example.com", PASSWORD).await;
        res.assert_status(303);
        let cookie = res.set_cookies().into_iter().find(|c| c.starts_with("dateline_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        assert!(!cookie.contains("Domain"), "{cookie}");
        let value = c.cookie("dateline_session").unwrap();
        assert_ne!(value, "planted-by-an-attacker-0000000000000000000");
        assert!(value.len() >= 43, "at least 256 bits of randomness");
        // The old (planted) id is anonymous.
        let old = app.client();
        old.set_cookie("dateline_session", "planted-by-an-attacker-0000000000000000000");
        assert!(old.get("/admin").await.location().starts_with("/login"));
        // Re-authenticating (a password change) issues another id, and the old one dies.
        c.submit("/account", "/account/password", &[("current", PASSWORD), ("password", "another long passphrase"), ("confirm", "another long passphrase")]).await.assert_status(303);
        assert_ne!(c.cookie("dateline_session").unwrap(), value);
        c.get("/admin").await.assert_status(200);
        let stale = app.client();
        stale.set_cookie("dateline_session", &value);
        assert!(stale.get("/admin").await.location().starts_with("/login"), "the previous id died with the change");
    }

    // S3: sign-out deletes the session on the server.
    async fn logout_ends_the_session(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        let value = c.cookie("dateline_session").unwrap();
        // GET /logout asks; only the button's POST signs out.
        let page = c.get("/logout").await;
        page.assert_status(200);
        assert!(page.body.contains("action=\"/logout\"") && page.header("cache-control").as_deref() == Some("no-store"));
        c.get("/admin").await.assert_status(200);
        let out = c.submit("/logout", "/logout", &[]).await;
        out.assert_status(303);
        // Signed out, the page sends you to sign in.
        assert_eq!(c.get("/logout").await.location(), "/login");
        assert!(out.header("clear-site-data").unwrap().contains("cache"));
        let replay = app.client();
        replay.set_cookie("dateline_session", &value);
        let r = replay.get("/admin").await;
        r.assert_status(303);
        assert!(r.location().starts_with("/login"));
        assert!(audit_actions(&app).iter().any(|a| a.0 == "logout"));
    }

    // S4: idle and absolute timeouts.
    async fn sessions_time_out(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        app.state.clock.advance(Duration::minutes(29));
        c.get("/admin").await.assert_status(200);
        app.state.clock.advance(Duration::minutes(31));
        assert!(c.get("/admin").await.location().starts_with("/login"), "idle for 31 minutes");

        let (c, _) = app.signed_in("bo@example.com", Role::Editor).await;
        // Activity every 20 minutes keeps it alive, but not past 12 hours.
        for _ in 0..35 {
            app.state.clock.advance(Duration::minutes(20));
            c.get("/admin").await.assert_status(200);
        }
        app.state.clock.advance(Duration::minutes(20));
        assert!(c.get("/admin").await.location().starts_with("/login"), "12 hours after sign-in");
    }

    // S5: password, role and access changes end sessions; roles come from the database.
    async fn changes_end_sessions(app) {
        let (a, ana) = app.signed_in("ana@example.com", Role::Editor).await;
        let b = app.client();
        b.login("ana@example.com", PASSWORD).await.assert_status(303);
        a.submit("/account", "/account/password", &[("current", PASSWORD), ("password", "another long passphrase"), ("confirm", "another long passphrase")]).await.assert_status(303);
        a.get("/admin").await.assert_status(200);
        assert!(b.get("/admin").await.location().starts_with("/login"), "the other session ended");

        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let (e, ed) = app.signed_in("ed@example.com", Role::Editor).await;
        e.get("/admin/organizations").await;
        let form = admin.get(&format!("/admin/users/{}", ed.id)).await;
        let revision = crate::support::client::field_value(&form.body, "revision").unwrap();
        admin.submit(&format!("/admin/users/{}", ed.id), &format!("/admin/users/{}", ed.id), &[("display_name", "Ed"), ("role", "editor"), ("disabled", "true"), ("revision", &revision)]).await.assert_status(303);
        assert!(e.get("/admin").await.location().starts_with("/login"), "disabled: signed out");
        assert_eq!(app.client().login("ed@example.com", PASSWORD).await.status, 403, "a disabled account cannot sign in");

        // A role change through the admin form ends the person's sessions too.
        let (f, fay) = app.signed_in("fay@example.com", Role::Editor).await;
        f.get("/admin/organizations").await.assert_status(200);
        let form = admin.get(&format!("/admin/users/{}", fay.id)).await;
        let revision = crate::support::client::field_value(&form.body, "revision").unwrap();
        admin.submit(&format!("/admin/users/{}", fay.id), &format!("/admin/users/{}", fay.id), &[("display_name", "Fay"), ("role", "contributor"), ("revision", &revision)]).await.assert_status(303);
        assert!(f.get("/admin").await.location().starts_with("/login"), "demoted: signed out");

        // The admin's "end sessions" button, and a person's own "sign out other sessions".
        let (g, gus) = app.signed_in("gus@example.com", Role::Editor).await;
        admin.submit(&format!("/admin/users/{}", gus.id), &format!("/admin/users/{}/sessions/revoke", gus.id), &[]).await.assert_status(303);
        assert!(g.get("/admin").await.location().starts_with("/login"), "ended by an admin");
        let (h1, _) = app.signed_in("hal@example.com", Role::Editor).await;
        let h2 = app.client();
        h2.login("hal@example.com", PASSWORD).await.assert_status(303);
        h1.submit("/account", "/account/sessions/revoke-others", &[]).await.assert_status(303);
        h1.get("/admin").await.assert_status(200);
        assert!(h2.get("/admin").await.location().starts_with("/login"), "the other browser is signed out");

        // The role is read on every request.
        let ana_now = users::get(&mut app.conn(), ana.id).unwrap();
        users::update(&mut app.conn(), ana.id, ana_now.revision, &users::UserUpdate { display_name: ana_now.display_name.clone(), role: Role::Contributor, disabled: false, time_zone: None }).unwrap();
        a.get("/admin/settings").await.assert_status(403);
    }

    // The newsroom always keeps an active admin: the last one can be neither demoted nor disabled.
    async fn the_last_active_admin_stays(app) {
        let (admin, me) = app.signed_in("admin@example.com", Role::Admin).await;
        let path = format!("/admin/users/{}", me.id);
        let save = |role: &'static str, disabled: bool| {
            let (admin, path) = (&admin, &path);
            async move {
                let revision = field_value(&admin.get(path).await.body, "revision").unwrap();
                let mut fields = vec![("display_name", "Admin"), ("role", role), ("revision", revision.as_str())];
                if disabled {
                    fields.push(("disabled", "true"));
                }
                admin.submit(path, path, &fields).await
            }
        };
        for (role, disabled) in [("editor", false), ("admin", true)] {
            let refused = save(role, disabled).await;
            refused.assert_status(422);
            assert!(refused.body.contains("This is the only active admin. Make someone else an admin first."), "{}", refused.body);
            let stored = users::get(&mut app.conn(), me.id).unwrap();
            assert!(stored.role == Role::Admin && !stored.disabled, "{role} {disabled}: nothing changed");
        }
        admin.get("/admin/settings").await.assert_status(200);
        // With a second admin, the first may step down.
        app.signed_in("second@example.com", Role::Admin).await;
        save("editor", false).await.assert_status(303);
        assert_eq!(users::get(&mut app.conn(), me.id).unwrap().role, Role::Editor);
    }

    // S6 and C1: no-store on signed-in pages; CSRF tokens, origins and fetch metadata.
    async fn csrf_and_caching(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        for path in ["/admin", "/account", "/", "/account/tokens", "/search?q=harbour"] {
            let r = c.get(path).await;
            assert_eq!(r.header("cache-control").as_deref(), Some("no-store"), "{path}");
            assert!(r.header("etag").is_none(), "{path}: nothing for a cache to revalidate");
        }
        assert_eq!(app.client().get("/login").await.header("cache-control").as_deref(), Some("no-store"));
        let fields = [("display_name", "Hacked"), ("time_zone", ""), ("revision", "1")];
        // No token, a token from another session, a foreign Origin, a cross-site fetch: all 403.
        c.post_form("/account/profile", &fields).await.assert_status(403);
        let (other, _) = app.signed_in("bo@example.com", Role::Editor).await;
        let foreign_token = other.get("/account").await.csrf();
        let mut with_foreign = vec![("csrf_token", foreign_token.as_str())];
        with_foreign.extend_from_slice(&fields);
        c.post_form("/account/profile", &with_foreign).await.assert_status(403);
        let token = c.get("/account").await.csrf();
        let mut good = vec![("csrf_token", token.as_str())];
        good.extend_from_slice(&fields);
        let evil = c.clone();
        evil.with_header("Origin", "http://127.0.0.2:9");
        evil.post_form("/account/profile", &good).await.assert_status(403);
        // Forwarding headers are anyone's to send: they do not make a foreign Origin ours.
        let forwarded = c.clone();
        forwarded.with_header("Origin", "http://evil.test");
        forwarded.with_header("X-Forwarded-Host", "evil.test");
        forwarded.with_header("Forwarded", "host=evil.test;proto=http");
        forwarded.post_form("/account/profile", &good).await.assert_status(403);
        let cross = Client::new(&app.base);
        cross.set_cookie("dateline_session", &c.cookie("dateline_session").unwrap());
        cross.with_header("Sec-Fetch-Site", "cross-site");
        cross.post_form("/account/profile", &good).await.assert_status(403);
        let name = users::find_by_email(&mut app.conn(), "ana@example.com").unwrap().unwrap().display_name;
        assert_ne!(name, "Hacked", "nothing changed");
        // The same form, done right, works.
        c.post_form("/account/profile", &good).await.assert_status(303);
        // Login itself is CSRF-protected.
        app.client().post_form("/login", &[("email", "ana@example.com"), ("password", PASSWORD)]).await.assert_status(403);
    }

    // C2: the API takes bearer tokens only, offers no CORS, and revoked tokens stop working.
    async fn api_tokens(app) {
        let (c, _) = app.signed_in("ana@example.com", Role::Editor).await;
        // A borrowed session cannot mint a token: the password is asked for.
        let no_pw = c.submit("/account/tokens", "/account/tokens", &[("name", "wire import"), ("scope", "read"), ("password", "not my password")]).await;
        no_pw.assert_status(422);
        assert!(no_pw.body.contains("password is not right"));
        assert!(no_pw.body.contains("value=\"wire import\""), "the name is kept");
        let made = c.submit("/account/tokens", "/account/tokens", &[("name", "wire import"), ("scope", "read"), ("password", PASSWORD)]).await;
        made.assert_status(200);
        let secret = made.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(dateline_auth::tokens::looks_like_api_token(&secret));
        // Shown once: the list shows a prefix only.
        let list = c.get("/account/tokens").await;
        assert!(!list.body.contains(&secret));
        let api = Client::new(&app.base);
        api.with_header("Authorization", &format!("Bearer {secret}"));
        api.get("/api/v1/releases").await.assert_status(200);
        // A read token cannot write.
        api.json("POST", "/api/v1/releases", &serde_json::json!({"headline": "x"})).await.assert_status(403);
        // Cookies do not authenticate the API.
        let cookie_only = c.json("POST", "/api/v1/releases", &serde_json::json!({"headline": "x"})).await;
        cookie_only.assert_status(401);
        // No CORS.
        let pre = app.client();
        pre.with_header("Origin", "http://evil.test");
        let opts = pre.request("OPTIONS", "/api/v1/releases", None, "").await;
        assert!(opts.header("access-control-allow-origin").is_none());
        // Revoked: 401.
        let id = dateline_storage::repo::tokens::list_api_tokens(&mut app.conn(), None).unwrap()[0].id;
        c.submit("/account/tokens", &format!("/account/tokens/{id}/revoke"), &[]).await.assert_status(303);
        api.get("/api/v1/releases").await.assert_status(401);
        let bad = Client::new(&app.base);
        bad.with_header("Authorization", "Bearer dl_not-a-real-token");
        bad.get("/api/v1/releases").await.assert_status(401);
        // Someone else's token cannot be revoked by id.
        let (other, _) = app.signed_in("bo@example.com", Role::Editor).await;
        let made = other.submit("/account/tokens", "/account/tokens", &[("name", "theirs"), ("scope", "write"), ("password", PASSWORD)]).await;
        made.assert_status(200);
        let theirs = dateline_storage::repo::tokens::list_api_tokens(&mut app.conn(), None).unwrap().into_iter().find(|t| t.name == "theirs").unwrap();
        c.submit("/account/tokens", &format!("/account/tokens/{}/revoke", theirs.id), &[]).await.assert_status(404);

        // Tokens end after the lifetime chosen, 90 days unless asked otherwise.
        assert!((theirs.expires_at.unwrap() - app.state.clock.now() - Duration::days(90)).num_minutes().abs() < 2);
        let odd = c.submit("/account/tokens", "/account/tokens", &[("name", "odd"), ("scope", "read"), ("days", "7"), ("password", PASSWORD)]).await;
        odd.assert_status(422);
        assert!(odd.text().contains("lifetimes offered") && odd.body.contains("value=\"odd\""));
        let month = c.submit("/account/tokens", "/account/tokens", &[("name", "a month"), ("scope", "read"), ("days", "30"), ("password", PASSWORD)]).await;
        let secret = month.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        let forever = c.submit("/account/tokens", "/account/tokens", &[("name", "forever"), ("scope", "read"), ("days", "0"), ("password", PASSWORD)]).await;
        let lasting = forever.body.split("class=\"secret\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        let (short, long) = (app.api(&secret), app.api(&lasting));
        short.get("/api/v1/releases?status=draft").await.assert_status(200);
        app.state.clock.advance(Duration::days(30) + Duration::minutes(1));
        short.get("/api/v1/releases?status=draft").await.assert_status(401);
        long.get("/api/v1/releases?status=draft").await.assert_status(200);
        let list = app.client();
        list.login("ana@example.com", PASSWORD).await.assert_status(303);
        let page = list.get("/account/tokens").await.text();
        assert!(page.contains("Expired") && page.contains("when revoked"), "{page}");
    }

    // C4: HSTS only over https.
    async fn hsts_only_over_https(app) {
        assert!(app.client().get("/").await.header("strict-transport-security").is_none());
        let db = dateline_storage::testdb::TestDatabase::sqlite().unwrap();
        let https = TestApp::start(db, &[("DATELINE_PUBLIC_URL", "https://news.example.org")]).await;
        let r = https.client().get("/login").await;
        let hsts = r.header("strict-transport-security").unwrap();
        assert!(hsts.contains("max-age=31536000") && hsts.contains("includeSubDomains"));
        let cookie = r.set_cookies().into_iter().find(|c| c.starts_with("__Host-dateline_pre=")).expect("a __Host- cookie");
        assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    }

    // C5: forwarded addresses count only from configured proxies.
    async fn forwarded_for_is_trusted_only_from_proxies(app) {
        let c = app.client();
        c.with_header("X-Forwarded-For", "203.0.113.9");
        c.login("nobody@example.com", "wrong password here").await;
        assert_eq!(audit_actions(&app).last().unwrap().2, "127.0.0.1", "a spoofed header is ignored");
        let db = dateline_storage::testdb::TestDatabase::sqlite().unwrap();
        let proxied = TestApp::start(db, &[("DATELINE_TRUSTED_PROXIES", "127.0.0.1")]).await;
        let p = proxied.client();
        p.with_header("X-Forwarded-For", "203.0.113.9");
        p.login("nobody@example.com", "wrong password here").await;
        assert_eq!(audit_actions(&proxied).last().unwrap().2, "203.0.113.9");
        // C4: a TLS-terminating proxy's X-Forwarded-Proto turns HSTS on; from anyone else it
        // changes nothing.
        let tls = proxied.client();
        tls.with_header("X-Forwarded-Proto", "https");
        assert!(tls.get("/").await.header("strict-transport-security").unwrap().contains("max-age=31536000"));
        let spoofed = app.client();
        spoofed.with_header("X-Forwarded-Proto", "https");
        assert!(spoofed.get("/").await.header("strict-transport-security").is_none());
    }

    // Z3: forms cannot assign what they do not own; only admins give roles.
    async fn no_mass_assignment(app) {
        let (c, me) = app.signed_in("ana@example.com", Role::Contributor).await;
        c.submit("/account", "/account/profile", &[("display_name", "Ana"), ("time_zone", ""), ("revision", &me.revision.to_string()), ("role", "admin"), ("disabled", "false")]).await.assert_status(303);
        assert_eq!(users::get(&mut app.conn(), me.id).unwrap().role, Role::Contributor);
        let (editor, _) = app.signed_in("ed@example.com", Role::Editor).await;
        let r = editor.request("POST", &format!("/admin/users/{}", me.id), Some("application/x-www-form-urlencoded"), "role=admin&revision=1").await;
        r.assert_status(403);
        assert_eq!(users::get(&mut app.conn(), me.id).unwrap().role, Role::Contributor);
        assert!(audit_actions(&app).iter().any(|a| a.0 == "permission_denied" && a.1 == "denied"));
    }

    // L1: the audit trail of a scripted flow.
    async fn the_audit_trail(app) {
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        app.client().login("admin@example.com", "wrong password here").await;
        admin.submit("/admin/users", "/admin/users", &[("email", "ed@example.com"), ("name", "Ed"), ("role", "contributor"), ("password", PASSWORD), ("confirm", PASSWORD)]).await.assert_status(303);
        let ed = users::find_by_email(&mut app.conn(), "ed@example.com").unwrap().unwrap();
        let rev = ed.revision.to_string();
        admin.submit(&format!("/admin/users/{}", ed.id), &format!("/admin/users/{}", ed.id), &[("display_name", "Ed"), ("role", "editor"), ("revision", &rev)]).await.assert_status(303);
        admin.submit("/account/tokens", "/account/tokens", &[("name", "t"), ("scope", "read"), ("password", PASSWORD)]).await.assert_status(200);
        admin.submit("/admin", "/logout", &[]).await.assert_status(303);
        let rows = audit::list(&mut app.conn(), &AuditFilter::default(), &PageRequest::first(100)).unwrap().items;
        let actions: Vec<&str> = rows.iter().rev().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["login_ok", "login_failed", "user_create", "role_change", "token_create", "logout"]);
        for r in &rows {
            assert_eq!(r.ip, "127.0.0.1");
            assert!(!r.request_id.is_empty(), "{r:?}");
        }
        // The admin page shows and filters them.
        let (viewer, _) = app.signed_in("admin2@example.com", Role::Admin).await;
        let page = viewer.get("/admin/audit?action=role_change").await;
        page.assert_status(200);
        assert!(page.text().contains("contributor -> editor"), "{}", page.body);
        assert!(!page.body.contains("<td>login_failed</td>"), "filtered to role changes only");
        viewer.get("/admin/audit?from=not-a-date").await.assert_status(400);
        viewer.get("/admin/audit?after=tampered").await.assert_status(400);
    }

    // L1: the audit log pages back through older rows without losing its filter, and the
    // filter is what the page shows.
    async fn audit_pages_keep_their_filter(app) {
        let start = chrono::Utc::now() - Duration::hours(1);
        let cli = Actor::system("cli");
        for n in 0..55 {
            let at = start + Duration::seconds(n);
            Entry::new(&cli, AuditAction::SettingsChange, "settings", "", at).detail(format!("edit {n:02}")).record(&mut app.conn()).unwrap();
            Entry::new(&cli, AuditAction::KeyRotate, "server", "", at).outcome(Outcome::Failed).detail(format!("rotation {n:02}")).record(&mut app.conn()).unwrap();
        }
        let (admin, _) = app.signed_in("admin@example.com", Role::Admin).await;
        let first = admin.get("/admin/audit?action=settings_change&result=ok&from=").await;
        first.assert_status(200);
        assert!(first.body.contains("edit 54") && first.body.contains("edit 05") && !first.body.contains("edit 04"), "newest 50 first");
        assert!(!first.body.contains("rotation"), "filtered to one action");
        let href = first.body.split("<a href=\"").find_map(|s| s.split('"').next().filter(|h| h.starts_with("/admin/audit?"))).map(unescape).expect("a link to older entries");
        assert!(href.contains("action=settings_change") && href.contains("result=ok") && href.contains("after="), "{href}");
        assert!(!href.contains("from="), "empty filters are left out: {href}");
        let older = admin.get(&href).await;
        older.assert_status(200);
        assert!(older.body.contains("edit 04") && older.body.contains("edit 00") && !older.body.contains("edit 05"), "{}", older.body);
        assert!(!older.body.contains("rotation") && !older.body.contains("rel=\"next\""), "the last page, still filtered");
    }

    // L3: errors are generic; TRACE is refused; no directory listings.
    async fn errors_reveal_nothing(app) {
        let c = app.client();
        let trace = c.request("TRACE", "/", None, "").await;
        assert!(trace.status == 405 || trace.status == 404, "{}", trace.status);
        c.get("/static/").await.assert_status(404);
        c.get("/releases/99999999999999999999").await.assert_status(404);
        let api = Client::new(&app.base);
        let bad = api.request("POST", "/api/v1/releases", Some("application/json"), "{not json").await;
        assert!(bad.status == 401 || bad.status == 400);
        for r in [trace, bad] {
            assert!(!r.body.contains("diesel") && !r.body.contains("panicked") && !r.body.contains(".rs:"), "{}", r.body);
        }
    }
}

// Z7: how a path is spelled changes nothing about who may see it.
http_tests! {
    async fn path_spellings_reach_the_same_check(app) {
        let c = app.client();
        for path in ["/admin", "/admin/", "//admin", "/admin//", "/ADMIN", "/Admin/users", "/admin/%75sers", "/admin/users/", "/%61dmin", "/admin/./users", "/admin/x/../users", "/account/", "/admin/audit/"] {
            let r = c.get(path).await;
            assert!(r.status != 200, "{path} answered 200");
            let head = c.head(path).await;
            assert!(head.status != 200, "HEAD {path} answered 200");
        }
        let (contrib, _) = app.signed_in("co@example.com", Role::Contributor).await;
        for path in ["/admin/users", "/admin/users/", "//admin//users", "/admin/settings/", "/admin/audit//"] {
            assert_eq!(contrib.get(path).await.status, 403, "{path}");
        }
    }
}
