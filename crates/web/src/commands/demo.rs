//! `dateline demo [--releases N]`.

use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::DemoArgs;
use crate::config::Config;
use crate::demo::{self, DemoError};
use crate::usecases::seed;

pub fn run(config: &Config, args: &DemoArgs) -> anyhow::Result<()> {
    let pool = super::open(config)?;
    let mut conn = pool.get().context("cannot get a database connection")?;
    let now = chrono::Utc::now();
    if !args.into_existing && demo::holds_other_content(&mut conn)? {
        anyhow::bail!(
            "{} already holds releases that are not the demo's; pass --into-existing to add demonstration content to it anyway",
            config.database_url.redacted()
        );
    }
    // The synthetic releases are issued by the demo organizations, so those come first.
    match demo::load(&mut conn, now) {
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
        }
        Err(DemoError::AlreadyLoaded(_)) => {
            println!("The demo content is already loaded.");
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(count) = args.releases {
        // indicatif draws nothing when standard error is not a terminal, so scripts and logs
        // get only the summary line below.
        let bar = ProgressBar::new(count);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} releases, {per_sec}, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let started = Instant::now();
        drop(conn);
        let seeded =
            seed::seed_releases(&pool, count, args.seed, now, &mut |n| bar.set_position(n))?;
        bar.finish_and_clear();
        let secs = started.elapsed().as_secs_f64();
        println!(
            "Seeded {} releases ({} under embargo, {} withdrawn) in {secs:.1} s ({:.0} releases/s), {:.1} MB of text.",
            seeded.releases,
            seeded.scheduled,
            seeded.withdrawn,
            seeded.releases as f64 / secs.max(0.001),
            seeded.text_bytes as f64 / 1_048_576.0
        );
    }
    println!("Start the server with `dateline serve` to read them.");
    Ok(())
}
