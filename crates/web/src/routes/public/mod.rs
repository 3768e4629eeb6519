//! The public newsroom: what readers see without signing in.

pub mod home;
pub mod listings;
pub mod media;
pub mod press_kit;
pub mod preview;
pub mod release;
pub mod search;
pub mod sitemaps;
