//! Turning what editors type (a form) or send (JSON) into `ReleaseContent`, with every problem
//! named by its field. Nothing here can set status, author, times or ids: those change only
//! through explicit actions.

use chrono::NaiveDate;
use dateline_core::{Contact, Dateline, ReleaseContent, SourceLine, ValidationErrors};
use dateline_storage::DbConnection;
use dateline_storage::repo::{organizations, taxonomy};
use serde::{Deserialize, Serialize};

/// The release editor's form. Everything is text, so any input comes back to the editor intact
/// alongside its errors.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReleaseForm {
    #[serde(default)]
    pub headline: String,
    #[serde(default)]
    pub subheadline: String,
    #[serde(default)]
    pub dateline_city: String,
    #[serde(default)]
    pub dateline_region: String,
    #[serde(default)]
    pub dateline_date: String,
    #[serde(default)]
    pub dateline_distributor: String,
    #[serde(default)]
    pub source_label: String,
    #[serde(default)]
    pub source_url: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub contact_name: Vec<String>,
    #[serde(default)]
    pub contact_title: Vec<String>,
    #[serde(default)]
    pub contact_email: Vec<String>,
    #[serde(default)]
    pub contact_phone: Vec<String>,
    /// Contacts on file ticked in the form, as `organization_id:index`.
    #[serde(default)]
    pub pick_contact: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub tags: String,
    /// The revision the editor started from.
    #[serde(default)]
    pub revision: Option<i64>,
    /// The public correction note, when correcting a live release.
    #[serde(default)]
    pub note: String,
    /// Approving: the local date and time, and the zone it is in.
    #[serde(default)]
    pub embargo_local: String,
    #[serde(default)]
    pub embargo_zone: String,
    /// Sending back: the comment for the author.
    #[serde(default)]
    pub comment: String,
}

/// Big enough for a body at its 200,000-character limit in any script: a four-byte character
/// is twelve bytes once percent-encoded. Past this the answer is a 413; below it, an over-long
/// body is a 422 that names the field and keeps the text.
pub const RELEASE_FORM_LIMIT: usize = 4 * 1024 * 1024;

fn ids(values: &[String], field: &str, e: &mut ValidationErrors) -> Vec<i64> {
    values
        .iter()
        .filter(|v| !v.trim().is_empty())
        .filter_map(|v| match v.trim().parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                e.add(field, format!("{v:?} is not one of the choices."));
                None
            }
        })
        .collect()
}

pub fn parse_date(text: &str, field: &str, e: &mut ValidationErrors) -> Option<NaiveDate> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    match crate::query::Day::parse(t) {
        Ok(d) => Some(d.date()),
        Err(message) => {
            e.add(field, message);
            None
        }
    }
}

