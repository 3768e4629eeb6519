//! The append-only audit log. Rows are only ever inserted; both backends refuse UPDATE and DELETE
//! with a trigger. The one exception is [`prune_before`], an operator's retention policy.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use dateline_core::workflow::Transition;

use crate::connection::{DbConnection, write_tx};
use crate::error::Result;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{audit_log, audit_prune_permits};
use crate::time::{from_db, to_db};

/// Who did something, from where. Built by the web layer from the vetted client address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    /// A readable name for the log page: an email, "scheduler", "cli", or the attempted email.
    pub label: String,
    pub ip: String,
    pub request_id: String,
}

impl Actor {
    pub fn system(label: &str) -> Self {
        Actor {
            label: label.to_owned(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// Every kind of row the audit log holds. [`AuditAction::as_str`] is what is stored, listed and
/// filtered on the audit page, so a variant's text never changes once rows carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    LoginOk,
    /// The password was right and a second factor is still owed.
    LoginPasswordOk,
    LoginFailed,
    Lockout,
    Logout,
    TwoFactorFailed,
    TwoFactorEnable,
    TwoFactorDisable,
    PasswordChange,
    PasswordReset,
    SessionsRevoke,
    TokenCreate,
    TokenRevoke,
    UserCreate,
    UserInvite,
    UserEnable,
    UserDisable,
    RoleChange,
    ResetLink,
    SettingsChange,
    OrganizationCreate,
    OrganizationUpdate,
    OrganizationDelete,
    TaxonomyCreate,
    TaxonomyUpdate,
    TaxonomyDelete,
    ReleaseCreate,
    Save,
    Restore,
    ChangeSlug,
    /// A workflow move, stored under the transition's own name ("submit", "publish", …).
    Transition(Transition),
    PreviewLinkCreate,
    PreviewLinkRevoke,
    PreviewOpen,
    PermissionDenied,
    KeyRotate,
    AuditPrune,
    WebhookCreate,
    WebhookUpdate,
    WebhookDelete,
    WebhookSecretRotate,
    WebhookResend,
    MediaUpload,
    MediaReplace,
    MediaDelete,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        use AuditAction as A;
        match self {
            A::LoginOk => "login_ok",
            A::LoginPasswordOk => "login_password_ok",
            A::LoginFailed => "login_failed",
            A::Lockout => "lockout",
            A::Logout => "logout",
            A::TwoFactorFailed => "two_factor_failed",
            A::TwoFactorEnable => "two_factor_enable",
            A::TwoFactorDisable => "two_factor_disable",
            A::PasswordChange => "password_change",
            A::PasswordReset => "password_reset",
            A::SessionsRevoke => "sessions_revoke",
            A::TokenCreate => "token_create",
            A::TokenRevoke => "token_revoke",
            A::UserCreate => "user_create",
            A::UserInvite => "user_invite",
            A::UserEnable => "user_enable",
            A::UserDisable => "user_disable",
            A::RoleChange => "role_change",
            A::ResetLink => "reset_link",
            A::SettingsChange => "settings_change",
            A::OrganizationCreate => "organization_create",
            A::OrganizationUpdate => "organization_update",
            A::OrganizationDelete => "organization_delete",
            A::TaxonomyCreate => "taxonomy_create",
            A::TaxonomyUpdate => "taxonomy_update",
            A::TaxonomyDelete => "taxonomy_delete",
            A::ReleaseCreate => "release_create",
            A::Save => "save",
            A::Restore => "restore",
            A::ChangeSlug => "change_slug",
            A::Transition(t) => t.as_str(),
            A::PreviewLinkCreate => "preview_link_create",
            A::PreviewLinkRevoke => "preview_link_revoke",
            A::PreviewOpen => "preview_open",
            A::PermissionDenied => "permission_denied",
            A::KeyRotate => "key_rotate",
            A::AuditPrune => "audit_prune",
            A::WebhookCreate => "webhook_create",
            A::WebhookUpdate => "webhook_update",
            A::WebhookDelete => "webhook_delete",
            A::WebhookSecretRotate => "webhook_secret_rotate",
            A::WebhookResend => "webhook_resend",
            A::MediaUpload => "media_upload",
            A::MediaReplace => "media_replace",
            A::MediaDelete => "media_delete",
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: AuditAction,
    pub object_type: &'a str,
    pub object_id: String,
    pub outcome: Outcome,
    pub detail: String,
    pub at: DateTime<Utc>,
}

impl<'a> Entry<'a> {
    /// `actor` did `action` to the object `object_type` `object_id`, successfully and with
    /// nothing more to say; [`Entry::detail`] and [`Entry::outcome`] add the rest.
    pub fn new(
        actor: &'a Actor,
        action: AuditAction,
        object_type: &'a str,
        object_id: impl ToString,
        at: DateTime<Utc>,
    ) -> Self {
        Entry {
            actor,
            action,
            object_type,
            object_id: object_id.to_string(),
            outcome: Outcome::Ok,
            detail: String::new(),
            at,
        }
    }

    pub fn detail(self, detail: impl Into<String>) -> Self {
        Entry {
            detail: detail.into(),
            ..self
        }
    }

    pub fn outcome(self, outcome: Outcome) -> Self {
        Entry { outcome, ..self }
    }

    /// Writes the row: `Entry::new(…).detail(…).record(conn)`.
    pub fn record(&self, conn: &mut DbConnection) -> Result<()> {
        record(conn, self)
    }
}

/// Control characters are escaped so one row can never pretend to be two lines in an export.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

pub fn record(conn: &mut DbConnection, e: &Entry<'_>) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(to_db(e.at)),
            audit_log::actor_id.eq(e.actor.user_id),
            audit_log::actor_label.eq(clean(&e.actor.label, 200)),
            audit_log::ip.eq(clean(&e.actor.ip, 64)),
            audit_log::action.eq(e.action.as_str()),
            audit_log::object_type.eq(e.object_type),
            audit_log::object_id.eq(clean(&e.object_id, 100)),
            audit_log::result.eq(e.outcome.as_str()),
            audit_log::request_id.eq(clean(&e.actor.request_id, 64)),
            audit_log::detail.eq(clean(&e.detail, 1_000)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub actor_label: String,
    pub ip: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub result: String,
    pub request_id: String,
    pub detail: String,
}

#[derive(Queryable)]
struct Row {
    id: i64,
    at: NaiveDateTime,
    actor_id: Option<i64>,
    actor_label: String,
    ip: String,
    action: String,
    object_type: String,
    object_id: String,
    result: String,
    request_id: String,
    detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<i64>,
    pub result: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    page: &PageRequest,
) -> Result<Page<AuditRow>> {
    let mut q = audit_log::table
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(page.fetch())
        .into_boxed();
    if let Some(a) = &filter.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(a) = filter.actor_id {
        q = q.filter(audit_log::actor_id.eq(a));
    }
    if let Some(r) = &filter.result {
        q = q.filter(audit_log::result.eq(r.clone()));
    }
    if let Some(t) = &filter.object_type {
        q = q.filter(audit_log::object_type.eq(t.clone()));
    }
    if let Some(o) = &filter.object_id {
        q = q.filter(audit_log::object_id.eq(o.clone()));
    }
    if let Some(f) = filter.from {
        q = q.filter(audit_log::at.ge(to_db(f)));
    }
    if let Some(u) = filter.until {
        q = q.filter(audit_log::at.lt(to_db(u)));
    }
    if let Some(c) = &page.after {
        let t = to_db(c.time_key().unwrap_or_default());
        q = q.filter(
            audit_log::at
                .lt(t)
                .or(audit_log::at.eq(t).and(audit_log::id.lt(c.id))),
        );
    }
    let rows: Vec<AuditRow> = q
        .load::<Row>(conn)?
        .into_iter()
        .map(|r| AuditRow {
            id: r.id,
            at: from_db(r.at),
            actor_id: r.actor_id,
            actor_label: r.actor_label,
            ip: r.ip,
            action: r.action,
            object_type: r.object_type,
            object_id: r.object_id,
            result: r.result,
            request_id: r.request_id,
            detail: r.detail,
        })
        .collect();
    Ok(Page::from_overfetch(rows, page.limit, |r| {
        Cursor::time(r.at, r.id)
    }))
}

/// The distinct actions present, for the filter menu.
pub fn actions(conn: &mut DbConnection) -> Result<Vec<String>> {
    Ok(audit_log::table
        .select(audit_log::action)
        .distinct()
        .order(audit_log::action.asc())
        .load(conn)?)
}

pub fn count_action(conn: &mut DbConnection, action: &str, object_id: &str) -> Result<i64> {
    Ok(audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::object_id.eq(object_id))
        .count()
        .get_result(conn)?)
}

/// Deletes the rows from before `cutoff` and returns how many went. The trigger that keeps the
/// log append-only lets a row go only while a permit with a later cutoff exists; the permit is
/// written and removed inside this transaction, so no other connection ever sees it and no
/// other statement can use it.
pub fn prune_before(conn: &mut DbConnection, cutoff: DateTime<Utc>) -> Result<usize> {
    write_tx(conn, |conn| {
        let permit: i64 = diesel::insert_into(audit_prune_permits::table)
            .values(audit_prune_permits::cutoff.eq(to_db(cutoff)))
            .returning(audit_prune_permits::id)
            .get_result(conn)?;
        let removed = diesel::delete(audit_log::table.filter(audit_log::at.lt(to_db(cutoff))))
            .execute(conn)?;
        diesel::delete(audit_prune_permits::table.find(permit)).execute(conn)?;
        Ok(removed)
    })
}

#[cfg(test)]
mod action_tests {
    use super::AuditAction as A;
    use dateline_core::workflow::Transition;

    /// The audit page lists and filters by these words, and rows written by earlier versions
    /// carry them: a renamed variant must not rename what is stored.
    #[test]
    fn every_action_is_stored_under_its_established_name() {
        let names = [
            (A::LoginOk, "login_ok"),
            (A::LoginPasswordOk, "login_password_ok"),
            (A::LoginFailed, "login_failed"),
            (A::Lockout, "lockout"),
            (A::Logout, "logout"),
            (A::TwoFactorFailed, "two_factor_failed"),
            (A::TwoFactorEnable, "two_factor_enable"),
            (A::TwoFactorDisable, "two_factor_disable"),
            (A::PasswordChange, "password_change"),
            (A::PasswordReset, "password_reset"),
            (A::SessionsRevoke, "sessions_revoke"),
            (A::TokenCreate, "token_create"),
            (A::TokenRevoke, "token_revoke"),
            (A::UserCreate, "user_create"),
            (A::UserInvite, "user_invite"),
            (A::UserEnable, "user_enable"),
            (A::UserDisable, "user_disable"),
            (A::RoleChange, "role_change"),
            (A::ResetLink, "reset_link"),
            (A::SettingsChange, "settings_change"),
            (A::OrganizationCreate, "organization_create"),
            (A::OrganizationUpdate, "organization_update"),
            (A::OrganizationDelete, "organization_delete"),
            (A::TaxonomyCreate, "taxonomy_create"),
            (A::TaxonomyUpdate, "taxonomy_update"),
            (A::TaxonomyDelete, "taxonomy_delete"),
            (A::ReleaseCreate, "release_create"),
            (A::Save, "save"),
            (A::Restore, "restore"),
            (A::ChangeSlug, "change_slug"),
            (A::Transition(Transition::Submit), "submit"),
            (A::Transition(Transition::SendBack), "send_back"),
            (A::Transition(Transition::Approve), "approve"),
            (A::Transition(Transition::Publish), "publish"),
            (A::Transition(Transition::LiftEmbargo), "lift_embargo"),
            (A::Transition(Transition::Withdraw), "withdraw"),
            (A::Transition(Transition::Reinstate), "reinstate"),
            (A::Transition(Transition::Correct), "correct"),
            (A::PreviewLinkCreate, "preview_link_create"),
            (A::PreviewLinkRevoke, "preview_link_revoke"),
            (A::PreviewOpen, "preview_open"),
            (A::PermissionDenied, "permission_denied"),
            (A::KeyRotate, "key_rotate"),
            (A::AuditPrune, "audit_prune"),
        ];
        for (action, stored) in names {
            assert_eq!(action.as_str(), stored, "{action:?}");
        }
    }
}
