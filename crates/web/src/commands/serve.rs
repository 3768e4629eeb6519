//! `dateline serve`.

use std::net::TcpListener;

use anyhow::{Context, bail};
use dateline_storage::{DatabaseUrl, connection};

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;
use crate::{app, keyfile, scheduler, startup};

pub fn run(config: Config) -> anyhow::Result<()> {
    // SQLite problems (a missing or read-only directory) will not fix themselves: fail now.
    // PostgreSQL may simply not be up yet: the server starts and reports not ready until it is.
    if let DatabaseUrl::Sqlite(_) = config.database_url {
        connection::prepare(&config.database_url, &startup::pool_options(&config))?;
    }
    let listener = TcpListener::bind(&config.bind).map_err(|e| {
        anyhow::anyhow!("cannot listen on {}: {e}; is another program using that port? Choose another address with --bind", config.bind)
    })?;
    let local = listener
        .local_addr()
        .context("cannot read the listening address")?;
    if !config.is_https() && !local.ip().is_loopback() {
        bail!(
            "refusing to serve plain HTTP on {local}: sign-in cookies would travel unencrypted. Put Dateline behind an HTTPS proxy and set DATELINE_PUBLIC_URL=https://…, or bind to 127.0.0.1"
        );
    }
    let key = keyfile::load(&config, std::env::var("DATELINE_SECRET_KEY").ok())?;
    let pool = connection::connect_lazy(&config.database_url, &startup::pool_options(&config));
    let state = AppState::new(pool, config, key, Clock::default())
        .context("setting up the HTTP client for webhooks")?;
    tracing::info!(address = %local, public_url = %state.config.public_url, database = %state.config.database_url.redacted(), "Dateline {} starting", env!("CARGO_PKG_VERSION"));

    actix_web::rt::System::new().block_on(async move {
        actix_web::rt::spawn(startup::bootstrap(state.clone()));
        let scheduler = actix_web::rt::spawn(scheduler::run(state.clone()));
        let server = app::http_server(state.clone(), listener, app::default_workers())?;
        server.await?;
        tracing::info!("stopped accepting requests; finishing up");
        state.stop_scheduler();
        if tokio::time::timeout(state.config.shutdown_timeout, scheduler)
            .await
            .is_err()
        {
            tracing::warn!("the scheduler did not stop in time; its job in hand rolls back");
        }
        checkpoint(&state);
        Ok::<(), anyhow::Error>(())
    })
}

/// Folds SQLite's write-ahead log back into the database file, so a clean stop leaves one file.
fn checkpoint(state: &AppState) {
    if let Ok(mut conn) = state.pool.get()
        && let Err(e) = connection::checkpoint(&mut conn)
    {
        tracing::warn!(error = %e, "could not checkpoint the database log");
    }
}
