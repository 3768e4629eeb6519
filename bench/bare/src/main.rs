//! `bare PAGE [HEADERS] [PORT]`: answers every request with PAGE's bytes from memory, plus the
//! `name: value` lines of HEADERS (e.g. Dateline's own response headers, saved with `curl -D`).
//! It is what "a bare actix-web handler" means in docs/performance.md: the most actix-web can do
//! with the same bytes, so Dateline's cost per request can be told apart from the framework's.

use std::io::{Error, ErrorKind, Result};

use actix_web::{App, HttpResponse, HttpServer, web};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The `name: value` lines of a saved header block; the status line and anything the server
/// sets itself (length, date) are left out.
fn headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
        .filter(|(name, _)| !matches!(name.as_str(), "content-length" | "date" | "content-type"))
        .collect()
}

#[actix_web::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let Some(page) = args.get(1) else {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "usage: bare PAGE [HEADERS] [PORT]",
        ));
    };
    let body = web::Bytes::from(std::fs::read(page)?);
    let extra = match args.get(2) {
        Some(path) => headers(&std::fs::read_to_string(path)?),
        None => Vec::new(),
    };
    let port: u16 = match args.get(3) {
        Some(p) => p
            .parse()
            .map_err(|e| Error::new(ErrorKind::InvalidInput, e))?,
        None => 18090,
    };
    HttpServer::new(move || {
        let (body, extra) = (body.clone(), extra.clone());
        App::new().default_service(web::to(move || {
            let mut res = HttpResponse::Ok();
            res.content_type("text/html; charset=utf-8");
            for (name, value) in &extra {
                res.insert_header((name.as_str(), value.as_str()));
            }
            let res = res.body(body.clone());
            async move { res }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
