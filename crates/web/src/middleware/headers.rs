//! Security headers on every response: pages, errors, feeds and static files alike.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::state::AppState;

/// Scripts and styles only from our own origin, never inline. Images also from `data:` for the
/// two-factor QR code.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// For pages whose address is private (staff pages, one-time links, previews): nothing is sent
/// to other sites. Not `no-referrer`: a browser then sends `Origin: null` with the page's own
/// form posts, which the cross-site check has to refuse, so sign-up and sign-out would break.
pub const PRIVATE_REFERRER_POLICY: &str = "same-origin";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = is_https(&req);
    let staff_area = is_staff_area(req.path());
    let mut res = next.call(req).await?;
    apply(res.headers_mut(), https, staff_area);
    Ok(res)
}

/// Whether the reader reached us over HTTPS, directly or through a trusted proxy.
pub fn is_https(req: &ServiceRequest) -> bool {
    req.app_data::<web::Data<AppState>>().is_some_and(|s| {
        s.config.is_https()
            || super::client_ip::forwarded_https(req.request(), &s.config.trusted_proxies)
    })
}

/// The headers every response carries, made once: building a header name checks its
/// characters, which showed in the profile of a kept page.
const ALWAYS: [(HeaderName, HeaderValue); 5] = [
    (
        HeaderName::from_static("content-security-policy"),
        HeaderValue::from_static(CSP),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ),
];

/// Adds the security headers a response lacks; one it already has (a page that set its own)
/// is left as it is.
pub fn apply(h: &mut header::HeaderMap, https: bool, staff_area: bool) {
    let set = |h: &mut header::HeaderMap, name: &HeaderName, value: &HeaderValue| {
        if !h.contains_key(name) {
            h.insert(name.clone(), value.clone());
        }
    };
    for (name, value) in &ALWAYS {
        set(h, name, value);
    }
    // Staff pages carry draft ids and review state in their addresses; a link clicked there
    // should not even tell the other site which newsroom it came from.
    let referrer = if staff_area {
        PRIVATE_REFERRER_POLICY
    } else {
        "strict-origin-when-cross-origin"
    };
    set(
        h,
        &header::REFERRER_POLICY,
        &HeaderValue::from_static(referrer),
    );
    if https {
        set(
            h,
            &header::STRICT_TRANSPORT_SECURITY,
            &HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

pub fn is_staff_area(path: &str) -> bool {
    ["/admin", "/account", "/api"].iter().any(|area| {
        path.strip_prefix(area)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::is_staff_area;

    #[test]
    fn staff_areas_are_whole_segments() {
        for path in [
            "/admin",
            "/admin/releases/x",
            "/account/tokens",
            "/api/releases",
        ] {
            assert!(is_staff_area(path), "{path}");
        }
        for path in ["/", "/administration", "/releases/abc/admin", "/apis"] {
            assert!(!is_staff_area(path), "{path}");
        }
    }
}
