//! `/admin/users`: accounts, roles, invitations, reset links and sessions. Admins only.
//! Changing someone's role or disabling them ends all of their sessions; the last active admin
//! cannot remove themselves.

use actix_web::web;
use askama::Template;
use dateline_auth::tokens::{hash_token, random_token};
use dateline_core::user::{check_role_change, normalize_email};
use dateline_core::{Role, ValidationErrors};
use dateline_storage::repo::audit::{AuditAction, Entry};
use dateline_storage::repo::sessions;
use dateline_storage::repo::tokens::{self, LinkKind, NewLink};
use dateline_storage::repo::users::{self, UserUpdate};
use dateline_storage::{StorageError, write_tx};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Notice, Staff, State};
use crate::routes::forms::{CsrfForm, CsrfOnly};
use crate::state::AppState;
use crate::usecases::users::{self as accounts, AccountError, Origin, Typed};
use crate::views::{self, Chrome, format};

const ROLES: [(&str, &str); 3] = [
    ("contributor", "Contributor"),
    ("editor", "Editor"),
    ("admin", "Admin"),
];

/// How long links made here work.
pub const INVITE_DAYS: i64 = 7;
pub const RESET_HOURS: i64 = 1;

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    chrome: Chrome,
    people: Vec<PersonRow>,
    roles: [(&'static str, &'static str); 3],
    min_length: usize,
    drafts: Drafts,
}

struct PersonRow {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    totp: bool,
    disabled: bool,
}

#[derive(Default)]
struct Drafts {
    invite_errors: ValidationErrors,
    invite_email: String,
    invite_name: String,
    create_errors: ValidationErrors,
    create_email: String,
    create_name: String,
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    notice: Option<&str>,
    drafts: Drafts,
) -> WebResult {
    let (chrome, _) = views::staff_chrome(state, "People", staff, "users", notice).await?;
    let people = state
        .db(|conn| -> WebResult<_> {
            let all = users::all(conn)?;
            all.into_iter()
                .map(|u| {
                    let totp = users::credentials(conn, u.id)?.totp_enabled;
                    Ok(PersonRow {
                        id: u.id,
                        name: u.display_name,
                        email: u.email,
                        role: u.role.label(),
                        totp,
                        disabled: u.disabled,
                    })
                })
                .collect::<WebResult<Vec<_>>>()
        })
        .await?;
    // Either form refused makes the page a 422.
    let status =
        views::form_status(&drafts.invite_errors).max(views::form_status(&drafts.create_errors));
    views::render(
        status,
        &UsersPage {
            chrome,
            people,
            roles: ROLES,
            min_length: state.password_policy.min_length,
            drafts,
        },
    )
}

pub async fn list(state: State, staff: Staff, notice: Notice) -> WebResult {
    list_page(&state, &staff, notice.as_deref(), Drafts::default()).await
}

const ROLE_MESSAGE: &str = "Choose contributor, editor or admin.";

fn parse_role(s: &str, e: &mut ValidationErrors) -> Role {
    s.parse::<Role>().unwrap_or_else(|_| {
        e.add("role", ROLE_MESSAGE);
        Role::Contributor
    })
}

/// Who a new account is for, as both the invitation form and the create form ask it.
#[derive(Deserialize)]
pub struct PersonForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(flatten)]
    person: PersonForm,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn create(state: State, staff: Staff, CsrfForm(f): CsrfForm<CreateForm>) -> WebResult {
    let caller = staff.caller();
    let (password, confirm, f) = (f.password, f.confirm, f.person);
    let email = normalize_email(&f.email);
    let typed = Typed {
        email: &email,
        name: &f.name,
        password: &password,
        confirm: &confirm,
    };
    let outcome = match f.role.parse::<Role>() {
        Ok(role) => accounts::register(&state, &caller, typed, Origin::Chosen(role)).await,
        // An unknown role is listed with whatever else the form got wrong.
        Err(_) => {
            let mut e = accounts::account_errors(state.password_policy, &typed);
            e.add("role", ROLE_MESSAGE);
            Err(AccountError::Invalid(e))
        }
    };
    let (refused, create_email) = match outcome {
        Ok(user) => {
            let to = format!("/admin/users/{}?notice=user-created", user.id);
            return Ok(views::see_other(to));
        }
        // The address is shown as it was typed, since it is the one to correct.
        Err(e @ AccountError::Taken(_)) => (WebError::from(e), f.email),
        Err(e) => (WebError::from(e), email),
    };
    let WebError::Invalid(create_errors) = refused else {
        return Err(refused);
    };
    let drafts = Drafts {
        create_errors,
        create_email,
        create_name: f.name,
        ..Default::default()
    };
    list_page(&state, &staff, None, drafts).await
}

