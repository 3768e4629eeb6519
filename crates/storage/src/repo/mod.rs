//! Repository functions, one module per area. Each takes a connection and returns `core` types.

pub mod audit;
pub mod jobs;
mod named;
pub mod organizations;
pub mod pipeline;
pub mod previews;
pub mod releases;
pub mod revisions;
pub mod search;
pub mod sessions;
pub mod settings;
pub mod taxonomy;
pub mod throttle;
pub mod tokens;
pub mod users;
