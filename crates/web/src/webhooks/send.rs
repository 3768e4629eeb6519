//! One outbound webhook request, guarded. Dateline calls addresses an admin typed in, so a
//! careless or hostile entry must not reach the machine's own services or the cloud metadata
//! endpoint (`docs/security.md`, server-side requests). Every address a host name resolves to
//! is checked, and the request goes to exactly the checked addresses: a second lookup that
//! answers differently (DNS rebinding) never happens. Redirects are not followed, proxies from
//! the environment are not used, and the whole exchange has a time limit and a size cap.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dateline_core::webhook::is_public_address;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The whole exchange, from connecting to the last byte read.
pub const TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How much of a receiver's answer is read (and kept, shortened, for the log).
pub const RESPONSE_CAP: usize = 64 * 1024;

/// The two clients: one that only reaches public addresses, and one for endpoints whose host an
/// admin allowed onto private networks.
#[derive(Clone)]
pub struct Clients {
    public_only: reqwest::Client,
    any_address: reqwest::Client,
}

impl Clients {
    pub fn new() -> Result<Clients, reqwest::Error> {
        Ok(Clients {
            public_only: client(false)?,
            any_address: client(true)?,
        })
    }

    fn pick(&self, allow_private: bool) -> &reqwest::Client {
        if allow_private {
            &self.any_address
        } else {
            &self.public_only
        }
    }
}

fn client(allow_private: bool) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(Guarded { allow_private }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        .user_agent(concat!("Dateline-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Resolves host names and refuses the lot when any address is not public (unless allowed), so
/// a name cannot mix a public address with an internal one and hope for the second.
struct Guarded {
    allow_private: bool,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = found
                .iter()
                .find(|a| !allow_private && !is_public_address(a.ip()))
            {
                return Err(Refused(format!(
                    "{host} resolves to {}, which is not a public address",
                    bad.ip()
                ))
                .into());
            }
            let addrs: Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// What came of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: Option<u16>,
    pub error: String,
    pub duration: Duration,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// One request.
pub struct Request<'a> {
    pub url: &'a str,
    pub allow_private: bool,
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Sends one POST and reads at most [`RESPONSE_CAP`] of the answer.
pub async fn post(clients: &Clients, req: Request<'_>) -> Outcome {
    let started = Instant::now();
    let result = exchange(clients, req).await;
    let duration = started.elapsed();
    match result {
        Ok((status, note)) => Outcome {
            status: Some(status),
            error: note,
            duration,
        },
        Err(error) => Outcome {
            status: None,
            error,
            duration,
        },
    }
}

async fn exchange(clients: &Clients, req: Request<'_>) -> Result<(u16, String), String> {
    let url = reqwest::Url::parse(req.url).map_err(|e| format!("unusable address: {e}"))?;
    // A literal address is never looked up, so the resolver cannot check it: check it here.
    if let Some(ip) = literal_ip(&url)
        && !req.allow_private
        && !is_public_address(ip)
    {
        return Err(format!("{ip} is not a public address"));
    }
    let mut builder = clients
        .pick(req.allow_private)
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(req.body);
    for (name, value) in req.headers {
        builder = builder.header(name, value);
    }
    let mut response = builder.send().await.map_err(describe)?;
    let status = response.status();
    let mut read = Vec::new();
    while read.len() < RESPONSE_CAP {
        match response.chunk().await {
            Ok(Some(chunk)) => read.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                return Ok((
                    status.as_u16(),
                    format!("answer cut short: {}", describe(e)),
                ));
            }
        }
    }
    let note = if status.is_success() {
        String::new()
    } else {
        let text = String::from_utf8_lossy(&read[..read.len().min(300)]).into_owned();
        let text = text.trim();
        if status.is_redirection() {
            "redirects are not followed; register the final address".to_owned()
        } else {
            text.to_owned()
        }
    };
    Ok((status.as_u16(), note))
}

fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// reqwest's errors say little at the top level; the reason (refused address, timeout, TLS) is
/// in the source chain.
fn describe(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} seconds", TIMEOUT.as_secs());
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