#[derive(Template)]
#[template(path = "admin/link_created.html")]
struct LinkPage {
    chrome: Chrome,
    heading: String,
    explanation: String,
    link: String,
    expires: String,
    back: String,
}

pub async fn invite(state: State, staff: Staff, CsrfForm(f): CsrfForm<PersonForm>) -> WebResult {
    let email = normalize_email(&f.email);
    let mut e = ValidationErrors::new();
    if !dateline_core::user::is_plausible_email(&email) {
        e.add("email", "Enter an email address such as ana@example.com.");
    }
    e.line("name", &f.name, true, 100);
    let role = parse_role(&f.role, &mut e);
    let lookup = email.clone();
    if e.is_empty()
        && state
            .db(move |conn| users::find_by_email(conn, &lookup))
            .await?
            .is_some()
    {
        e.add("email", "An account with this email already exists.");
    }
    if !e.is_empty() {
        return list_page(
            &state,
            &staff,
            None,
            Drafts {
                invite_errors: e,
                invite_email: email,
                invite_name: f.name,
                ..Default::default()
            },
        )
        .await;
    }
    let token = random_token();
    let hash = hash_token(&token);
    let now = state.clock.now();
    let expires = now + chrono::Duration::days(INVITE_DAYS);
    let actor = staff.actor();
    let (name, created_by, mail) = (f.name.trim().to_owned(), staff.user.id, email.clone());
    state
        .db(move |conn| -> WebResult<_> {
            write_tx(conn, |conn| {
                tokens::create_link(
                    conn,
                    &NewLink {
                        kind: LinkKind::Invite,
                        hash: &hash,
                        user_id: None,
                        email: Some(&mail),
                        display_name: Some(&name),
                        role: Some(role),
                        created_by: Some(created_by),
                        now,
                        expires_at: expires,
                    },
                )?;
                Entry::new(&actor, AuditAction::UserInvite, "user", mail.clone(), now)
                    .detail(format!("invited as {role}"))
                    .record(conn)
            })?;
            Ok(())
        })
        .await?;
    let (chrome, newsroom) =
        views::staff_chrome(&state, "Invitation link", &staff, "users", Some("invited")).await?;
    views::ok(&LinkPage {
        chrome,
        heading: format!("Invitation for {email}"),
        explanation: format!(
            "Send this link to {email}. It lets them choose a password and join as {}.",
            role.label().to_lowercase()
        ),
        link: state.config.absolute(&format!("/invite/{token}")),
        expires: format::datetime(expires, newsroom.time_zone),
        back: "/admin/users".into(),
    })
}

#[derive(Template)]
#[template(path = "admin/user_edit.html")]
struct EditPage {
    chrome: Chrome,
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    disabled: bool,
    totp: bool,
    joined: String,
    revision: i64,
    roles: [(&'static str, &'static str); 3],
    sessions: Vec<(String, String, String)>,
    errors: ValidationErrors,
}

async fn edit_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    notice: Option<&str>,
    errors: ValidationErrors,
) -> WebResult {
    let (chrome, newsroom) =
        views::staff_chrome(state, "Edit account", staff, "users", notice).await?;
    let (user, creds, list) = crate::routes::account::with_sessions(state, id).await?;
    let zone = newsroom.time_zone;
    views::render(
        views::form_status(&errors),
        &EditPage {
            chrome,
            id: user.id,
            name: user.display_name.clone(),
            email: user.email.clone(),
            role: user.role.as_str(),
            disabled: user.disabled,
            totp: creds.totp_enabled,
            joined: format::date(user.created_at, zone),
            revision: user.revision,
            roles: ROLES,
            sessions: list
                .into_iter()
                .map(|s| {
                    (
                        s.ip,
                        format::datetime(s.created_at, zone),
                        format::datetime(s.last_seen_at, zone),
                    )
                })
                .collect(),
            errors,
        },
    )
}

