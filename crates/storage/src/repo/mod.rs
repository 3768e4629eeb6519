//! Repository functions, one module per area. Each takes a connection and returns `core` types.

pub mod audit;
pub mod jobs;
pub mod organizations;
pub mod pipeline;
pub mod releases;
pub mod search;
pub mod settings;
pub mod taxonomy;
pub mod users;
