//! The one error type for a rule of the domain refusing a command. Each refusal carries the
//! English the person asking reads, so lower layers pass it on without wording of their own.

use crate::taxonomy::ParentRefusal;
use crate::user::AccountRefusal;
use crate::workflow::{Refusal, TransitionError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error(transparent)]
    Workflow(#[from] Refusal),
    #[error(transparent)]
    Account(#[from] AccountRefusal),
    #[error(transparent)]
    Taxonomy(#[from] ParentRefusal),
}

impl DomainError {
    /// The form field the refusal is about, if it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            DomainError::Workflow(r) => r.field(),
            DomainError::Account(r) => r.field(),
            DomainError::Taxonomy(_) => Some("parent"),
        }
    }
}

impl From<TransitionError> for DomainError {
    fn from(e: TransitionError) -> Self {
        DomainError::Workflow(Refusal::Transition(e))
    }
}