pub async fn edit(state: State, staff: Staff, id: web::Path<i64>, notice: Notice) -> WebResult {
    edit_page(
        &state,
        &staff,
        id.into_inner(),
        notice.as_deref(),
        ValidationErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    disabled: Option<String>,
    revision: i64,
}

pub async fn save(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    CsrfForm(f): CsrfForm<EditForm>,
) -> WebResult {
    let id = id.into_inner();
    let mut e = ValidationErrors::new();
    e.line("display_name", &f.display_name, true, 100);
    let role = parse_role(&f.role, &mut e);
    let disabled = f.disabled.as_deref() == Some("true");
    if !dateline_auth::permissions::may_assign_role(staff.user.role, role) {
        return Err(WebError::Forbidden("Only admins assign roles.".into()));
    }
    if !e.is_empty() {
        return edit_page(&state, &staff, id, None, e).await;
    }
    let now = state.clock.now();
    let actor = staff.actor();
    let name = f.display_name.trim().to_owned();
    let outcome = state
        .db(move |conn| {
            write_tx(conn, |conn| {
                // Locked before anything is read, so that what is read stays true until commit.
                let admins = users::lock_active_admins(conn)?;
                let before = users::get(conn, id)?;
                if let Err(refused) = check_role_change(&before, role, disabled, admins) {
                    return Ok(Err(ValidationErrors::single("role", refused.to_string())));
                }
                let after = users::update(
                    conn,
                    id,
                    f.revision,
                    &UserUpdate {
                        display_name: name,
                        role,
                        disabled,
                        time_zone: before.time_zone.clone(),
                    },
                )?;
                let mut changes = Vec::new();
                if before.role != after.role {
                    changes.push(format!("role {} -> {}", before.role, after.role));
                    Entry::new(&actor, AuditAction::RoleChange, "user", id, now)
                        .detail(format!("{} -> {}", before.role, after.role))
                        .record(conn)?;
                }
                if before.disabled != after.disabled {
                    changes.push(if after.disabled {
                        "disabled".to_owned()
                    } else {
                        "enabled".to_owned()
                    });
                    let action = if after.disabled {
                        AuditAction::UserDisable
                    } else {
                        AuditAction::UserEnable
                    };
                    Entry::new(&actor, action, "user", id, now)
                        .detail(after.email.clone())
                        .record(conn)?;
                }
                if !changes.is_empty() {
                    // Their sessions end; if an admin changed their own role, theirs too.
                    sessions::delete_for_user(conn, id, None)?;
                }
                Ok::<_, StorageError>(Ok(()))
            })
        })
        .await?;
    match outcome {
        Ok(()) if id == staff.user.id && (role != staff.user.role || disabled) => {
            Ok(views::see_other("/login"))
        }
        Ok(()) => Ok(views::see_other(format!("/admin/users/{id}?notice=saved"))),
        Err(e) => edit_page(&state, &staff, id, None, e).await,
    }
}

pub async fn reset_link(state: State, staff: Staff, id: web::Path<i64>, _: CsrfOnly) -> WebResult {
    let id = id.into_inner();
    let token = random_token();
    let hash = hash_token(&token);
    let now = state.clock.now();
    let expires = now + chrono::Duration::hours(RESET_HOURS);
    let actor = staff.actor();
    let created_by = staff.user.id;
    let user = state
        .db(move |conn| -> WebResult<_> {
            let user = users::get(conn, id)?;
            write_tx(conn, |conn| {
                // Only the newest reset link works.
                tokens::expire_links(conn, LinkKind::Reset, Some(id), now)?;
                tokens::create_link(
                    conn,
                    &NewLink {
                        kind: LinkKind::Reset,
                        hash: &hash,
                        user_id: Some(id),
                        email: None,
                        display_name: None,
                        role: None,
                        created_by: Some(created_by),
                        now,
                        expires_at: expires,
                    },
                )?;
                Entry::new(&actor, AuditAction::ResetLink, "user", id, now)
                    .detail(user.email.clone())
                    .record(conn)
            })?;
            Ok(user)
        })
        .await?;
    let (chrome, newsroom) = views::staff_chrome(
        &state,
        "Password reset link",
        &staff,
        "users",
        Some("reset-link"),
    )
    .await?;
    views::ok(&LinkPage {
        chrome,
        heading: format!("Password reset for {}", user.display_name),
        explanation: format!(
            "Send this link to {}. It lets them choose a new password; their sessions end when they do.",
            user.email
        ),
        link: state.config.absolute(&format!("/reset/{token}")),
        expires: format::datetime(expires, newsroom.time_zone),
        back: format!("/admin/users/{id}"),
    })
}

pub async fn revoke_sessions(
    state: State,
    staff: Staff,
    id: web::Path<i64>,
    _: CsrfOnly,
) -> WebResult {
    let id = id.into_inner();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db(move |conn| -> WebResult<_> {
            users::get(conn, id)?;
            let ended = sessions::delete_for_user(conn, id, None)?;
            Entry::new(&actor, AuditAction::SessionsRevoke, "user", id, now)
                .detail(format!("{ended} session(s) ended by an admin"))
                .record(conn)?;
            Ok(())
        })
        .await?;
    if id == staff.user.id {
        return Ok(views::see_other("/login"));
    }
    Ok(views::see_other(format!(
        "/admin/users/{id}?notice=sessions-revoked"
    )))
}
