//! The organizations that issue releases, and the people journalists can call about them.

use serde::{Deserialize, Serialize};

use crate::release::limits::CONTACT_FIELD;
use crate::slug::check_name_and_slug;
use crate::validation::{ValidationErrors, is_http_url};

/// A media contact printed at the foot of a release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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

    /// Checks the contact at `index` of a list (a release's or an organization's); errors name
    /// the field as `contacts[index].name` and so on, as forms and the API post it.
    pub fn check(&self, index: usize, e: &mut ValidationErrors) {
        let field = |name: &str| format!("contacts[{index}].{name}");
        e.line(&field("name"), &self.name, true, CONTACT_FIELD);
        e.line(&field("title"), &self.title, false, CONTACT_FIELD);
        e.line(&field("email"), &self.email, false, CONTACT_FIELD);
        e.line(&field("phone"), &self.phone, false, CONTACT_FIELD);
        if !self.email.is_empty() && !crate::user::is_plausible_email(&self.email) {
            e.add(&field("email"), "This does not look like an email address.");
        }
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

/// The editable fields of an organization.
#[derive(Debug, Clone, Default)]
pub struct OrganizationInput {
    pub name: String,
    /// Derived from the name when empty.
    pub slug: String,
    pub website: String,
    pub boilerplate: String,
    pub contacts: Vec<Contact>,
}

impl OrganizationInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        check_name_and_slug(&mut e, &self.name, 200, &self.slug, "northwind-grid");
        e.line("website", &self.website, false, 2_000);
        if !self.website.is_empty() && !is_http_url(&self.website) {
            e.add(
                "website",
                "Use a full web address starting with https:// or http://.",
            );
        }
        e.text("boilerplate", &self.boilerplate, false, 5_000);
        if self.contacts.len() > 10 {
            e.add("contacts", "An organization can list at most 10 contacts.");
        }
        for (i, c) in self.contacts.iter().enumerate() {
            c.check(i, &mut e);
        }
        e.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_checked_under_its_place_in_the_list() {
        let contact = Contact {
            name: String::new(),
            title: "x".repeat(CONTACT_FIELD + 1),
            email: "not an address".into(),
            phone: "+1 555-0142".into(),
        };
        let mut e = ValidationErrors::new();
        contact.check(2, &mut e);
        let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["contacts[2].name", "contacts[2].title", "contacts[2].email"]
        );
        assert_eq!(
            e.for_field("contacts[2].email"),
            Some("This does not look like an email address.")
        );
        let mut fine = ValidationErrors::new();
        Contact {
            name: "Ana".into(),
            email: "ana@example.org".into(),
            ..Default::default()
        }
        .check(0, &mut fine);
        assert!(fine.errors.is_empty());
    }
}
