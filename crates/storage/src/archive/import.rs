//! Writing an archive's records into a newsroom. The whole archive is one transaction: a record
//! that names something the archive and the newsroom both lack refuses the import and nothing
//! is written. A record whose key (slug, e-mail address, public id) the newsroom already has is
//! left as it is, so importing the same archive twice changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use dateline_core::archive::{
    ContentRecord, OrganizationRecord, Record, ReleaseRecord, SettingRecord, TaxonRecord,
    UserRecord,
};
use dateline_core::organization::OrganizationInput;
use dateline_core::taxonomy::TaxonInput;
use dateline_core::user::{is_plausible_email, normalize_email};
use dateline_core::{PublicId, ReleaseContent, ReleaseStatus, Role, ValidationErrors};
use diesel::prelude::*;

use super::invert;
use crate::connection::{DbConnection, write_tx};
use crate::error::StorageError;
use crate::repo::releases::content_columns;
use crate::repo::{jobs, relations, releases, revisions, search, settings};
use crate::schema::{
    categories, corrections, organization_contacts, organizations, regions, tags, users,
};
use crate::time::{opt_to_db, to_db};

/// Stored in place of a password hash the archive did not carry: no password matches it, so
/// the account signs in only after an admin sends it a reset link.
const NO_PASSWORD: &str = "!imported-without-password";

/// Why an archive was refused.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A record is wrong in itself or names something that is nowhere; says which and what.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Storage(e.into())
    }
}

type Outcome<T> = std::result::Result<T, ImportError>;

/// The rules the newsroom's own forms apply, applied to a record: `whose` names it.
fn checked(whose: &str, result: std::result::Result<(), ValidationErrors>) -> Outcome<()> {
    result.map_err(|e| {
        let said: Vec<String> = e
            .errors
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect();
        ImportError::Refused(format!("{whose} breaks a rule: {}", said.join("; ")))
    })
}

/// How many records of each kind were added, and how many the newsroom already had.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub added: BTreeMap<&'static str, usize>,
    pub already_present: usize,
}

impl ImportReport {
    pub fn added_total(&self) -> usize {
        self.added.values().sum()
    }

    fn add(&mut self, kind: &'static str) {
        *self.added.entry(kind).or_default() += 1;
    }
}

/// The newsroom's stable keys and their ids, growing as records are added.
#[derive(Default)]
pub(super) struct Known {
    users: HashMap<String, i64>,
    organizations: HashMap<String, i64>,
    categories: HashMap<String, i64>,
    regions: HashMap<String, i64>,
    tags: HashMap<String, i64>,
    releases: HashSet<String>,
}

impl Known {
    fn load(conn: &mut DbConnection) -> Outcome<Self> {
        let pairs = |rows: Vec<(i64, String)>| -> HashMap<String, i64> {
            invert(&rows.into_iter().collect())
        };
        Ok(Known {
            users: pairs(users::table.select((users::id, users::email)).load(conn)?),
            organizations: pairs(
                organizations::table
                    .select((organizations::id, organizations::slug))
                    .load(conn)?,
            ),
            categories: pairs(
                categories::table
                    .select((categories::id, categories::slug))
                    .load(conn)?,
            ),
            regions: pairs(
                regions::table
                    .select((regions::id, regions::slug))
                    .load(conn)?,
            ),
            tags: pairs(tags::table.select((tags::id, tags::slug)).load(conn)?),
            releases: crate::schema::releases::table
                .select(crate::schema::releases::public_id)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
        })
    }

    fn id(map: &HashMap<String, i64>, key: &str, what: &str, whose: &str) -> Outcome<i64> {
        map.get(key).copied().ok_or_else(|| {
            ImportError::Refused(format!(
                "{whose} names the {what} {key:?}, which is neither in the archive nor in this \
                 newsroom"
            ))
        })
    }

    pub(super) fn organization(&self, slug: &str, whose: &str) -> Outcome<i64> {
        Known::id(&self.organizations, slug, "organization", whose)
    }

    pub(super) fn user_id(&self, email: &str, whose: &str) -> Outcome<i64> {
        Known::id(&self.users, email, "account", whose)
    }

    /// Someone to credit with uploads whose uploader the archive does not name: the first
    /// admin.
    fn first_admin(conn: &mut DbConnection) -> Outcome<Option<i64>> {
        Ok(users::table
            .filter(users::role.eq(Role::Admin.as_str()))
            .order(users::id)
            .select(users::id)
            .first::<i64>(conn)
            .optional()?)
    }

