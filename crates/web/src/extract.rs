//! Extractors for who is asking, from where, and what a redirect told the next page.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use dateline_storage::repo::audit::Actor;
use serde::Deserialize;

use crate::error::WebError;
use crate::middleware::identity::{Identity, MaybeIdentity};
use crate::state::AppState;
use crate::usecases::Caller;

/// The application state as a handler receives it.
pub type State = web::Data<AppState>;

fn identity_of(req: &HttpRequest) -> Option<Arc<Identity>> {
    req.extensions().get::<MaybeIdentity>().cloned().flatten()
}

/// An extractor built from the request's identity: `$make` turns the request and the identity
/// into the value, or into `None` when this identity does not qualify, which answers 401.
macro_rules! from_identity {
    ($t:ty, |$req:ident, $i:ident| $make:expr) => {
        impl FromRequest for $t {
            type Error = actix_web::Error;
            type Future = Ready<Result<Self, Self::Error>>;
            fn from_request($req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(
                    identity_of($req)
                        .and_then(|$i| $make)
                        .ok_or_else(|| WebError::Unauthorized.into()),
                )
            }
        }
    };
}

/// Anyone: the identity if signed in (fully, past any second factor).
pub struct Visitor(pub Option<Arc<Identity>>);

impl Visitor {
    pub fn identity(&self) -> Option<&Identity> {
        self.0.as_deref()
    }

    pub fn viewer(&self) -> dateline_core::Viewer {
        self.0
            .as_ref()
            .map_or(dateline_core::Viewer::Anonymous, |i| i.viewer())
    }
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Visitor(identity_of(req).filter(|i| !i.mfa_pending()))))
    }
}

/// A signed-in person. The permission middleware has already checked the route's permission;
/// this refuses anyone else again, so a handler can never run anonymously by mistake.
/// It carries the audit actor too (who, and from where), so a handler that changes something
/// needs no second extractor to record it.
pub struct Staff(pub Arc<Identity>, Actor);

impl Staff {
    /// Who the audit log records for this request: the account and the client's address.
    pub fn actor(&self) -> Actor {
        self.1.clone()
    }

    /// The signed-in person as a use case sees them (see `crate::usecases`).
    pub fn caller(&self) -> Caller {
        Caller {
            user_id: Some(self.0.user.id),
            role: self.0.role(),
            actor: self.1.clone(),
        }
    }
}

impl std::ops::Deref for Staff {
    type Target = Identity;
    fn deref(&self) -> &Identity {
        &self.0
    }
}

impl crate::usecases::access::Principal for Staff {
    fn user_id(&self) -> Option<i64> {
        Some(self.user.id)
    }

    fn role(&self) -> dateline_core::Role {
        self.user.role
    }
}

from_identity!(Staff, |req, i| (!i.mfa_pending()).then(|| {
    let actor = Client::of(req).actor(Some(&i));
    Staff(i, actor)
}));

/// Someone who gave a correct password and still owes the second factor.
pub struct PendingSecondFactor(pub Arc<Identity>);

from_identity!(PendingSecondFactor, |_req, i| i
    .mfa_pending()
    .then_some(PendingSecondFactor(i)));

/// Any signed-in session, including one still owing its second factor (for signing out).
pub struct AnySession(pub Arc<Identity>);

from_identity!(AnySession, |_req, i| Some(AnySession(i)));

/// Where a request came from, as the audit log records it.
pub struct Client {
    pub ip: String,
    pub request_id: String,
    pub user_agent: String,
}

impl Client {
    pub fn actor(&self, identity: Option<&Identity>) -> Actor {
        Actor {
            user_id: identity.map(|i| i.user.id),
            label: identity.map(|i| i.user.email.clone()).unwrap_or_default(),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
        }
    }

    pub fn anonymous_actor(&self, label: &str) -> Actor {
        Actor {
            user_id: None,
            label: label.to_owned(),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
        }
    }
}

impl Client {
    fn of(req: &HttpRequest) -> Client {
        let proxies = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.config.trusted_proxies.clone())
            .unwrap_or_default();
        Client {
            ip: crate::middleware::client_ip::client_ip(req, &proxies),
            request_id: crate::middleware::request_id::of(req),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(300)
                .collect(),
        }
    }
}

impl FromRequest for Client {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Client::of(req)))
    }
}

/// The signed-in person acting, as the audit log records them: who (as [`Staff`] is) and from
/// where (as [`Client`] is), in one value.
pub struct Acting(pub Actor);

from_identity!(Acting, |req, i| (!i.mfa_pending())
    .then(|| Acting(Client::of(req).actor(Some(&i)))));

// The signed-in person as a use case sees them (see `crate::usecases`): their account, their
// role, and where the request came from, for the audit log.
from_identity!(Caller, |req, i| (!i.mfa_pending()).then(|| Caller {
    user_id: Some(i.user.id),
    role: i.role(),
    actor: Client::of(req).actor(Some(&i)),
}));

/// The flash notice a redirect left in the address (`?notice=saved`), for the page to show.
/// Read as a query like any other, so a malformed one gets the same 400 as before.
pub struct Notice(pub Option<String>);

impl Notice {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

#[derive(Deserialize)]
struct NoticeParam {
    notice: Option<String>,
}

impl FromRequest for Notice {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            web::Query::<NoticeParam>::from_request(req, payload)
                .into_inner()
                .map(|q| Notice(q.into_inner().notice)),
        )
    }
}
