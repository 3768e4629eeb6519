//! Webhook signatures. Every delivery carries
//! `Dateline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` where the MAC is over
//! `"<t>.<body>"` keyed with the endpoint's secret (the whole `whsec_…` string). Binding the
//! time stops a captured delivery being replayed later; receivers reject an old `t`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::tokens::constant_time_eq;

pub const HEADER: &str = "Dateline-Signature";

/// Every secret starts with this, so one found in a log or a repository is recognisable.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new endpoint secret: 32 random bytes.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

fn mac_hex(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", mac_hex(secret, timestamp, body))
}

/// Whether `header` is a valid signature of `body` by `secret`, made no more than `tolerance`
/// seconds from `now`. What a receiver does; the tests use it as one.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance: i64) -> bool {
    let mut timestamp = None;
    let mut macs = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", m)) => macs.push(m),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return false;
    };
    if (now - t).abs() > tolerance {
        return false;
    }
    let expected = mac_hex(secret, t, body);
    macs.iter().any(|m| constant_time_eq(&expected, m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let secret = new_secret();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == 6 + 64);
        let header = sign(&secret, 1_700_000_000, b"{\"a\":1}");
        assert!(verify(&secret, &header, b"{\"a\":1}", 1_700_000_100, 300));
        assert!(!verify(&secret, &header, b"{\"a\":2}", 1_700_000_100, 300));
        assert!(!verify(
            &new_secret(),
            &header,
            b"{\"a\":1}",
            1_700_000_100,
            300
        ));
        assert!(!verify(&secret, &header, b"{\"a\":1}", 1_700_001_000, 300));
        assert!(!verify(&secret, "v1=00", b"{\"a\":1}", 1_700_000_000, 300));
    }

    #[test]
    fn the_mac_is_over_time_dot_body() {
        // Known answer, computed with OpenSSL: printf '1.{}' | openssl dgst -sha256 -hmac k
        let header = sign("k", 1, b"{}");
        assert_eq!(
            header,
            "t=1,v1=3dd49b2593d0f9a349e9e71c4bde3e2b862c2be4003fe9b4ba81332029310158"
        );
    }
}