    fn user(&self, email: Option<&String>, whose: &str) -> Outcome<Option<i64>> {
        email
            .map(|e| Known::id(&self.users, e, "account", whose))
            .transpose()
    }

    /// The content with slugs turned back into this newsroom's ids.
    fn content(&self, c: &ContentRecord, whose: &str) -> Outcome<ReleaseContent> {
        let ids = |slugs: &[String], map: &HashMap<String, i64>, what: &str| {
            slugs
                .iter()
                .map(|s| Known::id(map, s, what, whose))
                .collect::<Outcome<Vec<i64>>>()
        };
        Ok(ReleaseContent {
            headline: c.headline.clone(),
            subheadline: c.subheadline.clone(),
            dateline: c.dateline.clone(),
            source: c.source.clone(),
            summary: c.summary.clone(),
            body: c.body.clone(),
            language: c.language.clone(),
            organization_id: c
                .organization
                .as_ref()
                .map(|o| Known::id(&self.organizations, o, "organization", whose))
                .transpose()?,
            contacts: c.contacts.clone(),
            category_ids: ids(&c.categories, &self.categories, "category")?,
            region_ids: ids(&c.regions, &self.regions, "region")?,
            tags: c.tags.clone(),
        })
    }
}

/// Writes `records` into the newsroom in one transaction, at `now` for the content version and
/// any publishing job an embargoed release needs. After a load that added releases the planner's
/// statistics are refreshed, so the next queries are planned for the newsroom's new size.
pub fn import(
    conn: &mut DbConnection,
    records: &[Record],
    now: DateTime<Utc>,
) -> Outcome<ImportReport> {
    let report = write_records(conn, records, now)?;
    if report.added.contains_key("releases") {
        crate::repo::bulk::refresh_statistics(conn)?;
    }
    Ok(report)
}

fn write_records(
    conn: &mut DbConnection,
    records: &[Record],
    now: DateTime<Utc>,
) -> Outcome<ImportReport> {
    write_tx(conn, |conn| {
        let mut known = Known::load(conn)?;
        let mut report = ImportReport::default();
        for record in records {
            let added = match record {
                Record::Setting(s) => set_setting(conn, s)?.then_some("settings"),
                Record::User(u) => add_user(conn, &mut known, u)?.then_some("users"),
                Record::Organization(o) => {
                    add_organization(conn, &mut known, o)?.then_some("organizations")
                }
                Record::Category(c) => {
                    add_taxon(conn, &mut known, Taxa::Categories, c)?.then_some("categories")
                }
                Record::Region(r) => {
                    add_taxon(conn, &mut known, Taxa::Regions, r)?.then_some("regions")
                }
                Record::Tag(t) => add_taxon(conn, &mut known, Taxa::Tags, t)?.then_some("tags"),
                Record::Release(r) => add_release(conn, &mut known, r, now)?.then_some("releases"),
                Record::Media(m) => {
                    let fallback = Known::first_admin(conn)?;
                    super::media::add(conn, &known, m, fallback)?.then_some("media")
                }
            };
            match added {
                Some(kind) => report.add(kind),
                None => report.already_present += 1,
            }
        }
        if report.added_total() > 0 {
            settings::bump_content_version(conn, now)?;
        }
        Ok(report)
    })
}

/// The settings an archive may carry. An archive never lowers a security switch the newsroom has
/// turned on: importing content must not quietly turn off required two-factor sign-in.
fn set_setting(conn: &mut DbConnection, s: &SettingRecord) -> Outcome<bool> {
    const KNOWN: [&str; 5] = [
        "newsroom.name",
        "newsroom.description",
        "newsroom.time_zone",
        "newsroom.language",
        "security.require_two_factor",
    ];
    if !KNOWN.contains(&s.key.as_str()) {
        return Err(ImportError::Refused(format!(
            "setting {:?} is not one this version knows",
            s.key
        )));
    }
    let now = settings::get(conn, &s.key)?;
    let lowers = s.key.starts_with("security.") && now.as_deref() == Some("true");
    if now.as_deref() == Some(s.value.as_str()) || lowers {
        return Ok(false);
    }
    settings::set(conn, &s.key, &s.value)?;
    Ok(true)
}

