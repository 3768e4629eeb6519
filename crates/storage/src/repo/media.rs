//! Uploaded files and their renditions. Bytes are content-addressed by SHA-256 and kept in the
//! database (docs/decisions.md): the hash is computed here, never taken from a caller, so a row's
//! name always matches its bytes, and identical bytes are stored once.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dateline_core::media::MediaKind;
use dateline_core::{Role, ValidationErrors, Viewer};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::connection::{DbConnection, write_tx};
use crate::error::{Result, StorageError};
use crate::repo::organizations;
use crate::schema::{media, media_blobs, media_renditions, releases};
use crate::time::{from_db, to_db};
use crate::visibility::{Scope, visible_to};

/// The lower-case hex SHA-256 of `bytes`: the blob's name and the media URL's hash.
pub fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Stores `bytes` unless a blob with the same hash exists, and returns the hash. Run inside the
/// caller's write transaction, the check and the insert cannot race another writer.
pub fn put_blob(conn: &mut DbConnection, bytes: &[u8], at: DateTime<Utc>) -> Result<String> {
    let sha256 = hash(bytes);
    write_tx(conn, |conn| {
        let exists = media_blobs::table
            .find(&sha256)
            .select(media_blobs::sha256)
            .first::<String>(conn)
            .optional()?
            .is_some();
        if !exists {
            let size =
                i64::try_from(bytes.len()).map_err(|_| too_large("The file is too large."))?;
            diesel::insert_into(media_blobs::table)
                .values((
                    media_blobs::sha256.eq(&sha256),
                    media_blobs::bytes.eq(bytes),
                    media_blobs::byte_size.eq(size),
                    media_blobs::created_at.eq(to_db(at)),
                ))
                .execute(conn)?;
        }
        Ok::<_, StorageError>(())
    })?;
    Ok(sha256)
}

/// The bytes stored under `sha256`.
pub fn blob(conn: &mut DbConnection, sha256: &str) -> Result<Option<Vec<u8>>> {
    Ok(media_blobs::table
        .find(sha256)
        .select(media_blobs::bytes)
        .first(conn)
        .optional()?)
}

/// A resized copy to store with a new upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRendition {
    pub width: u32,
    pub height: u32,
    pub format: MediaKind,
    pub bytes: Vec<u8>,
}

/// An upload to store: its bytes (already checked), words and attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedia<'a> {
    pub bytes: &'a [u8],
    pub kind: MediaKind,
    pub original_name: &'a str,
    pub alt: &'a str,
    pub caption: &'a str,
    pub credit: &'a str,
    /// Of an image; `None` for a PDF.
    pub dimensions: Option<(u32, u32)>,
    pub release_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub uploaded_by: i64,
    pub renditions: Vec<NewRendition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    pub width: u32,
    pub height: u32,
    pub format: MediaKind,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub id: i64,
    pub sha256: String,
    pub kind: MediaKind,
    pub original_name: String,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    pub dimensions: Option<(u32, u32)>,
    pub byte_size: i64,
    pub release_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub uploaded_by: i64,
    pub created_at: DateTime<Utc>,
    pub renditions: Vec<Rendition>,
}

type MediaRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i32>,
    Option<i32>,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    chrono::NaiveDateTime,
);

/// A width or height as the INTEGER column holds it; the 50-megapixel cap keeps real ones small.
fn to_col(n: u32) -> Result<i32> {
    i32::try_from(n).map_err(|_| too_large("The image is too large."))
}

fn too_large(message: &str) -> StorageError {
    StorageError::Invalid(ValidationErrors::single("file", message))
}

