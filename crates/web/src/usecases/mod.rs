//! One function per use case: creating, saving, moving through the workflow, correcting and
//! restoring a release, creating an account, issuing an API token. The newsroom pages, the JSON
//! API, the command line and the scheduler all call these, so a rule or an audit row cannot be
//! forgotten by one of them.
//!
//! This layer knows nothing of HTTP: it imports no web framework, no route and no extractor
//! (`tests/http/inventory.rs` checks). Handlers turn a request into a [`Caller`] and plain
//! values, call a use case, and turn the result into a page or JSON.

pub mod access;
pub mod catalogue;
pub mod import;
pub mod input;
pub mod media;
pub mod releases;
pub mod seed;
pub mod tokens;
pub mod users;
pub mod webhooks;

use dateline_core::Role;
use dateline_storage::repo::audit::Actor;

/// Who is acting: an account (signed in, or named on the command line) or the system itself
/// (the scheduler), with the audit actor that records where the action came from.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The acting account; `None` when the system acts on its own (the scheduler).
    pub user_id: Option<i64>,
    pub role: Role,
    pub actor: Actor,
}

impl Caller {
    /// The system acting with full rights, recorded under `label` ("cli", "scheduler").
    pub fn system(label: &str) -> Self {
        Caller {
            user_id: None,
            role: Role::Admin,
            actor: Actor::system(label),
        }
    }
}