impl ReleaseForm {
    /// The organizations whose contacts on file were ticked.
    pub fn picked_organizations(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .pick_contact
            .iter()
            .filter_map(|p| p.split_once(':')?.0.parse().ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Turns ticked contacts on file into contact rows, after the typed ones and without
    /// repeating any, so they save like typed rows and stay visible if the save is refused.
    /// Ticks naming a contact that is no longer on file are dropped.
    pub fn add_picked_contacts(&mut self, on_file: &[(i64, Vec<Contact>)]) {
        let picks = std::mem::take(&mut self.pick_contact);
        let mut rows = self.contacts();
        rows.retain(|c| !c.is_empty());
        for pick in picks {
            let Some((org, index)) = pick.split_once(':') else {
                continue;
            };
            let (Ok(org), Ok(index)) = (org.parse::<i64>(), index.parse::<usize>()) else {
                continue;
            };
            let Some(contact) = on_file
                .iter()
                .find(|(id, _)| *id == org)
                .and_then(|(_, list)| list.get(index))
            else {
                continue;
            };
            if !rows
                .iter()
                .any(|r| r.name == contact.name && r.email == contact.email)
            {
                rows.push(contact.clone());
            }
        }
        self.contact_name = rows.iter().map(|c| c.name.clone()).collect();
        self.contact_title = rows.iter().map(|c| c.title.clone()).collect();
        self.contact_email = rows.iter().map(|c| c.email.clone()).collect();
        self.contact_phone = rows.iter().map(|c| c.phone.clone()).collect();
    }

    /// The contact rows as posted, empty ones included.
    fn contacts(&self) -> Vec<Contact> {
        let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        let rows = self
            .contact_name
            .len()
            .max(self.contact_title.len())
            .max(self.contact_email.len())
            .max(self.contact_phone.len());
        (0..rows)
            .map(|i| Contact {
                name: at(&self.contact_name, i),
                title: at(&self.contact_title, i),
                email: at(&self.contact_email, i),
                phone: at(&self.contact_phone, i),
            })
            .collect()
    }

    /// The content the form describes, and the problems found reading it (validation of the
    /// content itself happens in storage, which also checks references).
    pub fn to_content(&self) -> (ReleaseContent, ValidationErrors) {
        let mut e = ValidationErrors::new();
        let date = parse_date(&self.dateline_date, "dateline.date", &mut e);
        let organization_id = match self.organization.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add("organization", "Choose an organization from the list.");
                    None
                }
            },
        };
        let contacts = self.contacts();
        let content = ReleaseContent {
            headline: self.headline.clone(),
            subheadline: self.subheadline.clone(),
            dateline: Dateline {
                city: self.dateline_city.clone(),
                region: self.dateline_region.clone(),
                date,
                distributor: self.dateline_distributor.clone(),
            },
            source: SourceLine {
                label: self.source_label.clone(),
                url: self.source_url.clone(),
            },
            summary: self.summary.clone(),
            body: self.body.clone(),
            language: self.language.trim().to_owned(),
            organization_id,
            contacts,
            category_ids: ids(&self.categories, "categories", &mut e),
            region_ids: ids(&self.regions, "regions", &mut e),
            tags: self
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        };
        (content, e)
    }

    pub fn from_content(c: &ReleaseContent, revision: i64) -> Self {
        ReleaseForm {
            headline: c.headline.clone(),
            subheadline: c.subheadline.clone(),
            dateline_city: c.dateline.city.clone(),
            dateline_region: c.dateline.region.clone(),
            dateline_date: c
                .dateline
                .date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            dateline_distributor: c.dateline.distributor.clone(),
            source_label: c.source.label.clone(),
            source_url: c.source.url.clone(),
            summary: c.summary.clone(),
            body: c.body.clone(),
            language: c.language.clone(),
            organization: c.organization_id.map(|o| o.to_string()).unwrap_or_default(),
            contact_name: c.contacts.iter().map(|x| x.name.clone()).collect(),
            contact_title: c.contacts.iter().map(|x| x.title.clone()).collect(),
            contact_email: c.contacts.iter().map(|x| x.email.clone()).collect(),
            contact_phone: c.contacts.iter().map(|x| x.phone.clone()).collect(),
            categories: c.category_ids.iter().map(|i| i.to_string()).collect(),
            regions: c.region_ids.iter().map(|i| i.to_string()).collect(),
            tags: c.tags.join(", "),
            revision: Some(revision),
            ..Default::default()
        }
    }
}

