//! HTTP integration tests: the real app, over real HTTP, on real databases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Helpers shared by all test modules; not every module uses every one.
#[allow(dead_code)]
mod support;

mod abuse;
mod accounts;
mod archive;
mod backup;
mod browser;
mod bulkheads;
mod cli;
mod foundation;
mod guessing;
mod hostile_input;
mod instances;
mod inventory;
mod logs;
mod media;
mod metrics;
mod openapi;
mod outputs;
mod page_cache;
mod plans;
mod proxy;
mod public_site;
mod queries;
mod resilience;
mod seed;
mod upkeep;
mod webhooks;
mod wire_import;
mod workflow;