fn add_user(conn: &mut DbConnection, known: &mut Known, u: &UserRecord) -> Outcome<bool> {
    let email = normalize_email(&u.email);
    if !is_plausible_email(&email) {
        return Err(ImportError::Refused(format!(
            "account {:?} does not have a usable e-mail address",
            u.email
        )));
    }
    if known.users.contains_key(&email) {
        known.users.insert(u.email.clone(), known.users[&email]);
        return Ok(false);
    }
    u.role.parse::<Role>().map_err(|_| {
        ImportError::Refused(format!(
            "account {:?} has an unknown role {:?}",
            u.email, u.role
        ))
    })?;
    let id = diesel::insert_into(users::table)
        .values((
            users::email.eq(&email),
            users::display_name.eq(&u.display_name),
            users::role.eq(&u.role),
            users::disabled.eq(u.disabled),
            users::password_hash.eq(u
                .password_hash
                .as_deref()
                .filter(|h| bounded_argon2(h))
                .unwrap_or(NO_PASSWORD)),
            users::time_zone.eq(&u.time_zone),
            users::created_at.eq(to_db(u.created_at)),
            users::updated_at.eq(to_db(u.updated_at)),
            users::revision.eq(1),
            users::totp_enabled.eq(false),
        ))
        .returning(users::id)
        .get_result::<i64>(conn)?;
    known.users.insert(u.email.clone(), id);
    known.users.insert(email, id);
    Ok(true)
}

/// Whether a password hash from an archive is an argon2 hash whose cost a sign-in can afford.
/// Verifying uses the parameters written in the hash, so an archive could otherwise plant one
/// that takes gigabytes or hours on the first sign-in attempt; such a hash is not imported.
fn bounded_argon2(hash: &str) -> bool {
    let mut parts = hash.split('$');
    let (Some(""), Some(alg), Some(_version), Some(params)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if !alg.starts_with("argon2") {
        return false;
    }
    params.split(',').all(|kv| match kv.split_once('=') {
        Some(("m", v)) => v.parse::<u32>().is_ok_and(|m| m <= 262_144),
        Some(("t", v)) => v.parse::<u32>().is_ok_and(|t| t <= 16),
        Some(("p", v)) => v.parse::<u32>().is_ok_and(|p| p <= 16),
        _ => false,
    })
}

fn add_organization(
    conn: &mut DbConnection,
    known: &mut Known,
    o: &OrganizationRecord,
) -> Outcome<bool> {
    if let Some(&id) = known.organizations.get(&o.slug) {
        // The same slug naming another organization would put the archive's releases out under
        // the wrong issuer.
        let here: String = organizations::table
            .find(id)
            .select(organizations::name)
            .first(conn)?;
        if here != o.name {
            return Err(ImportError::Refused(format!(
                "organization {:?} is {:?} in the archive but {here:?} in this newsroom; \
                 change one of the two addresses first",
                o.slug, o.name
            )));
        }
        return Ok(false);
    }
    checked(
        &format!("organization {:?}", o.slug),
        OrganizationInput {
            name: o.name.clone(),
            slug: o.slug.clone(),
            website: o.website.clone(),
            boilerplate: o.boilerplate.clone(),
            contacts: o.contacts.clone(),
        }
        .validate(),
    )?;
    let id = diesel::insert_into(organizations::table)
        .values((
            organizations::slug.eq(&o.slug),
            organizations::name.eq(&o.name),
            organizations::website.eq(&o.website),
            organizations::boilerplate.eq(&o.boilerplate),
            organizations::created_at.eq(to_db(o.created_at)),
            organizations::updated_at.eq(to_db(o.updated_at)),
            organizations::revision.eq(1),
        ))
        .returning(organizations::id)
        .get_result::<i64>(conn)?;
    for (i, c) in o.contacts.iter().enumerate() {
        diesel::insert_into(organization_contacts::table)
            .values((
                organization_contacts::organization_id.eq(id),
                organization_contacts::position.eq(i32::try_from(i).unwrap_or(i32::MAX)),
                organization_contacts::name.eq(&c.name),
                organization_contacts::title.eq(&c.title),
                organization_contacts::email.eq(&c.email),
                organization_contacts::phone.eq(&c.phone),
            ))
            .execute(conn)?;
    }
    known.organizations.insert(o.slug.clone(), id);
    Ok(true)
}

/// The three kinds of taxon an archive holds.
#[derive(Clone, Copy)]
enum Taxa {
    Categories,
    Regions,
    Tags,
}

impl Taxa {
    fn singular(self) -> &'static str {
        match self {
            Taxa::Categories => "category",
            Taxa::Regions => "region",
            Taxa::Tags => "tag",
        }
    }
}

