//! Dateline's web application: the actix app factory, handlers, views, the scheduler and the
//! `dateline` command line. It wires `dateline-core`, `dateline-storage` and `dateline-auth`.

pub mod app;
pub mod assets;
pub mod audit;
pub mod bulkhead;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod feeds;
pub mod hashing;
pub mod http_cache;
pub mod keyfile;
pub mod logging;
pub mod media;
pub mod metrics;
pub mod middleware;
pub mod newsroom;
pub mod nul;
pub mod page_cache;
pub mod pagination;
pub mod public_counts;
pub mod query;
pub mod routes;
pub mod scheduler;
pub mod search;
pub mod startup;
pub mod state;
pub mod taxa;
pub mod totp_secrets;
pub mod usecases;
pub mod views;
pub mod webhooks;
