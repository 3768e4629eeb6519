//! Embedded static files, and robots.txt.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::assets;
use crate::error::{WebError, WebResult};
use crate::extract::State;

pub async fn file(name: web::Path<String>) -> WebResult {
    let asset = assets::get(&name).ok_or(WebError::NotFound)?;
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, cache))
        .body(asset.body))
}

pub async fn robots(state: State) -> HttpResponse {
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /login\nDisallow: /preview/\nDisallow: /api/\nAllow: /\n\nSitemap: {}\nSitemap: {}\n",
        state.config.absolute("/sitemap.xml"),
        state.config.absolute("/news-sitemap.xml")
    );
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
