//! The client address we trust: the socket peer, unless the peer is a configured proxy, in which
//! case the nearest address in `X-Forwarded-For` that is not itself a proxy. Spoofed headers from
//! anyone else are ignored (`docs/security.md` C5).

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    match peer {
        Some(p) if trusted_proxies.contains(&p) => {
            let forwarded = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter_map(|s| s.parse::<IpAddr>().ok())
                .rev()
                .find(|ip| !trusted_proxies.contains(ip));
            forwarded.unwrap_or(p).to_string()
        }
        Some(p) => p.to_string(),
        None => "unknown".into(),
    }
}

/// Whether the request reached us over https: directly never (we serve plain HTTP), or through a
/// trusted proxy that says so.
pub fn forwarded_https(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> bool {
    req.peer_addr()
        .is_some_and(|a| trusted_proxies.contains(&a.ip()))
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
