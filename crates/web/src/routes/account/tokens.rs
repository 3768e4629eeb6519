//! API tokens: created by their owner, shown once, stored hashed, revocable by the owner or an
//! admin. Admins see everyone's at `/admin/tokens`.

use actix_web::web;
use askama::Template;
use dateline_auth::tokens::Scope;
use dateline_core::{Role, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::{tokens, users};
use dateline_storage::write_tx;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::routes::auth::reauth;
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::usecases::tokens as issuing;
use crate::views::format;
use crate::views::{self, Chrome};

#[derive(Template)]
#[template(path = "account/tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub tokens: Vec<TokenView>,
    pub all_users: bool,
    pub new_secret: Option<String>,
    pub errors: ValidationErrors,
    /// The name and lifetime from a refused form, so they need not be chosen again.
    pub typed_name: String,
    pub typed_days: u16,
    pub lifetimes: &'static [(u16, &'static str)],
    pub revoke_base: &'static str,
}

pub struct TokenView {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub scope: String,
    pub prefix: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
    pub expires: String,
    pub expired: bool,
}

/// The lifetimes offered for a new token, in days; 0 means until revoked. A token that ends is
/// one fewer forgotten credential, so the form starts at 90 days.
pub const LIFETIMES: &[(u16, &str)] = &[
    (30, "30 days"),
    (90, "90 days"),
    (365, "1 year"),
    (0, "Until revoked"),
];
const DEFAULT_DAYS: u16 = 90;

/// The list with an empty form: admins' `/admin/tokens` when `all_users`, else one's own.
pub async fn page(
    state: &AppState,
    staff: &Staff,
    all_users: bool,
    new_secret: Option<String>,
    notice: Option<&str>,
) -> WebResult {
    let form = Typed {
        name: "",
        days: DEFAULT_DAYS,
    };
    let errors = ValidationErrors::new();
    page_with_name(state, staff, all_users, new_secret, errors, notice, form).await
}

/// What a refused form held.
struct Typed<'a> {
    name: &'a str,
    days: u16,
}

/// The page, with what was typed into a refused form kept in it.
async fn page_with_name(
    state: &AppState,
    staff: &Staff,
    all_users: bool,
    new_secret: Option<String>,
    errors: ValidationErrors,
    notice: Option<&str>,
    typed: Typed<'_>,
) -> WebResult {
    let section = if all_users { "users" } else { "account" };
    let (chrome, newsroom) =
        views::staff_chrome(state, "API tokens", staff, section, notice).await?;
    let owner = (!all_users).then_some(staff.user.id);
    let (list, people) = state
        .db(move |conn| -> WebResult<_> {
            Ok((tokens::list_api_tokens(conn, owner)?, users::all(conn)?))
        })
        .await?;
    let (zone, now) = (newsroom.time_zone, state.clock.now());
    let tokens = list
        .into_iter()
        .map(|t| TokenView {
            expired: t.expired(now),
            id: t.id,
            owner: people
                .iter()
                .find(|u| u.id == t.user_id)
                .map(|u| u.email.clone())
                .unwrap_or_default(),
            name: t.name,
            scope: t.scope,
            prefix: t.prefix,
            created: format::datetime(t.created_at, zone),
            last_used: t
                .last_used_at
                .map(|u| format::datetime(u, zone))
                .unwrap_or_else(|| "never".into()),
            revoked: t.revoked_at.is_some(),
            expires: t
                .expires_at
                .map(|e| format::datetime(e, zone))
                .unwrap_or_else(|| "when revoked".into()),
        })
        .collect();
    views::render(
        views::form_status(&errors),
        &TokensPage {
            chrome,
            tokens,
            all_users,
            new_secret,
            errors,
            typed_name: typed.name.to_owned(),
            typed_days: typed.days,
            lifetimes: LIFETIMES,
            revoke_base: base(all_users),
        },
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    /// Days until the token stops working; 0 for until revoked.
    #[serde(default)]
    days: Option<u16>,
    #[serde(default)]
    password: String,
}

pub async fn create(state: State, staff: Staff, CsrfForm(f): CsrfForm<CreateForm>) -> WebResult {
    let caller = staff.caller();
    let mut e = ValidationErrors::new();
    issuing::check_name(&mut e, &f.name);
    let scope = Scope::parse(&f.scope);
    if scope.is_none() {
        e.add("scope", "Choose read or write.");
    }
    let days = f.days.unwrap_or(DEFAULT_DAYS);
    if !LIFETIMES.iter().any(|(d, _)| *d == days) {
        e.add("days", "Choose one of the lifetimes offered.");
    }
    if e.is_empty() && !reauth::current_password_ok(&state, &staff, &f.password).await? {
        // A token outlives the session that made it, so a borrowed session must not make one.
        e.add("password", "Your password is not right.");
    }
    let Some(scope) = scope.filter(|_| e.is_empty()) else {
        let typed = Typed {
            name: &f.name,
            days: if LIFETIMES.iter().any(|(d, _)| *d == days) {
                days
            } else {
                DEFAULT_DAYS
            },
        };
        return page_with_name(&state, &staff, false, None, e, None, typed).await;
    };
    let now = state.clock.now();
    let owner = staff.user.clone();
    let issued = state
        .db(move |conn| {
            let request = issuing::Request {
                name: &f.name,
                scope,
                days: (days > 0).then_some(days),
            };
            issuing::issue(conn, &caller, &owner, &request, now)
        })
        .await?;
    page(&state, &staff, false, Some(issued.secret), Some("created")).await
}

/// Where the list lives: everyone's tokens for admins, or one's own.
fn base(all_users: bool) -> &'static str {
    if all_users {
        "/admin/tokens"
    } else {
        "/account/tokens"
    }
}

/// One's own tokens at `/account/tokens`; everyone's at `/admin/tokens` when `ALL`.
pub async fn list<const ALL: bool>(state: State, staff: Staff, notice: Notice) -> WebResult {
    page(&state, &staff, ALL, None, notice.as_deref()).await
}

/// Revokes a token the person owns, or with `ALL` (admins, from `/admin/tokens`) anyone's.
/// Someone else's token is a 404 otherwise: an admin revoking on their own list still acts only
/// on their own tokens there.
pub async fn revoke<const ALL: bool>(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    _: CsrfOnly,
) -> WebResult {
    let id = id.into_inner();
    let now = state.clock.now();
    let actor = staff.actor();
    let user_id = staff.user.id;
    let any = ALL && staff.user.role == Role::Admin;
    state
        .db(move |conn| -> WebResult<_> {
            let token = tokens::get_api_token(conn, id)?;
            if token.user_id != user_id && !any {
                return Err(WebError::NotFound);
            }
            write_tx(conn, |conn| {
                tokens::revoke_api_token(conn, id, now)?;
                Entry::new(&actor, AuditAction::TokenRevoke, "api_token", id, now)
                    .detail(token.name.clone())
                    .record(conn)
            })?;
            Ok(())
        })
        .await?;
    Ok(views::see_other(format!(
        "{}?notice=token-revoked",
        base(ALL)
    )))
}
