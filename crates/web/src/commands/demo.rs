//! `dateline demo`.

use anyhow::Context;

use crate::config::Config;
use crate::demo::{self, DemoError};

pub fn run(config: &Config) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    match demo::load(&mut conn, chrono::Utc::now()) {
        Ok(l) => {
            println!(
                "Loaded {} organizations and {} releases ({} published, {} scheduled, {} drafts) into {}.",
                l.organizations,
                l.published + l.scheduled + l.drafts,
                l.published,
                l.scheduled,
                l.drafts,
                config.database_url.redacted()
            );
            println!("Start the server with `dateline serve` to read them.");
            Ok(())
        }
        Err(DemoError::AlreadyLoaded(_)) => {
            println!("The demo content is already loaded; nothing to do.");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