fn from_col(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn kind_of(s: &str) -> Result<MediaKind> {
    MediaKind::parse(s).ok_or_else(|| {
        StorageError::Database(diesel::result::Error::DeserializationError(
            format!("unknown media kind {s:?}").into(),
        ))
    })
}

/// The original's bytes as stored, with the columns that describe them.
struct Original {
    sha256: String,
    size: i64,
    width: Option<i32>,
    height: Option<i32>,
}

/// Stores the original's bytes (once, by hash) and works out the columns that describe them.
fn store_original(
    conn: &mut DbConnection,
    new: &NewMedia<'_>,
    at: DateTime<Utc>,
) -> Result<Original> {
    let sha256 = put_blob(conn, new.bytes, at)?;
    let size = i64::try_from(new.bytes.len()).map_err(|_| too_large("The file is too large."))?;
    let (width, height) = match new.dimensions {
        Some((w, h)) => (Some(to_col(w)?), Some(to_col(h)?)),
        None => (None, None),
    };
    Ok(Original {
        sha256,
        size,
        width,
        height,
    })
}

/// Stores an upload, its blob and its renditions in one transaction: all of it or nothing.
pub fn create(conn: &mut DbConnection, new: &NewMedia<'_>, at: DateTime<Utc>) -> Result<Media> {
    write_tx(conn, |conn| {
        let original = store_original(conn, new, at)?;
        let id: i64 = diesel::insert_into(media::table)
            .values((
                media::sha256.eq(&original.sha256),
                media::kind.eq(new.kind.as_str()),
                media::original_name.eq(new.original_name),
                media::alt.eq(new.alt.trim()),
                media::caption.eq(new.caption.trim()),
                media::credit.eq(new.credit.trim()),
                media::width.eq(original.width),
                media::height.eq(original.height),
                media::byte_size.eq(original.size),
                media::release_id.eq(new.release_id),
                media::organization_id.eq(new.organization_id),
                media::uploaded_by.eq(new.uploaded_by),
                media::created_at.eq(to_db(at)),
            ))
            .returning(media::id)
            .get_result(conn)?;
        insert_renditions(conn, id, &new.renditions, at)?;
        get(conn, id)
    })
}

/// The columns of `media`, in `MediaRow` order.
macro_rules! media_columns {
    () => {
        (
            media::id,
            media::sha256,
            media::kind,
            media::original_name,
            media::alt,
            media::caption,
            media::credit,
            media::width,
            media::height,
            media::byte_size,
            media::release_id,
            media::organization_id,
            media::uploaded_by,
            media::created_at,
        )
    };
}

fn insert_renditions(
    conn: &mut DbConnection,
    media_id: i64,
    renditions: &[NewRendition],
    at: DateTime<Utc>,
) -> Result<()> {
    for r in renditions {
        let sha256 = put_blob(conn, &r.bytes, at)?;
        diesel::insert_into(media_renditions::table)
            .values((
                media_renditions::media_id.eq(media_id),
                media_renditions::width.eq(to_col(r.width)?),
                media_renditions::height.eq(to_col(r.height)?),
                media_renditions::format.eq(r.format.as_str()),
                media_renditions::sha256.eq(sha256),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// One upload with its renditions, narrowest first.
pub fn get(conn: &mut DbConnection, id: i64) -> Result<Media> {
    let row: MediaRow = media::table
        .find(id)
        .select(media_columns!())
        .first(conn)
        .optional()?
        .ok_or(StorageError::NotFound)?;
    with_renditions(conn, vec![row])?
        .pop()
        .ok_or(StorageError::NotFound)
}

/// The uploads attached to each of `release_ids`, in upload order (the first image is the lead),
/// with their renditions: two queries however many releases.
pub fn for_releases(
    conn: &mut DbConnection,
    release_ids: &[i64],
) -> Result<HashMap<i64, Vec<Media>>> {
    let mut by_release: HashMap<i64, Vec<Media>> = HashMap::new();
    if release_ids.is_empty() {
        return Ok(by_release);
    }
    let rows: Vec<MediaRow> = media::table
        .filter(media::release_id.eq_any(release_ids))
        .order(media::id)
        .select(media_columns!())
        .load(conn)?;
    for m in with_renditions(conn, rows)? {
        if let Some(r) = m.release_id {
            by_release.entry(r).or_default().push(m);
        }
    }
    Ok(by_release)
}

/// An organization's own uploads (its logo among them), newest first.
pub fn for_organization(conn: &mut DbConnection, organization_id: i64) -> Result<Vec<Media>> {
    let rows: Vec<MediaRow> = media::table
        .filter(media::organization_id.eq(organization_id))
        .filter(media::release_id.is_null())
        .order(media::id.desc())
        .select(media_columns!())
        .load(conn)?;
    with_renditions(conn, rows)
}

fn with_renditions(conn: &mut DbConnection, rows: Vec<MediaRow>) -> Result<Vec<Media>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut renditions: HashMap<i64, Vec<Rendition>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let found = media_renditions::table
            .filter(media_renditions::media_id.eq_any(chunk))
            .order((
                media_renditions::media_id,
                media_renditions::width,
                media_renditions::format,
            ))
            .select((
                media_renditions::media_id,
                media_renditions::width,
                media_renditions::height,
                media_renditions::format,
                media_renditions::sha256,
            ))
            .load::<(i64, i32, i32, String, String)>(conn)?;
        for (media_id, w, h, format, sha256) in found {
            renditions.entry(media_id).or_default().push(Rendition {
                width: from_col(w),
                height: from_col(h),
                format: kind_of(&format)?,
                sha256,
            });
        }
    }
    rows.into_iter()
        .map(|row| {
            let (
                id,
                sha256,
                kind,
                original_name,
                alt,
                caption,
                credit,
                w,
                h,
                size,
                rel,
                org,
                by,
                at,
            ) = row;
            Ok(Media {
                id,
                sha256,
                kind: kind_of(&kind)?,
                original_name,
                alt,
                caption,
                credit,
                dimensions: w.zip(h).map(|(w, h)| (from_col(w), from_col(h))),
                byte_size: size,
                release_id: rel,
                organization_id: org,
                uploaded_by: by,
                created_at: from_db(at),
                renditions: renditions.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Bytes a reader may fetch, with what the response needs to describe them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    pub bytes: Vec<u8>,
    pub kind: MediaKind,
    /// The uploader's cleaned file name, offered as the download name.
    pub name: String,
}

/// The bytes named `sha256`, if `viewer` may fetch them at `now`. Bytes belong to the uploads
/// that use them, as an original or a rendition, and may be fetched when one of those uploads
/// may be seen: one on a release when the viewer may see that release (`visible_to`, the rule
/// of the release page, so an embargoed release's photos stay hidden exactly as long as its
/// text); an organization's own when the organization may be shown to the viewer; one attached
/// to neither by editors and by the person who uploaded it.
pub fn served(
    conn: &mut DbConnection,
    sha256: &str,
    viewer: Viewer,
    now: DateTime<Utc>,
) -> Result<Option<Served>> {
    type Owner = (Option<i64>, Option<i64>, i64, String, String);
    let mut owners: Vec<Owner> = media::table
        .filter(media::sha256.eq(sha256))
        .select((
            media::release_id,
            media::organization_id,
            media::uploaded_by,
            media::kind,
            media::original_name,
        ))
        .load(conn)?;
    owners.extend(
        media_renditions::table
            .inner_join(media::table)
            .filter(media_renditions::sha256.eq(sha256))
            .select((
                media::release_id,
                media::organization_id,
                media::uploaded_by,
                media_renditions::format,
                media::original_name,
            ))
            .load::<Owner>(conn)?,
    );
    for (release, organization, uploader, kind, name) in owners {
        if may_see(conn, viewer, now, release, organization, uploader)? {
            let Some(bytes) = blob(conn, sha256)? else {
                return Ok(None);
            };
            return Ok(Some(Served {
                bytes,
                kind: kind_of(&kind)?,
                name,
            }));
        }
    }
    Ok(None)
}

fn may_see(
    conn: &mut DbConnection,
    viewer: Viewer,
    now: DateTime<Utc>,
    release: Option<i64>,
    organization: Option<i64>,
    uploader: i64,
) -> Result<bool> {
    let editor = matches!(viewer, Viewer::Staff { role, .. } if role >= Role::Editor);
    if let Some(id) = release {
        let n: i64 = releases::table
            .filter(releases::id.eq(id))
            .filter(visible_to(viewer, now))
            .count()
            .get_result(conn)?;
        return Ok(n > 0);
    }
    if let Some(id) = organization {
        // A preview's holder sees the issuer's logo on the page they were given, even while
        // the issuer is not yet public.
        if let Viewer::PreviewLink { release_id } = viewer {
            let issuer: Option<Option<i64>> = releases::table
                .find(release_id)
                .select(releases::organization_id)
                .first(conn)
                .optional()?;
            if issuer.flatten() == Some(id) {
                return Ok(true);
            }
        }
        let scope = match viewer {
            _ if editor => Scope::All,
            Viewer::Staff { user_id, .. } => Scope::VisibleTo {
                now,
                author: Some(user_id),
            },
            _ => Scope::public(now),
        };
        return organizations::visible(conn, id, scope);
    }
    Ok(editor || matches!(viewer, Viewer::Staff { user_id, .. } if user_id == uploader))
}

/// The releases (by id) and organizations that uses of the bytes named `sha256` belong to,
/// whether as an original or as a rendition. The serving handler shows the bytes only when one
/// of these is visible to the reader, by the one visibility rule the release page uses.
pub fn owners_of_blob(
    conn: &mut DbConnection,
    sha256: &str,
) -> Result<Vec<(Option<i64>, Option<i64>)>> {
    let as_original = media::table
        .filter(media::sha256.eq(sha256))
        .select((media::release_id, media::organization_id))
        .load::<(Option<i64>, Option<i64>)>(conn)?;
    let as_rendition = media_renditions::table
        .inner_join(media::table)
        .filter(media_renditions::sha256.eq(sha256))
        .select((media::release_id, media::organization_id))
        .load::<(Option<i64>, Option<i64>)>(conn)?;
    let mut owners = as_original;
    owners.extend(as_rendition);
    owners.sort_unstable();
    owners.dedup();
    Ok(owners)
}

/// How many blobs and uploads are stored: what the tests check stays at zero after a refusal.
pub fn counts(conn: &mut DbConnection) -> Result<(i64, i64, i64)> {
    let blobs = media_blobs::table.count().get_result(conn)?;
    let uploads = media::table.count().get_result(conn)?;
    let renditions = media_renditions::table.count().get_result(conn)?;
    Ok((blobs, uploads, renditions))
}

/// Deletes an upload and its renditions, and the bytes no other upload or rendition uses, in
/// one transaction. Returns what was deleted, for the audit log.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<Media> {
    write_tx(conn, |conn| {
        let gone = get(conn, id)?;
        diesel::delete(media_renditions::table.filter(media_renditions::media_id.eq(id)))
            .execute(conn)?;
        diesel::delete(media::table.find(id)).execute(conn)?;
        let mut hashes: Vec<String> = gone.renditions.iter().map(|r| r.sha256.clone()).collect();
        hashes.push(gone.sha256.clone());
        drop_unused_blobs(conn, hashes)?;
        Ok(gone)
    })
}

/// What the media library lists: a search over names and words, by kind, by release.
#[derive(Debug, Clone, Default)]
pub struct LibraryQuery {
    pub text: String,
    pub kind: Option<MediaKind>,
    pub release_id: Option<i64>,
    /// 0-based.
    pub page: i64,
    pub per_page: i64,
}

/// A file in the library, with what uses it.
#[derive(Debug, Clone)]
pub struct LibraryItem {
    pub media: Media,
    /// The release it belongs to: public id, slug and headline.
    pub release: Option<(String, String, String)>,
    /// The organization it belongs to: id and name.
    pub organization: Option<(i64, String)>,
}

/// One page of the library, newest first, and whether another follows.
pub fn library(conn: &mut DbConnection, q: &LibraryQuery) -> Result<(Vec<LibraryItem>, bool)> {
    let mut query = media::table.into_boxed();
    let text = q.text.trim();
    if !text.is_empty() {
        let pattern = format!("%{}%", escape_like(text));
        query = query.filter(
            media::original_name
                .like(pattern.clone())
                .escape('\\')
                .or(media::alt.like(pattern.clone()).escape('\\'))
                .or(media::caption.like(pattern.clone()).escape('\\'))
                .or(media::credit.like(pattern).escape('\\')),
        );
    }
    if let Some(kind) = q.kind {
        query = query.filter(media::kind.eq(kind.as_str()));
    }
    if let Some(id) = q.release_id {
        query = query.filter(media::release_id.eq(id));
    }
    let per_page = q.per_page.clamp(1, 200);
    let rows: Vec<MediaRow> = query
        .order(media::id.desc())
        .limit(per_page + 1)
        .offset(q.page.max(0).saturating_mul(per_page))
        .select(media_columns!())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    let mut files = with_renditions(conn, rows)?;
    files.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
    let release_ids: Vec<i64> = files.iter().filter_map(|m| m.release_id).collect();
    let org_ids: Vec<i64> = files.iter().filter_map(|m| m.organization_id).collect();
    let releases_by_id: HashMap<i64, (String, String, String)> = releases::table
        .filter(releases::id.eq_any(&release_ids))
        .select((
            releases::id,
            releases::public_id,
            releases::slug,
            releases::headline,
        ))
        .load::<(i64, String, String, String)>(conn)?
        .into_iter()
        .map(|(id, p, s, h)| (id, (p, s, h)))
        .collect();
    let orgs_by_id: HashMap<i64, String> = crate::schema::organizations::table
        .filter(crate::schema::organizations::id.eq_any(&org_ids))
        .select((
            crate::schema::organizations::id,
            crate::schema::organizations::name,
        ))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let items = files
        .into_iter()
        .map(|m| LibraryItem {
            release: m.release_id.and_then(|id| releases_by_id.get(&id).cloned()),
            organization: m
                .organization_id
                .and_then(|id| orgs_by_id.get(&id).map(|n| (id, n.clone()))),
            media: m,
        })
        .collect();
    Ok((items, more))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Puts new bytes (already checked and prepared) under an existing upload: its words and what
/// it belongs to stay, its renditions are made again, and bytes nothing uses any more go.
pub fn replace(
    conn: &mut DbConnection,
    id: i64,
    new: &NewMedia<'_>,
    at: DateTime<Utc>,
) -> Result<Media> {
    write_tx(conn, |conn| {
        let old = get(conn, id)?;
        let original = store_original(conn, new, at)?;
        diesel::delete(media_renditions::table.filter(media_renditions::media_id.eq(id)))
            .execute(conn)?;
        diesel::update(media::table.find(id))
            .set((
                media::sha256.eq(&original.sha256),
                media::kind.eq(new.kind.as_str()),
                media::original_name.eq(new.original_name),
                media::width.eq(original.width),
                media::height.eq(original.height),
                media::byte_size.eq(original.size),
            ))
            .execute(conn)?;
        insert_renditions(conn, id, &new.renditions, at)?;
        let mut hashes: Vec<String> = old.renditions.into_iter().map(|r| r.sha256).collect();
        hashes.push(old.sha256);
        drop_unused_blobs(conn, hashes)?;
        get(conn, id)
    })
}

/// Deletes each of `hashes` that no upload or rendition uses.
fn drop_unused_blobs(conn: &mut DbConnection, mut hashes: Vec<String>) -> Result<()> {
    hashes.sort_unstable();
    hashes.dedup();
    for hash in hashes {
        let used: i64 = media::table
            .filter(media::sha256.eq(&hash))
            .count()
            .get_result(conn)?;
        let in_renditions: i64 = media_renditions::table
            .filter(media_renditions::sha256.eq(&hash))
            .count()
            .get_result(conn)?;
        if used + in_renditions == 0 {
            diesel::delete(media_blobs::table.find(&hash)).execute(conn)?;
        }
    }
    Ok(())
}
