//! A person's own account: profile, password, sessions, two-factor sign-in and API tokens.

pub mod profile;
pub mod tokens;
pub mod two_factor;
