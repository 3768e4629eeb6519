//! CSRF defences. Signed-in forms carry a synchronizer token stored with the session. Forms
//! shown before sign-in (login, setup, invitations, resets) carry an HMAC of a random pre-session
//! cookie, so they need no server-side row. Both are compared in constant time.

use crate::keys::SecretKey;
use crate::tokens::constant_time_eq;

/// The token for a form shown to someone holding pre-session cookie `pre_session`.
pub fn anonymous_token(key: &SecretKey, pre_session: &str) -> String {
    key.mac_hex("csrf:anonymous", pre_session.as_bytes())
}

pub fn check_anonymous(key: &SecretKey, pre_session: &str, presented: &str) -> bool {
    !pre_session.is_empty() && constant_time_eq(&anonymous_token(key, pre_session), presented)
}

pub fn check_session(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && constant_time_eq(expected, presented)
}

/// The second layer: browsers say where a request came from. A request is refused when
/// `Sec-Fetch-Site` says cross-site, or when `Origin` names another origin. Requests without
/// either header (old browsers, curl) fall back on the token alone.
pub fn same_origin(origin: Option<&str>, sec_fetch_site: Option<&str>, our_origin: &str) -> bool {
    if sec_fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return false;
    }
    match origin {
        None => true,
        // Browsers send `Origin: null` with a page's own posts when its Referrer-Policy is
        // `no-referrer` (preview links use it). Fetch metadata, which no page can forge, still
        // says whether the post came from our own pages; a sandboxed frame elsewhere says
        // `cross-site` and was refused above.
        Some("null") => sec_fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("same-origin")),
        Some(o) => o
            .trim_end_matches('/')
            .eq_ignore_ascii_case(our_origin.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_tokens_bind_to_the_cookie_and_key() {
        let key = SecretKey::generate();
        let t = anonymous_token(&key, "cookie-a");
        assert!(check_anonymous(&key, "cookie-a", &t));
        assert!(!check_anonymous(&key, "cookie-b", &t));
        assert!(!check_anonymous(&SecretKey::generate(), "cookie-a", &t));
        assert!(!check_anonymous(&key, "", &anonymous_token(&key, "")));
        assert!(
            check_session("abc", "abc") && !check_session("abc", "abd") && !check_session("", "")
        );
    }

    #[test]
    fn origins() {
        let ours = "http://127.0.0.1:8080";
        assert!(same_origin(None, None, ours));
        assert!(same_origin(
            Some("http://127.0.0.1:8080"),
            Some("same-origin"),
            ours
        ));
        assert!(!same_origin(Some("http://127.0.0.2:9"), None, ours));
        assert!(!same_origin(Some("null"), None, ours));
        assert!(!same_origin(Some("null"), Some("same-site"), ours));
        assert!(same_origin(Some("null"), Some("same-origin"), ours));
        assert!(!same_origin(None, Some("cross-site"), ours));
        assert!(same_origin(None, Some("none"), ours));
    }
}