/// A release as the JSON API receives it. Unknown fields are refused, so a payload that tries to
/// set `status`, `author` or times fails loudly instead of being half-applied.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    pub headline: String,
    #[serde(default)]
    pub subheadline: String,
    #[serde(default)]
    pub dateline: DatelineInput,
    #[serde(default)]
    pub source: SourceInput,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub language: Option<String>,
    /// The organization's slug.
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub contacts: Vec<ContactInput>,
    /// Category slugs.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Region slugs.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Tag names, created on first use.
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DatelineInput {
    pub city: String,
    pub region: String,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    pub distributor: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SourceInput {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ContactInput {
    pub name: String,
    pub title: String,
    pub email: String,
    pub phone: String,
}

/// Names, under `field`, the slugs asked for that were not found.
fn unknown_slugs<'a>(
    asked: &[String],
    found: impl Iterator<Item = &'a str> + Clone,
    field: &str,
    e: &mut ValidationErrors,
) {
    let unknown: Vec<&String> = asked
        .iter()
        .filter(|s| !found.clone().any(|f| f == s.as_str()))
        .collect();
    if !unknown.is_empty() {
        e.add(
            field,
            format!("Unknown {field}: {unknown:?}. Create them first."),
        );
    }
}

impl ReleaseInput {
    /// Resolves slugs to ids. Unknown organizations, categories and regions are errors named by
    /// their field; tags are created on first use when the release is saved.
    pub fn resolve(
        &self,
        conn: &mut DbConnection,
        default_language: &str,
    ) -> Result<ReleaseContent, crate::error::WebError> {
        let mut e = ValidationErrors::new();
        let date = self
            .dateline
            .date
            .as_deref()
            .and_then(|d| parse_date(d, "dateline.date", &mut e));
        let organization_id = match crate::query::given(self.organization.as_deref()) {
            None => None,
            Some(slug) => match organizations::get_by_slug(conn, slug) {
                Ok(o) => Some(o.id),
                Err(err) if err.is_not_found() => {
                    e.add(
                        "organization",
                        format!("There is no organization {slug:?}."),
                    );
                    None
                }
                Err(err) => return Err(err.into()),
            },
        };
        let categories = taxonomy::categories_by_slugs(conn, &self.categories)?;
        let found = categories.iter().map(|c| c.slug.as_str());
        unknown_slugs(&self.categories, found, "categories", &mut e);
        let regions = taxonomy::regions_by_slugs(conn, &self.regions)?;
        let found = regions.iter().map(|r| r.slug.as_str());
        unknown_slugs(&self.regions, found, "regions", &mut e);
        e.into_result().map_err(crate::error::WebError::Invalid)?;
        Ok(ReleaseContent {
            headline: self.headline.clone(),
            subheadline: self.subheadline.clone(),
            dateline: Dateline {
                city: self.dateline.city.clone(),
                region: self.dateline.region.clone(),
                date,
                distributor: self.dateline.distributor.clone(),
            },
            source: SourceLine {
                label: self.source.label.clone(),
                url: self.source.url.clone(),
            },
            summary: self.summary.clone(),
            body: self.body.clone(),
            language: self
                .language
                .clone()
                .filter(|l| !l.trim().is_empty())
                .unwrap_or_else(|| default_language.to_owned()),
            organization_id,
            contacts: self.contacts.iter().map(Contact::from).collect(),
            category_ids: categories.iter().map(|c| c.id).collect(),
            region_ids: regions.iter().map(|r| r.id).collect(),
            tags: self.tags.clone(),
        })
    }
}

/// Conversions both ways between two structs with the same fields: the API's shape of a value
/// and the domain's.
macro_rules! mirror {
    ($a:ident <-> $b:ident { $($field:ident),* }) => {
        impl From<&$a> for $b {
            fn from(x: &$a) -> Self {
                $b { $($field: x.$field.clone()),* }
            }
        }

        impl From<&$b> for $a {
            fn from(x: &$b) -> Self {
                $a { $($field: x.$field.clone()),* }
            }
        }
    };
}

mirror!(ContactInput <-> Contact { name, title, email, phone });

/// The slugs of `ids`, in order, leaving out those no longer in `known` (id and slug pairs).
fn slugs_of(ids: &[i64], known: &[(i64, String)]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| known.iter().find(|(k, _)| k == id))
        .map(|(_, slug)| slug.clone())
        .collect()
}

impl ReleaseInput {
    /// Content in the shape the API accepts, ids named by slug: `organization` is the
    /// organization's slug if it still exists, `categories` and `regions` the id and slug of
    /// every one there is.
    pub fn from_content(
        c: &ReleaseContent,
        organization: Option<String>,
        categories: &[(i64, String)],
        regions: &[(i64, String)],
    ) -> Self {
        ReleaseInput {
            headline: c.headline.clone(),
            subheadline: c.subheadline.clone(),
            dateline: DatelineInput {
                city: c.dateline.city.clone(),
                region: c.dateline.region.clone(),
                date: c.dateline.date.map(|d| d.format("%Y-%m-%d").to_string()),
                distributor: c.dateline.distributor.clone(),
            },
            source: SourceInput {
                label: c.source.label.clone(),
                url: c.source.url.clone(),
            },
            summary: c.summary.clone(),
            body: c.body.clone(),
            language: Some(c.language.clone()),
            organization,
            contacts: c.contacts.iter().map(ContactInput::from).collect(),
            categories: slugs_of(&c.category_ids, categories),
            regions: slugs_of(&c.region_ids, regions),
            tags: c.tags.clone(),
        }
    }
}
