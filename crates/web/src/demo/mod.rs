//! `dateline demo`: loads a fictional newsroom (organizations, categories, regions and 36
//! releases) written for Dateline, so a new installation has something real to show.
//! Releases are approved and published through the same use case as editors use, acting as
//! `Caller::system("demo")`.

pub mod synthetic;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use dateline_core::{Contact, Dateline, Release, ReleaseContent, SourceLine};
use dateline_storage::repo::organizations::{self, OrganizationInput};
use dateline_storage::repo::pipeline::Change;
use dateline_storage::repo::releases::NewRelease;
use dateline_storage::repo::taxonomy::{self, TaxonInput};
use dateline_storage::{DbConnection, StorageError};
use serde::Deserialize;

use crate::usecases::{Caller, releases};

const DEMO: &str = include_str!("demo.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    categories: Vec<DemoCategory>,
    regions: Vec<DemoRegion>,
    organizations: Vec<DemoOrganization>,
    releases: Vec<DemoRelease>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoCategory {
    slug: String,
    name: String,
    description: String,
    parent: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRegion {
    slug: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoOrganization {
    slug: String,
    name: String,
    website: String,
    boilerplate: String,
    contacts: Vec<DemoContact>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoContact {
    name: String,
    title: String,
    email: String,
    phone: String,
}

impl From<DemoContact> for Contact {
    fn from(c: DemoContact) -> Self {
        Contact {
            name: c.name,
            title: c.title,
            email: c.email,
            phone: c.phone,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoRelease {
    organization: String,
    headline: String,
    subheadline: String,
    city: String,
    region: String,
    date: NaiveDate,
    distributor: String,
    source_label: String,
    source_url: String,
    summary: String,
    body: String,
    language: String,
    categories: Vec<String>,
    regions: Vec<String>,
    tags: Vec<String>,
    published_at: Option<DateTime<Utc>>,
    status: Option<String>,
    embargo_hours: Option<i64>,
    contacts: Option<Vec<DemoContact>>,
}

/// What was loaded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub organizations: usize,
    pub published: usize,
    pub scheduled: usize,
    pub drafts: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo content is already loaded (organization {0:?} exists)")]
    AlreadyLoaded(String),
    #[error("the built-in demo file is invalid: {0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn parse() -> Result<Demo, DemoError> {
    toml::from_str(DEMO).map_err(|e| DemoError::Invalid(e.to_string()))
}

/// Loads everything in one transaction: all of it or none of it.
/// Whether the database holds releases and the demo is not among them: a newsroom of its own,
/// which demonstration content must not be mixed into unless asked.
pub fn holds_other_content(conn: &mut DbConnection) -> Result<bool, DemoError> {
    let demo = parse()?;
    let loaded = demo
        .organizations
        .first()
        .is_some_and(|first| organizations::get_by_slug(conn, &first.slug).is_ok());
    let releases: i64 = dateline_storage::repo::releases::count_by_status(conn)?
        .iter()
        .map(|(_, n)| n)
        .sum();
    Ok(releases > 0 && !loaded)
}

pub fn load(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Loaded, DemoError> {
    let demo = parse()?;
    if let Some(first) = demo.organizations.first()
        && organizations::get_by_slug(conn, &first.slug).is_ok()
    {
        return Err(DemoError::AlreadyLoaded(first.slug.clone()));
    }
    let plans = demo
        .releases
        .iter()
        .map(|r| plan(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(dateline_storage::write_tx(conn, |conn| {
        load_all(conn, &demo, &plans, now)
    })?)
}

/// What to do with each release once created: checked before anything is written.
fn plan(r: &DemoRelease, now: DateTime<Utc>) -> Result<Option<Change>, DemoError> {
    match (r.status.as_deref(), r.published_at, r.embargo_hours) {
        (Some("draft"), _, _) => Ok(None),
        (Some("scheduled"), _, Some(hours)) => Ok(Some(Change::Approve {
            embargo_at: now + Duration::hours(hours),
        })),
        (None | Some("published"), Some(at), _) => Ok(Some(Change::Publish {
            at: Some(at.min(now)),
        })),
        (status, _, _) => Err(DemoError::Invalid(format!(
            "release {:?}: status {status:?} lacks its time",
            r.headline
        ))),
    }
}

fn load_all(
    conn: &mut DbConnection,
    demo: &Demo,
    plans: &[Option<Change>],
    now: DateTime<Utc>,
) -> Result<Loaded, StorageError> {
    load_taxonomy(conn, demo)?;
    for o in &demo.organizations {
        create_organization(conn, o)?;
    }
    let mut loaded = Loaded {
        organizations: demo.organizations.len(),
        ..Loaded::default()
    };
    let demo_caller = Caller::system("demo");
    for (r, change) in demo.releases.iter().zip(plans) {
        let release = create_release(conn, r)?;
        match change.clone() {
            None => loaded.drafts += 1,
            Some(change) => {
                let scheduled = matches!(change, Change::Approve { .. });
                releases::transition_in(conn, &demo_caller, &release, change, None, now)?;
                if scheduled {
                    loaded.scheduled += 1;
                } else {
                    loaded.published += 1;
                }
            }
        }
    }
    Ok(loaded)
}

/// Categories (parents first, as the file lists them) and regions; ones that exist are kept,
/// so the demo can be loaded beside a newsroom's own taxonomy.
fn load_taxonomy(conn: &mut DbConnection, demo: &Demo) -> Result<(), StorageError> {
    for c in &demo.categories {
        let parent_id = match &c.parent {
            Some(p) => Some(taxonomy::category_by_slug(conn, p)?.id),
            None => None,
        };
        let input = TaxonInput {
            name: c.name.clone(),
            slug: c.slug.clone(),
            description: c.description.clone(),
            parent_id,
        };
        if taxonomy::category_by_slug(conn, &c.slug).is_err() {
            taxonomy::create_category(conn, &input)?;
        }
    }
    for r in &demo.regions {
        if taxonomy::region_by_slug(conn, &r.slug).is_err() {
            let input = TaxonInput {
                name: r.name.clone(),
                slug: r.slug.clone(),
                ..Default::default()
            };
            taxonomy::create_region(conn, &input)?;
        }
    }
    Ok(())
}

fn create_organization(conn: &mut DbConnection, o: &DemoOrganization) -> Result<(), StorageError> {
    let input = OrganizationInput {
        name: o.name.clone(),
        slug: o.slug.clone(),
        website: o.website.clone(),
        boilerplate: o.boilerplate.clone(),
        contacts: o.contacts.iter().cloned().map(Contact::from).collect(),
    };
    organizations::create(conn, &input)?;
    Ok(())
}

/// Creates the release as a draft, with no author.
///
/// This skips `usecases::releases::create`: the demo loads in one transaction on its own
/// connection, all or nothing, and that use case runs a transaction of its own on the pool. The
/// drafts are fixtures, created without an audit row as they always were; everything that
/// happens to them next goes through the use case and is audited under `demo`.
fn create_release(conn: &mut DbConnection, r: &DemoRelease) -> Result<Release, StorageError> {
    let content = release_content(conn, r)?;
    let new = NewRelease {
        content,
        author_id: None,
    };
    dateline_storage::repo::releases::create(conn, &new)
}

/// The release's content, with its organization, categories and regions looked up by slug.
/// Without contacts of its own, a release lists its organization's.
fn release_content(
    conn: &mut DbConnection,
    r: &DemoRelease,
) -> Result<ReleaseContent, StorageError> {
    let org = organizations::get_by_slug(conn, &r.organization)?;
    let category_ids = taxonomy::categories_by_slugs(conn, &r.categories)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let region_ids = taxonomy::regions_by_slugs(conn, &r.regions)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let contacts = match &r.contacts {
        Some(list) => list.iter().cloned().map(Contact::from).collect(),
        None => org.contacts.clone(),
    };
    Ok(ReleaseContent {
        headline: r.headline.clone(),
        subheadline: r.subheadline.clone(),
        dateline: Dateline {
            city: r.city.clone(),
            region: r.region.clone(),
            date: Some(r.date),
            distributor: r.distributor.clone(),
        },
        source: SourceLine {
            label: r.source_label.clone(),
            url: r.source_url.clone(),
        },
        summary: r.summary.clone(),
        body: r.body.trim().to_owned(),
        language: r.language.clone(),
        organization_id: Some(org.id),
        contacts,
        category_ids,
        region_ids,
        tags: r.tags.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_is_complete() {
        let demo = parse().unwrap();
        assert!(demo.releases.len() >= 30, "{}", demo.releases.len());
        assert!(demo.organizations.len() >= 5);
        for r in &demo.releases {
            assert!(
                demo.organizations.iter().any(|o| o.slug == r.organization),
                "{}",
                r.organization
            );
            for c in &r.categories {
                assert!(demo.categories.iter().any(|x| &x.slug == c), "{c}");
            }
            for g in &r.regions {
                assert!(demo.regions.iter().any(|x| &x.slug == g), "{g}");
            }
        }
    }
}
