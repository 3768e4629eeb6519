//! The organizations that issue releases, and the people journalists can call about them.

use serde::{Deserialize, Serialize};

/// A media contact printed at the foot of a release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        [&self.name, &self.title, &self.email, &self.phone]
            .iter()
            .all(|f| f.trim().is_empty())
    }
}

/// An issuer of press releases, with the "About" boilerplate printed under each of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub website: String,
    /// The "About <organization>" paragraph(s), as plain text.
    pub boilerplate: String,
    /// Offered as the contacts of each new release from this organization.
    pub contacts: Vec<Contact>,
    pub revision: i64,
}
