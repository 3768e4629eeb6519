//! Dateline's accounts: password hashing and policy, session and token secrets, CSRF tokens,
//! login throttling rules, TOTP second factors, and the one permission matrix every route
//! declares itself against.
//!
//! Storage of sessions and tokens lives in `dateline-storage`; the HTTP side in `dateline-web`.
//! What is here is the part that must be right regardless of either.

pub mod csrf;
pub mod keys;
pub mod password;
pub mod permissions;
pub mod throttle;
pub mod tokens;
pub mod totp;
pub mod webhook_signature;

pub use keys::SecretKey;
pub use permissions::{Permission, ROUTES, RouteDef};

/// What can go wrong in here. Deliberately vague towards users: details go to logs.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error("the stored password hash is unreadable")]
    BadHash,
    #[error("{0}")]
    Key(String),
    #[error("two-factor setup failed: {0}")]
    Totp(String),
    #[error("a sealed value does not open with this key")]
    Sealed,
}
