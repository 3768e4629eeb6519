//! Random tokens: session ids, API tokens, invitation, reset and preview links. Tokens are shown
//! once and stored only as hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// 256 bits: well past the 128-bit floor for anything that grants access.
pub const TOKEN_BYTES: usize = 32;

/// A fresh URL-safe random token (43 characters for 32 bytes).
pub fn random_token() -> String {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 in hex. Enough for high-entropy tokens: there is nothing to brute-force.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// API tokens carry a recognisable prefix so leaked ones are easy to find in code and logs.
pub const API_TOKEN_PREFIX: &str = "dl_";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET only.
    Read,
    /// Everything the owner's role allows.
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

/// A new API token: the secret to show once, its hash to store and a short prefix to list.
pub struct NewApiToken {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn new_api_token() -> NewApiToken {
    let secret = format!("{API_TOKEN_PREFIX}{}", random_token());
    let hash = hash_token(&secret);
    let prefix = secret.chars().take(API_TOKEN_PREFIX.len() + 6).collect();
    NewApiToken {
        secret,
        hash,
        prefix,
    }
}

/// Whether a presented bearer value has our token's shape, before any database lookup.
pub fn looks_like_api_token(value: &str) -> bool {
    value.len() == API_TOKEN_PREFIX.len() + 43
        && value.starts_with(API_TOKEN_PREFIX)
        && value[API_TOKEN_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(hash_token(&a).len(), 64);
        assert!(constant_time_eq(&a, &a.clone()));
        assert!(!constant_time_eq(&a, &random_token()));
        let t = new_api_token();
        assert!(looks_like_api_token(&t.secret));
        assert!(t.secret.starts_with(&t.prefix));
        assert_eq!(t.hash, hash_token(&t.secret));
        assert!(!looks_like_api_token("dl_short"));
        assert!(!looks_like_api_token(&format!("xx_{}", random_token())));
    }
}
