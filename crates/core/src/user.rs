//! People who sign in to the newsroom.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a signed-in person may do. Ordered: each role can do everything the one before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Drafts releases and submits them for review.
    Contributor,
    /// Reviews, edits, schedules, publishes, corrects and withdraws any release.
    Editor,
    /// Everything an editor does, plus people, settings and other people's tokens.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Contributor, Role::Editor, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contributor => "contributor",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Contributor => "Contributor",
            Role::Editor => "Editor",
            Role::Admin => "Admin",
        }
    }

    pub fn is_staff_editor(self) -> bool {
        self >= Role::Editor
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: use admin, editor or contributor")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "contributor" => Ok(Role::Contributor),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    /// Stored lower-cased; see [`normalize_email`].
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// IANA zone the person reads times in; the newsroom's zone when unset.
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revision: i64,
}

/// Emails compare case-insensitively and without surrounding space, so "Ana@Example.com " and
/// "ana@example.com" are one account.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately loose check: one `@`, something on both sides, a dot in the domain, no spaces.
/// Real validation is whether mail arrives.
pub fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Why a change to someone's own account is refused. The text is what they read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    #[error(
        "Two-factor sign-in is already on. To move it to another phone, turn it off first and set it up again."
    )]
    TwoFactorAlreadyOn,
    /// Nobody would be left to manage people and settings.
    #[error("This is the only active admin. Make someone else an admin first.")]
    LastActiveAdmin,
}

impl AccountRefusal {
    /// The form field the refusal is about, if it is about one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            AccountRefusal::TwoFactorAlreadyOn => None,
            AccountRefusal::LastActiveAdmin => Some("role"),
        }
    }
}

/// Whether `before` may get `role` and the `disabled` flag, with `active_admins` active admins
/// in the newsroom (the caller counts them under a lock, so the count stays true until commit).
pub fn check_role_change(
    before: &User,
    role: Role,
    disabled: bool,
    active_admins: i64,
) -> Result<(), AccountRefusal> {
    let loses_admin =
        before.role == Role::Admin && !before.disabled && (role != Role::Admin || disabled);
    if loses_admin && active_admins <= 1 {
        return Err(AccountRefusal::LastActiveAdmin);
    }
    Ok(())
}

/// Turning two-factor sign-in on when it is on already would swap the factor and the recovery
/// codes behind the person's back (a resubmitted form does exactly that), so it is refused.
pub fn check_two_factor_enrolment(already_on: bool) -> Result<(), AccountRefusal> {
    if already_on {
        return Err(AccountRefusal::TwoFactorAlreadyOn);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_active_admin_stays_one() {
        let admin = User {
            id: 1,
            email: "ana@example.org".into(),
            display_name: "Ana".into(),
            role: Role::Admin,
            disabled: false,
            time_zone: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            revision: 1,
        };
        let refused = Err(AccountRefusal::LastActiveAdmin);
        assert_eq!(check_role_change(&admin, Role::Editor, false, 1), refused);
        assert_eq!(check_role_change(&admin, Role::Admin, true, 1), refused);
        assert_eq!(
            AccountRefusal::LastActiveAdmin.to_string(),
            "This is the only active admin. Make someone else an admin first."
        );
        assert_eq!(AccountRefusal::LastActiveAdmin.field(), Some("role"));
        // Renaming the last admin, or demoting one of two, is fine.
        assert_eq!(check_role_change(&admin, Role::Admin, false, 1), Ok(()));
        assert_eq!(check_role_change(&admin, Role::Editor, true, 2), Ok(()));
        // A disabled admin is not one of the active ones, so changing them takes nothing away.
        let disabled = User {
            disabled: true,
            ..admin.clone()
        };
        assert_eq!(check_role_change(&disabled, Role::Editor, true, 1), Ok(()));
        let editor = User {
            role: Role::Editor,
            ..admin
        };
        assert_eq!(
            check_role_change(&editor, Role::Contributor, true, 1),
            Ok(())
        );
    }

    #[test]
    fn two_factor_cannot_be_turned_on_twice() {
        assert_eq!(check_two_factor_enrolment(false), Ok(()));
        let refused = check_two_factor_enrolment(true).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "Two-factor sign-in is already on. To move it to another phone, turn it off first and set it up again."
        );
    }

    #[test]
    fn roles_round_trip_and_order() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Contributor);
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" Ana@Example.COM "), "ana@example.com");
        assert!(is_plausible_email("ana@example.com"));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "a@b@c.com",
        ] {
            assert!(!is_plausible_email(bad), "{bad}");
        }
    }
}
