//! Starting and ending server-side sessions.

use actix_web::cookie::Cookie;
use dateline_auth::tokens::random_token;
use dateline_core::User;
use dateline_storage::repo::sessions::{self, NewSession};

use crate::error::{WebError, WebResult};
use crate::extract::Client;
use crate::middleware::identity::{cookie, removal, session_cookie_name, session_hash};
use crate::state::AppState;

/// Creates a session with a fresh random id (never reusing one the browser brought, so a planted
/// cookie cannot be promoted to a signed-in one) and returns its cookie. `replaces` is deleted in
/// the same step.
pub async fn start(
    state: &AppState,
    user: &User,
    mfa_pending: bool,
    client: &Client,
    replaces: Option<String>,
) -> WebResult<Cookie<'static>> {
    let token = random_token();
    let id_hash = session_hash(state, &token);
    let csrf = random_token();
    let now = state.clock.now();
    let lifetime = chrono::Duration::from_std(state.config.session_lifetime)
        .unwrap_or(chrono::Duration::hours(12));
    let (user_id, ip, ua) = (user.id, client.ip.clone(), client.user_agent.clone());
    state
        .db(move |conn| -> WebResult<_> {
            dateline_storage::write_tx(conn, |conn| {
                if let Some(old) = replaces {
                    sessions::delete(conn, &old)?;
                }
                sessions::create(
                    conn,
                    &NewSession {
                        id_hash: &id_hash,
                        user_id,
                        csrf_token: &csrf,
                        mfa_pending,
                        now,
                        expires_at: now + lifetime,
                        ip: &ip,
                        user_agent: &ua,
                    },
                )
            })?;
            Ok(())
        })
        .await?;
    let https = state.config.is_https();
    Ok(cookie(session_cookie_name(https), token, https))
}

pub fn clear_cookie(state: &AppState) -> Cookie<'static> {
    let https = state.config.is_https();
    removal(session_cookie_name(https), https)
}

/// Signs in someone who has just opened their account and sends them to the newsroom.
pub async fn start_and_redirect(state: &AppState, user: &User, client: &Client) -> WebResult {
    let cookie = start(state, user, false, client, None).await?;
    let mut res = crate::views::see_other("/admin");
    res.add_cookie(&cookie).map_err(WebError::internal)?;
    Ok(res)
}
