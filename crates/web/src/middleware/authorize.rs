//! Enforces the permission matrix: every request is matched to its route in
//! `dateline_auth::ROUTES`, and the permission declared there is checked before the handler runs.
//! Object-level checks (whose draft is it?) happen in handlers on top.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError, web};
use dateline_auth::permissions::{self, Permission, RouteDef};
use dateline_auth::tokens::Scope;
use dateline_storage::repo::audit::{Actor, AuditAction, Entry, Outcome};

use crate::error::{WebError, WebResult};
use crate::middleware::identity::{Credential, Identity, MaybeIdentity};
use crate::state::AppState;

/// The route definition for a request, found by method and matched pattern.
pub fn route_for(req: &actix_web::HttpRequest) -> Option<&'static RouteDef> {
    let method = match *req.method() {
        Method::GET | Method::HEAD => permissions::Method::Get,
        Method::POST => permissions::Method::Post,
        Method::PUT => permissions::Method::Put,
        Method::DELETE => permissions::Method::Delete,
        _ => return None,
    };
    let pattern = crate::route_pattern::of(req)?;
    // Every request asks twice (here and for the metrics); a scan of the whole table with
    // string comparisons showed in the profile of a kept page.
    static BY_PATTERN: LazyLock<HashMap<(permissions::Method, &'static str), &'static RouteDef>> =
        LazyLock::new(|| {
            permissions::ROUTES
                .iter()
                .map(|r| ((r.method, r.path), r))
                .collect()
        });
    BY_PATTERN.get(&(method, &*pattern)).copied()
}

enum Decision {
    Allow,
    Deny(WebError),
    Redirect(&'static str),
}

fn decide(def: &RouteDef, identity: Option<&Identity>, method: &Method, is_api: bool) -> Decision {
    match def.permission {
        Permission::Public => Decision::Allow,
        Permission::SecondFactor => match identity {
            Some(i) if i.mfa_pending() => Decision::Allow,
            Some(_) => Decision::Redirect("/admin"),
            None => Decision::Redirect("/login"),
        },
        needed => {
            let Some(i) = identity else {
                return Decision::Deny(WebError::Unauthorized);
            };
            if i.mfa_pending() && def.name != "auth.logout" {
                return if is_api {
                    Decision::Deny(WebError::Unauthorized)
                } else {
                    Decision::Redirect("/login/two-factor")
                };
            }
            if i.must_enrol_two_factor
                && !def.name.starts_with("account.")
                && def.name != "auth.logout"
            {
                return if is_api {
                    Decision::Deny(WebError::Forbidden("This newsroom requires two-factor sign-in for your role: enrol in your account settings first.".into()))
                } else {
                    Decision::Redirect("/account/two-factor")
                };
            }
            let read_only = matches!(
                i.credential,
                Credential::Token {
                    scope: Scope::Read,
                    ..
                }
            );
            if read_only && !matches!(*method, Method::GET | Method::HEAD) {
                return Decision::Deny(WebError::Forbidden(
                    "This API token is read-only: create a token with the write scope.".into(),
                ));
            }
            if needed.granted_to(i.role()) {
                Decision::Allow
            } else {
                Decision::Deny(WebError::Forbidden(format!(
                    "Your role ({}) cannot do this.",
                    i.role().label().to_lowercase()
                )))
            }
        }
    }
}

pub async fn authorize(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let Some(def) = route_for(req.request()) else {
        // No route: the router answers 404 or 405 itself.
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    req.extensions_mut().insert(def);
    let identity: Option<Arc<Identity>> =
        req.extensions().get::<MaybeIdentity>().cloned().flatten();
    let is_api = req.path().starts_with("/api/");
    match decide(def, identity.as_deref(), req.method(), is_api) {
        Decision::Allow => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Decision::Redirect(to) => {
            let res = HttpResponse::SeeOther()
                .insert_header(("Location", to))
                .finish();
            Ok(req.into_response(res).map_into_right_body())
        }
        Decision::Deny(err) => {
            if let (WebError::Forbidden(_), Some(i), Some(state)) =
                (&err, &identity, req.app_data::<web::Data<AppState>>())
            {
                record_denial(state, &req, i, def).await;
            }
            Ok(req
                .into_response(err.error_response())
                .map_into_right_body())
        }
    }
}

async fn record_denial(
    state: &AppState,
    req: &ServiceRequest,
    identity: &Identity,
    def: &RouteDef,
) {
    let actor = Actor {
        user_id: Some(identity.user.id),
        label: identity.user.email.clone(),
        ip: super::client_ip::client_ip(req.request(), &state.config.trusted_proxies),
        request_id: super::request_id::of(req.request()),
    };
    let now = state.clock.now();
    let name = def.name;
    let permission = def.permission.as_str();
    let result = state
        .db(move |conn| -> WebResult<_> {
            Entry::new(
                &actor,
                AuditAction::PermissionDenied,
                "route",
                name.to_owned(),
                now,
            )
            .detail(format!("needs {permission}"))
            .outcome(Outcome::Denied)
            .record(conn)?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record a permission denial");
    }
}
