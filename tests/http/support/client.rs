//! A small HTTP client that keeps cookies like a browser and never follows redirects, so tests
//! see every status and header.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;

/// Clones share cookies (like tabs of one browser) but not extra headers.
#[derive(Clone)]
pub struct Client {
    base: String,
    inner: awc::Client,
    cookies: Rc<RefCell<BTreeMap<String, String>>>,
    headers: RefCell<Vec<(String, String)>>,
}

/// Decodes the HTML entities Askama writes, so tests can look for text as a reader sees it.
pub fn unescape(html: &str) -> String {
    html.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent, for files.
    pub bytes: Vec<u8>,
}

impl Response {
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body:\n{}",
            self.body.chars().take(3000).collect::<String>()
        );
        self
    }

    /// The body with HTML entities decoded.
    pub fn text(&self) -> String {
        unescape(&self.body)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    pub fn location(&self) -> String {
        self.header("location").unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The value of the first hidden `csrf_token` field on the page.
    pub fn csrf(&self) -> String {
        field_value(&self.body, "csrf_token")
            .unwrap_or_else(|| panic!("no csrf_token on the page:\n{}", self.body))
    }

    /// All `Set-Cookie` headers.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect()
    }
}

/// The `value` of the first input named `name` in an HTML page (HTML entities decoded).
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + 7;
    let rest = &tag[v..];
    let end = rest.find('"')?;
    Some(
        rest[..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

impl Client {
    pub fn new(base: &str) -> Self {
        Client {
            base: base.to_owned(),
            inner: awc::Client::builder()
                .disable_redirects()
                .timeout(Duration::from_secs(30))
                .finish(),
            cookies: Rc::default(),
            headers: RefCell::default(),
        }
    }

    /// A client bound to another loopback address, to look like a different client IP.
    pub fn from_address(base: &str, local: std::net::IpAddr) -> Self {
        Client {
            base: base.to_owned(),
            inner: awc::Client::builder()
                .disable_redirects()
                .local_address(local)
                .timeout(Duration::from_secs(30))
                .finish(),
            cookies: Rc::default(),
            headers: RefCell::default(),
        }
    }

    /// Sends this header with every request from now on.
    pub fn with_header(&self, name: &str, value: &str) -> &Self {
        self.headers
            .borrow_mut()
            .push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .borrow_mut()
            .insert(name.to_owned(), value.to_owned());
    }

    pub fn forget_cookies(&self) {
        self.cookies.borrow_mut().clear();
    }

    fn prepare(&self, method: awc::http::Method, path: &str) -> awc::ClientRequest {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{}", self.base, path)
        };
        let mut req = self.inner.request(method, url);
        let cookies = self.cookies.borrow();
        if !cookies.is_empty() {
            let header: Vec<String> = cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.insert_header(("Cookie", header.join("; ")));
        }
        for (k, v) in self.headers.borrow().iter() {
            req = req.insert_header((k.as_str(), v.as_str()));
        }
        req
    }

    async fn finish(
        &self,
        res: Result<
            awc::ClientResponse<
                impl futures_util::Stream<
                    Item = Result<actix_web::web::Bytes, awc::error::PayloadError>,
                > + Unpin,
            >,
            awc::error::SendRequestError,
        >,
    ) -> Response {
        let res = res.expect("the request reaches the server");
        self.read(res).await.expect("a body")
    }

    /// Reads a response, keeping its cookies; `None` when the body is cut off.
    async fn read(
        &self,
        mut res: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
    ) -> Option<Response> {
        for value in res.headers().get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let Ok(cookie) = actix_web::cookie::Cookie::parse(text.to_owned()) else {
                continue;
            };
            let expired = cookie
                .max_age()
                .is_some_and(|a| a.is_zero() || a.is_negative())
                || cookie
                    .expires_datetime()
                    .is_some_and(|t| t < actix_web::cookie::time::OffsetDateTime::now_utc());
            if expired || cookie.value().is_empty() {
                self.cookies.borrow_mut().remove(cookie.name());
            } else {
                self.cookies
                    .borrow_mut()
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let body = res.body().limit(16 * 1024 * 1024).await.ok()?;
        Some(Response {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
            bytes: body.to_vec(),
        })
    }

    pub async fn get(&self, path: &str) -> Response {
        let res = self.prepare(awc::http::Method::GET, path).send().await;
        self.finish(res).await
    }

    pub async fn head(&self, path: &str) -> Response {
        let res = self.prepare(awc::http::Method::HEAD, path).send().await;
        self.finish(res).await
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &str,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut req = self.prepare(method, path);
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        let res = req.send_body(body.to_owned()).await;
        self.finish(res).await
    }

    /// Sends a binary body, with a `Content-Length`.
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        let method = awc::http::Method::from_bytes(method.as_bytes()).expect("a method");
        let req = self
            .prepare(method, path)
            .insert_header(("Content-Type", content_type));
        let res = req.send_body(body).await;
        self.finish(res).await
    }

    /// Sends `chunks` as a chunked body with no declared length, as an endless upload would.
    pub async fn send_chunked(
        &self,
        path: &str,
        content_type: &str,
        chunks: Vec<Vec<u8>>,
    ) -> Result<Response, String> {
        let stream = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, std::io::Error>(actix_web::web::Bytes::from(c))),
        );
        let res = self
            .prepare(awc::http::Method::POST, path)
            .insert_header(("Content-Type", content_type))
            .send_stream(stream)
            .await;
        match res {
            Ok(_) => Ok(self.finish(res).await),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Posts a form as a browser would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.request(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            &body,
        )
        .await
    }

    /// Loads `page`, takes its CSRF token, and posts `fields` with it to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let form = self.get(page).await;
        assert!(
            form.status < 400,
            "GET {page} gave {}:\n{}",
            form.status,
            form.body
        );
        let token = form.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Creates a draft from `body` over the API; returns its public id.
    pub async fn create_release(&self, body: &serde_json::Value) -> String {
        let made = self.json("POST", "/api/v1/releases", body).await;
        made.assert_status(201);
        made.json()["id"].as_str().expect("an id").to_owned()
    }

    /// Creates a release from `body` over the API and publishes it; returns its public id.
    pub async fn publish_release(&self, body: &serde_json::Value) -> String {
        let id = self.create_release(body).await;
        let path = format!("/api/v1/releases/{id}/publish");
        self.json("POST", &path, &serde_json::json!({}))
            .await
            .assert_status(200);
        id
    }

    /// A JSON request with extra headers that may fail: `None` when the server cannot be
    /// reached or drops the connection, as while it is being killed.
    pub async fn try_json(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> Option<Response> {
        let method = awc::http::Method::from_bytes(method.as_bytes()).ok()?;
        let mut req = self.prepare(method, path);
        for &(name, value) in headers {
            req = req.insert_header((name, value));
        }
        let res = match body {
            Some(b) => {
                req.insert_header(("Content-Type", "application/json"))
                    .send_body(b.to_string())
                    .await
            }
            None => req.send().await,
        }
        .ok()?;
        self.read(res).await
    }

    pub async fn json(&self, method: &str, path: &str, body: &serde_json::Value) -> Response {
        self.request(method, path, Some("application/json"), &body.to_string())
            .await
    }
}