fn add_taxon(
    conn: &mut DbConnection,
    known: &mut Known,
    kind: Taxa,
    t: &TaxonRecord,
) -> Outcome<bool> {
    let map = match kind {
        Taxa::Categories => &known.categories,
        Taxa::Regions => &known.regions,
        Taxa::Tags => &known.tags,
    };
    if map.contains_key(&t.slug) {
        return Ok(false);
    }
    let whose = format!("{} {:?}", kind.singular(), t.slug);
    if t.parent.is_some() && !matches!(kind, Taxa::Categories) {
        return Err(ImportError::Refused(format!(
            "{whose} has a parent; only categories do"
        )));
    }
    checked(
        &whose,
        TaxonInput {
            name: t.name.clone(),
            slug: t.slug.clone(),
            description: t.description.clone(),
            parent_id: None,
        }
        .validate(),
    )?;
    let parent = t
        .parent
        .as_ref()
        .map(|p| Known::id(&known.categories, p, "parent category", &whose))
        .transpose()?;
    let (created, updated) = (
        to_db(t.created_at),
        to_db(t.updated_at.unwrap_or(t.created_at)),
    );
    let id = match kind {
        Taxa::Categories => diesel::insert_into(categories::table)
            .values((
                categories::slug.eq(&t.slug),
                categories::name.eq(&t.name),
                categories::description.eq(&t.description),
                categories::parent_id.eq(parent),
                categories::created_at.eq(created),
                categories::updated_at.eq(updated),
                categories::revision.eq(1),
            ))
            .returning(categories::id)
            .get_result::<i64>(conn)?,
        Taxa::Regions => diesel::insert_into(regions::table)
            .values((
                (regions::slug.eq(&t.slug), regions::name.eq(&t.name)),
                (
                    regions::created_at.eq(created),
                    regions::updated_at.eq(updated),
                ),
                regions::revision.eq(1),
            ))
            .returning(regions::id)
            .get_result::<i64>(conn)?,
        Taxa::Tags => diesel::insert_into(tags::table)
            .values((
                (tags::slug.eq(&t.slug), tags::name.eq(&t.name)),
                (tags::created_at.eq(created), tags::revision.eq(1)),
            ))
            .returning(tags::id)
            .get_result::<i64>(conn)?,
    };
    match kind {
        Taxa::Categories => &mut known.categories,
        Taxa::Regions => &mut known.regions,
        Taxa::Tags => &mut known.tags,
    }
    .insert(t.slug.clone(), id);
    Ok(true)
}

fn add_release(
    conn: &mut DbConnection,
    known: &mut Known,
    r: &ReleaseRecord,
    now: DateTime<Utc>,
) -> Outcome<bool> {
    if known.releases.contains(&r.public_id) {
        let here: String = crate::schema::releases::table
            .filter(crate::schema::releases::public_id.eq(&r.public_id))
            .select(crate::schema::releases::created_at)
            .first::<chrono::NaiveDateTime>(conn)
            .map(|at| at.to_string())?;
        if here != to_db(r.created_at).to_string() {
            return Err(ImportError::Refused(format!(
                "release {} in the archive is not the release with that id in this newsroom \
                 (they were created at different times)",
                r.public_id
            )));
        }
        return Ok(false);
    }
    let whose = format!("release {}", r.public_id);
    let refuse = |what: &str| ImportError::Refused(format!("{whose} has {what}"));
    let public_id: PublicId = r
        .public_id
        .parse()
        .map_err(|_| refuse("a malformed public id"))?;
    let status: ReleaseStatus = r
        .status
        .parse()
        .map_err(|_| refuse(&format!("an unknown status {:?}", r.status)))?;
    let mut content = known.content(&r.content, &whose)?;
    content.normalize();
    checked(&whose, content.validate())?;
    check_times(r, status, now).map_err(|e| refuse(&e))?;
    check_revisions(r).map_err(|e| refuse(&e))?;
    let author = known.user(r.author.as_ref(), &whose)?;
    let id = insert_release(conn, r, &public_id, status, &content, author)?;
    for rev in &r.revisions {
        let whose = format!("revision {} of release {}", rev.revision, r.public_id);
        let snapshot = serde_json::to_string(&known.content(&rev.content, &whose)?)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?;
        revisions::insert(
            conn,
            &revisions::NewRevision {
                release_id: id,
                revision: rev.revision,
                slug: &rev.slug,
                status: &rev.status,
                action: &rev.action,
                note: &rev.note,
                author_id: known.user(rev.author.as_ref(), &whose)?,
                created_at: to_db(rev.created_at),
            },
            &snapshot,
            None,
        )?;
    }
    for c in &r.corrections {
        diesel::insert_into(corrections::table)
            .values((
                corrections::release_id.eq(id),
                corrections::note.eq(&c.note),
                corrections::revision.eq(c.revision),
                corrections::editor_id.eq(known.user(c.editor.as_ref(), &whose)?),
                corrections::corrected_at.eq(to_db(c.corrected_at)),
            ))
            .execute(conn)?;
    }
    // An embargoed release waits for its time exactly as it did where it came from.
    if let (ReleaseStatus::Scheduled, Some(at)) = (status, r.embargo_at) {
        jobs::schedule_publish(conn, id, at, now)?;
    }
    if status == ReleaseStatus::Published {
        let release = releases::get(conn, id)?;
        search::sync(conn, &release)?;
    }
    known.releases.insert(r.public_id.clone());
    Ok(true)
}

