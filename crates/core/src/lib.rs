//! Dateline's domain: what a press release is, who may do what with it, and when the public may
//! see it. Everything here is pure: no database, no HTTP, no clock. Callers pass the time in.

pub mod archive;
pub mod content;
pub mod dateline;
pub mod diff;
pub mod error;
pub mod ids;
pub mod media;
pub mod organization;
pub mod release;
pub mod slug;
pub mod taxonomy;
pub mod timezone;
pub mod user;
pub mod validation;
pub mod visibility;
pub mod webhook;
pub mod wire;
pub mod workflow;

pub use content::SanitizedHtml;
pub use dateline::{Dateline, SourceLine};
pub use error::DomainError;
pub use ids::PublicId;
pub use organization::{Contact, Organization};
pub use release::{Release, ReleaseContent, ReleaseStatus, ReleaseSummary};
pub use taxonomy::{Category, Region, Tag, TaxonRef};
pub use user::{Role, User};
pub use validation::{FieldError, ValidationErrors};
pub use visibility::Viewer;
pub use workflow::{Transition, TransitionError};
