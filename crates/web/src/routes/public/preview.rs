//! `/preview/{token}`: a journalist's preview of one release before it is public. A wrong,
//! expired or revoked token, or a withdrawn release, is a 404 like any unknown address. Every
//! opening is counted on the link (how many, and the last); the first one is also written to the
//! audit log, as the moment the text left the newsroom, while later ones would only repeat it
//! row after row. Answers are never cached, never indexed, and never send the address (which is
//! the secret) onwards as a referrer.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web;
use dateline_auth::tokens::hash_token;
use dateline_core::ReleaseStatus;
use dateline_core::visibility::{Viewer, can_view};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::{previews, releases};
use dateline_storage::{DbConnection, write_tx};

use crate::error::{WebError, WebResult};
use crate::extract::{Client, State, Visitor};
use crate::views::release_page::{load_page, release_page};
use crate::views::{self, format};

/// `GET /preview/{token}/media/{file}`: the files of the previewed release (and its issuer's
/// logo) for the link's holder, by the same rule as the page. Fetching them is not another
/// opening.
pub async fn media(
    req: actix_web::HttpRequest,
    state: State,
    path: web::Path<(String, String)>,
) -> WebResult {
    let (token, file) = path.into_inner();
    if token.len() < 40 || token.len() > 64 {
        return Err(WebError::NotFound);
    }
    let (hash, now) = (hash_token(&token), state.clock.now());
    let link = state
        .db(move |conn| previews::live(conn, &hash, now))
        .await?
        .ok_or(WebError::NotFound)?;
    let viewer = Viewer::PreviewLink {
        release_id: link.release_id,
    };
    let mut res = super::media::serve(&req, &state, viewer, &file).await?;
    res.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(res)
}

pub async fn open(state: State, token: web::Path<String>, client: Client) -> WebResult {
    let token = token.into_inner();
    if token.len() < 40 || token.len() > 64 {
        return Err(WebError::NotFound);
    }
    let hash = hash_token(&token);
    let now = state.clock.now();
    let actor = client.anonymous_actor("preview link");
    let loaded = state
        .db(move |conn| -> WebResult<_> {
            // One transaction: a refused opening is not counted, and the first opening's count
            // and audit row commit together.
            write_tx(conn, |conn| {
                let Some(link) = previews::open(conn, &hash, now)? else {
                    return Err(WebError::NotFound);
                };
                let release = releases::get(conn, link.release_id)?;
                if !can_view(
                    Viewer::PreviewLink {
                        release_id: link.release_id,
                    },
                    &release.visibility_facts(),
                    now,
                ) {
                    return Err(WebError::NotFound);
                }
                if link.open_count == 1 {
                    audit_first_opening(conn, &actor, &link, &release.public_id.to_string(), now)?;
                }
                Ok(load_page(conn, release, now)?)
            })
        })
        .await?;
    let newsroom = views::load_newsroom(&state).await?;
    let banner = match (loaded.release.status, loaded.release.embargo_at) {
        (ReleaseStatus::Published, _) => None,
        (ReleaseStatus::Scheduled, Some(t)) => Some(format!(
            "Embargoed: not for publication before {} ({} UTC). This preview is for you alone; do not share the link.",
            format::datetime(t, newsroom.time_zone),
            t.format("%Y-%m-%d %H:%M")
        )),
        _ => Some("Embargoed: this release is not public yet and has no release time. Do not publish or share it.".into()),
    };
    let mut page = release_page(&state, &newsroom, &Visitor(None), loaded, banner);
    page.chrome.noindex = true;
    page.chrome.canonical = None;
    // The page's files are fetched through the link too: readers may not fetch them yet.
    let base = format!("/preview/{token}");
    page.media.rebase(&base);
    if let Some(logo) = page.issuer_logo.as_mut() {
        logo.rebase(&base);
    }
    page.press_kit = String::new();
    let mut res = views::ok(&page)?;
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    Ok(res)
}

fn audit_first_opening(
    conn: &mut DbConnection,
    actor: &dateline_storage::repo::audit::Actor,
    link: &previews::PreviewLink,
    release: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), dateline_storage::StorageError> {
    Entry::new(
        actor,
        AuditAction::PreviewOpen,
        "release",
        release.to_owned(),
        now,
    )
    .detail(format!("link {} ({}), first opening", link.id, link.label))
    .record(conn)
}
