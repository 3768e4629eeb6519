//! `/admin/media`: the media library. Editors find any file by name, words, type or release,
//! see what uses it, replace its bytes everywhere at once, and delete it (one in use only after
//! saying so).

use actix_web::{HttpRequest, web};
use askama::Template;
use dateline_core::PublicId;
use dateline_core::media::MediaKind;
use dateline_storage::repo::media::{self as stored, LibraryItem, LibraryQuery};
use dateline_storage::repo::releases;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::routes::forms::CsrfForm;
use crate::routes::public::media::url;
use crate::routes::uploads;
use crate::usecases::media;
use crate::views::media::human_size;
use crate::views::{self, Chrome};

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    /// A release's public id.
    #[serde(default)]
    release: String,
    #[serde(default)]
    page: Option<i64>,
}

struct Row {
    id: i64,
    thumb: Option<String>,
    href: String,
    name: String,
    about: String,
    alt: String,
    /// (link, text) of what uses the file.
    used_by: Option<(String, String)>,
    uploaded: String,
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct LibraryPage {
    chrome: Chrome,
    rows: Vec<Row>,
    q: String,
    kind: String,
    release: String,
    kinds: Vec<(&'static str, &'static str)>,
    next_page: Option<String>,
}

pub async fn library(
    state: State,
    staff: Staff,
    filter: web::Query<Filter>,
    notice: Notice,
) -> WebResult {
    let f = filter.into_inner();
    let kind =
        match f.kind.as_str() {
            "" => None,
            k => Some(MediaKind::parse(k).ok_or_else(|| {
                WebError::bad_query("kind", "Choose jpeg, png, webp, gif or pdf.")
            })?),
        };
    let page = f.page.unwrap_or(0);
    if !(0..=10_000).contains(&page) {
        return Err(WebError::bad_query("page", "No such page."));
    }
    let release = f.release.trim().to_owned();
    let release_key = match release.as_str() {
        "" => None,
        id => Some(id.parse::<PublicId>().map_err(|_| {
            WebError::bad_query("release", "That is not a release id (e.g. 7K2M9Q4TXR).")
        })?),
    };
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Media library", &staff, "media", notice.as_deref()).await?;
    let text = f.q.clone();
    let (items, more) = state
        .db(move |conn| -> WebResult<_> {
            let release_id = match release_key {
                Some(p) => Some(releases::get_by_public_id(conn, &p)?.id),
                None => None,
            };
            let q = LibraryQuery {
                text,
                kind,
                release_id,
                page,
                per_page: PER_PAGE,
            };
            Ok(stored::library(conn, &q)?)
        })
        .await?;
    let zone = newsroom.time_zone;
    let next_page = more.then(|| {
        let query = serde_html_form::to_string([
            ("q", f.q.as_str()),
            ("kind", f.kind.as_str()),
            ("release", release.as_str()),
            ("page", &(page + 1).to_string()),
        ])
        .unwrap_or_default();
        format!("/admin/media?{query}")
    });
    views::render(
        actix_web::http::StatusCode::OK,
        &LibraryPage {
            chrome,
            rows: items.iter().map(|i| row(i, zone)).collect(),
            q: f.q,
            kind: f.kind,
            release,
            kinds: MediaKind::ALL
                .iter()
                .map(|k| (k.as_str(), k.extensions()[0]))
                .collect(),
            next_page,
        },
    )
}

fn row(item: &LibraryItem, zone: chrono_tz::Tz) -> Row {
    let m = &item.media;
    let kind = m.kind.as_str().to_uppercase();
    let size = human_size(m.byte_size);
    let used_by = match (&item.release, &item.organization) {
        (Some((public_id, _, headline)), _) => Some((
            format!("/admin/releases/{public_id}"),
            format!("Release: {headline}"),
        )),
        (None, Some((id, name))) => Some((
            format!("/admin/organizations/{id}"),
            format!("Logo of {name}"),
        )),
        (None, None) => None,
    };
    Row {
        id: m.id,
        thumb: m.renditions.first().map(|r| url(&r.sha256, r.format)),
        href: url(&m.sha256, m.kind),
        name: m.original_name.clone(),
        about: match m.dimensions {
            Some((w, h)) => format!("{kind}, {w}×{h}, {size}"),
            None => format!("{kind}, {size}"),
        },
        alt: m.alt.clone(),
        used_by,
        uploaded: views::format::Moment::new(m.created_at, zone).date,
    }
}

/// `POST /admin/media/{id}/replace`: new bytes under the same file.
pub async fn replace(
    req: HttpRequest,
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    payload: web::Payload,
) -> WebResult {
    let received = uploads::read_form(&req, payload).await?;
    let up = received;
    media::replace(&state, &staff.caller(), *id, &up.file_name, up.bytes).await?;
    Ok(views::see_other("/admin/media?notice=file-replaced"))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/media/{id}/delete`.
pub async fn delete(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(f): CsrfForm<DeleteForm>,
) -> WebResult {
    let confirmed = f.confirm == "yes";
    media::delete(&state, &staff.caller(), *id, confirmed).await?;
    Ok(views::see_other("/admin/media?notice=file-removed"))
}
