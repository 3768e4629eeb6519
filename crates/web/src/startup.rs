//! Bringing a server up: connect to the database (retrying while it is down), run migrations,
//! offer the first-run setup link while there are no accounts, and start the scheduler.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{DateTime, Utc};
use dateline_auth::tokens::{hash_token, random_token};
use dateline_storage::repo::tokens::{self, LinkKind, NewLink};
use dateline_storage::repo::users;
use dateline_storage::{DbConnection, PoolOptions, connection, migrations};

use crate::config::Config;
use crate::state::AppState;

/// How long a setup link printed at start works.
pub const SETUP_LINK_HOURS: i64 = 24;

pub fn pool_options(config: &Config) -> PoolOptions {
    PoolOptions {
        max_size: config.pool_size,
        sqlite: connection::SqliteOptions {
            synchronous_full: config.sqlite_synchronous_full,
            ..Default::default()
        },
        ..PoolOptions::default()
    }
}

/// Waits for the database, migrates it, marks the app ready and prints the setup link if needed.
/// Logs one line per failed attempt and keeps trying: the server stays up, reporting not ready.
pub async fn bootstrap(state: AppState) {
    let mut delay = Duration::from_millis(500);
    loop {
        let st = state.clone();
        let attempt = actix_web::web::block(move || -> Result<Option<String>, String> {
            connection::prepare(&st.config.database_url, &pool_options(&st.config))
                .map_err(|e| e.to_string())?;
            let mut conn = st
                .pool
                .get()
                .map_err(|e| format!("{}", dateline_storage::StorageError::from(e)))?;
            let applied = migrations::run_pending(&mut conn).map_err(|e| e.to_string())?;
            if !applied.is_empty() {
                tracing::info!(migrations = applied.join(", "), "database migrated");
            }
            let sealed = crate::totp_secrets::seal_plaintext(&mut conn, &st.key)
                .map_err(|e| e.to_string())?;
            if sealed > 0 {
                tracing::info!(sealed, "sealed stored TOTP secrets under the server key");
            }
            setup_link_if_needed(&mut conn, &st.config, st.clock.now()).map_err(|e| e.to_string())
        })
        .await;
        match attempt {
            Ok(Ok(link)) => {
                state.ready.store(true, Ordering::Release);
                tracing::info!(database = %state.config.database_url.redacted(), "database ready");
                if let Some(url) = link {
                    tracing::info!(
                        "No accounts exist yet. Open {url} to create the first admin; the link works once, for {SETUP_LINK_HOURS} hours."
                    );
                }
                return;
            }
            Ok(Err(reason)) => {
                tracing::warn!(
                    "database not reachable ({reason}); retrying in {} s",
                    delay.as_secs().max(1)
                );
            }
            Err(e) => tracing::warn!(
                "database start-up attempt failed ({e}); retrying in {} s",
                delay.as_secs().max(1)
            ),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(15));
    }
}

/// While no account exists, makes a fresh one-time setup link and returns its URL.
pub fn setup_link_if_needed(
    conn: &mut DbConnection,
    config: &Config,
    now: DateTime<Utc>,
) -> dateline_storage::Result<Option<String>> {
    if users::count(conn)? > 0 {
        return Ok(None);
    }
    let token = random_token();
    tokens::create_link(
        conn,
        &NewLink {
            kind: LinkKind::Setup,
            hash: &hash_token(&token),
            user_id: None,
            email: None,
            display_name: None,
            role: None,
            created_by: None,
            now,
            expires_at: now + chrono::Duration::hours(SETUP_LINK_HOURS),
        },
    )?;
    Ok(Some(config.absolute(&format!("/setup/{token}"))))
}