/// The status and its times must be a state the workflow could have left: nothing public
/// before its time, nothing scheduled without a time, nothing withdrawn without a date.
fn check_times(r: &ReleaseRecord, status: ReleaseStatus, now: DateTime<Utc>) -> Result<(), String> {
    match status {
        ReleaseStatus::Published => match r.published_at {
            None => Err("the status published but no published_at".into()),
            Some(at) if at > now => Err("published_at in the future".into()),
            Some(at) if r.embargo_at.is_some_and(|e| e > at) => {
                Err("an embargo_at after its published_at".into())
            }
            Some(_) => Ok(()),
        },
        ReleaseStatus::Scheduled if r.embargo_at.is_none() => {
            Err("the status scheduled but no embargo_at".into())
        }
        ReleaseStatus::Withdrawn if r.withdrawn_at.is_none() || r.published_at.is_none() => {
            Err("the status withdrawn but no withdrawn_at or published_at".into())
        }
        _ => Ok(()),
    }
}

/// Revision numbers are unique and none is ahead of the release's own, so the next save gets a
/// number of its own.
fn check_revisions(r: &ReleaseRecord) -> Result<(), String> {
    let mut seen = HashSet::new();
    for rev in &r.revisions {
        if !seen.insert(rev.revision) {
            return Err(format!("revision {} twice", rev.revision));
        }
        if rev.revision > r.revision || rev.revision < 1 {
            return Err(format!(
                "revision {} while the release is at revision {}",
                rev.revision, r.revision
            ));
        }
        if rev.status.parse::<ReleaseStatus>().is_err() {
            return Err(format!("revision {} with an unknown status", rev.revision));
        }
    }
    Ok(())
}

fn insert_release(
    conn: &mut DbConnection,
    r: &ReleaseRecord,
    public_id: &PublicId,
    status: ReleaseStatus,
    content: &ReleaseContent,
    author_id: Option<i64>,
) -> Outcome<i64> {
    use crate::schema::releases as t;
    let id = diesel::insert_into(t::table)
        .values((
            (
                t::public_id.eq(public_id.as_str()),
                t::slug.eq(&r.slug),
                t::slug_chosen.eq(r.slug_chosen),
                content_columns!(content, releases::pack_body(&content.body)?),
            ),
            (
                t::status.eq(status.as_str()),
                t::embargo_at.eq(opt_to_db(r.embargo_at)),
                t::published_at.eq(opt_to_db(r.published_at)),
                t::corrected_at.eq(opt_to_db(r.corrected_at)),
                t::withdrawn_at.eq(opt_to_db(r.withdrawn_at)),
                t::withdrawal_reason.eq(&r.withdrawal_reason),
                t::author_id.eq(author_id),
                t::created_at.eq(to_db(r.created_at)),
                t::updated_at.eq(to_db(r.updated_at)),
                t::revision.eq(r.revision),
            ),
        ))
        .returning(t::id)
        .get_result::<i64>(conn)?;
    relations::replace(conn, id, content)?;
    Ok(id)
}
