//! Media in the archive: each upload as a record after the releases, with its stored original
//! and renditions in base64, so a moved newsroom keeps its pictures byte for byte and needs no
//! image decoder to import them.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use dateline_core::archive::{MediaRecord, Record, RenditionRecord};
use dateline_core::media::{MediaKind, check_file};
use diesel::prelude::*;

use super::Keys;
use super::import::{ImportError, Known};
use crate::connection::DbConnection;
use crate::error::Result;
use crate::repo::media::{self, Media, NewMedia, NewRendition};
use crate::schema::{media as media_table, releases};

/// Every upload, by owner and then upload order, so the same newsroom exports the same bytes.
pub(super) fn export(conn: &mut DbConnection, keys: &Keys) -> Result<Vec<Record>> {
    let ids: Vec<i64> = media_table::table
        .select(media_table::id)
        .order(media_table::id)
        .load(conn)?;
    let public_ids: HashMap<i64, String> = releases::table
        .select((releases::id, releases::public_id))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let m = media::get(conn, id)?;
        out.push(Record::Media(Box::new(record(
            conn,
            &m,
            keys,
            &public_ids,
        )?)));
    }
    out.sort_by_key(key);
    Ok(out)
}

fn key(r: &Record) -> (Option<String>, Option<String>, DateTime<Utc>, String) {
    match r {
        Record::Media(m) => (
            m.release.clone(),
            m.organization.clone(),
            m.created_at,
            m.sha256.clone(),
        ),
        _ => (None, None, DateTime::<Utc>::MIN_UTC, String::new()),
    }
}

fn record(
    conn: &mut DbConnection,
    m: &Media,
    keys: &Keys,
    public_ids: &HashMap<i64, String>,
) -> Result<MediaRecord> {
    let bytes = media::blob(conn, &m.sha256)?.unwrap_or_default();
    let mut renditions = Vec::with_capacity(m.renditions.len());
    for r in &m.renditions {
        renditions.push(RenditionRecord {
            width: r.width,
            height: r.height,
            format: r.format.as_str().to_owned(),
            bytes: STANDARD.encode(media::blob(conn, &r.sha256)?.unwrap_or_default()),
        });
    }
    Ok(MediaRecord {
        sha256: m.sha256.clone(),
        kind: m.kind.as_str().to_owned(),
        name: m.original_name.clone(),
        alt: m.alt.clone(),
        caption: m.caption.clone(),
        credit: m.credit.clone(),
        width: m.dimensions.map(|d| d.0),
        height: m.dimensions.map(|d| d.1),
        release: m.release_id.and_then(|id| public_ids.get(&id).cloned()),
        organization: m
            .organization_id
            .and_then(|id| keys.organizations.get(&id).cloned()),
        uploaded_by: keys.users.get(&m.uploaded_by).cloned(),
        created_at: m.created_at,
        bytes: STANDARD.encode(bytes),
        renditions,
    })
}

/// The record's renditions, each the picture format it claims.
fn renditions(
    r: &MediaRecord,
    refuse: &dyn Fn(&str) -> ImportError,
) -> std::result::Result<Vec<NewRendition>, ImportError> {
    r.renditions
        .iter()
        .map(|x| {
            let format = MediaKind::parse(&x.format)
                .filter(|k| k.is_image())
                .ok_or_else(|| {
                    refuse(&format!(
                        "has a rendition in an unknown format {:?}",
                        x.format
                    ))
                })?;
            let bytes = STANDARD
                .decode(&x.bytes)
                .map_err(|_| refuse("has a rendition that is not base64"))?;
            if MediaKind::sniff(&bytes) != Some(format) {
                return Err(refuse("has a rendition that is not what it says"));
            }
            Ok(NewRendition {
                width: x.width,
                height: x.height,
                format,
                bytes,
            })
        })
        .collect()
}

/// Adds an upload unless the same bytes under the same name already belong to the same owner.
/// The bytes must be what the record says (its hash) and pass the upload rules again.
pub(super) fn add(
    conn: &mut DbConnection,
    known: &Known,
    r: &MediaRecord,
    fallback_uploader: Option<i64>,
) -> std::result::Result<bool, ImportError> {
    let whose = format!("file {} ({})", r.name, r.sha256);
    let refuse = |what: &str| ImportError::Refused(format!("{whose} {what}"));
    let bytes = STANDARD
        .decode(&r.bytes)
        .map_err(|_| refuse("has bytes that are not base64"))?;
    if media::hash(&bytes) != r.sha256 {
        return Err(refuse("has bytes that do not match its hash"));
    }
    let checked = check_file(&r.name, &bytes).map_err(|e| refuse(&format!("is refused: {e}")))?;
    if checked.kind.as_str() != r.kind {
        return Err(refuse(&format!(
            "says it is {} but is {}",
            r.kind,
            checked.kind.as_str()
        )));
    }
    let release_id = match &r.release {
        Some(p) => Some(
            releases::table
                .filter(releases::public_id.eq(p))
                .select(releases::id)
                .first::<i64>(conn)
                .optional()?
                .ok_or_else(|| refuse(&format!("belongs to release {p}, which is nowhere")))?,
        ),
        None => None,
    };
    let organization_id = match &r.organization {
        Some(slug) => Some(known.organization(slug, &whose)?),
        None => None,
    };
    let mut same = media_table::table
        .filter(media_table::sha256.eq(&r.sha256))
        .filter(media_table::original_name.eq(&r.name))
        .into_boxed();
    same = match release_id {
        Some(id) => same.filter(media_table::release_id.eq(id)),
        None => same.filter(media_table::release_id.is_null()),
    };
    same = match organization_id {
        Some(id) => same.filter(media_table::organization_id.eq(id)),
        None => same.filter(media_table::organization_id.is_null()),
    };
    let present: i64 = same.count().get_result(conn)?;
    if present > 0 {
        return Ok(false);
    }
    let uploader = match &r.uploaded_by {
        Some(email) => Some(known.user_id(email, &whose)?),
        None => fallback_uploader,
    }
    .ok_or_else(|| refuse("names no uploader, and this newsroom has no account to credit"))?;
    let renditions = renditions(r, &refuse)?;
    let new = NewMedia {
        bytes: &bytes,
        kind: checked.kind,
        original_name: &checked.name,
        alt: &r.alt,
        caption: &r.caption,
        credit: &r.credit,
        dimensions: r.width.zip(r.height),
        release_id,
        organization_id,
        uploaded_by: uploader,
        renditions,
    };
    media::create(conn, &new, r.created_at)?;
    Ok(true)
}
