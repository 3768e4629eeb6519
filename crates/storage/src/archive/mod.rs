//! Moving a whole newsroom out and back in: [`export`] reads every record in canonical order,
//! [`import`] writes an archive's records into a newsroom, in one transaction, resolving
//! references by slug, e-mail address and public id. The format itself lives in
//! `dateline_core::archive`.

mod export;
mod import;
mod media;

pub use export::export;
pub use import::{ImportError, ImportReport, import};

use std::collections::HashMap;

use dateline_core::ReleaseContent;
use dateline_core::archive::ContentRecord;

/// Database ids and the stable keys that stand for them in an archive, in both directions.
#[derive(Debug, Default)]
pub(crate) struct Keys {
    pub users: HashMap<i64, String>,
    pub organizations: HashMap<i64, String>,
    pub categories: HashMap<i64, String>,
    pub regions: HashMap<i64, String>,
}

fn invert(map: &HashMap<i64, String>) -> HashMap<String, i64> {
    map.iter().map(|(id, key)| (key.clone(), *id)).collect()
}

/// A release's content with ids replaced by slugs.
pub(crate) fn to_record(content: &ReleaseContent, keys: &Keys) -> ContentRecord {
    let slugs = |ids: &[i64], map: &HashMap<i64, String>| -> Vec<String> {
        ids.iter().filter_map(|id| map.get(id).cloned()).collect()
    };
    ContentRecord {
        headline: content.headline.clone(),
        subheadline: content.subheadline.clone(),
        dateline: content.dateline.clone(),
        source: content.source.clone(),
        summary: content.summary.clone(),
        body: content.body.clone(),
        language: content.language.clone(),
        organization: content
            .organization_id
            .and_then(|id| keys.organizations.get(&id).cloned()),
        contacts: content.contacts.clone(),
        categories: slugs(&content.category_ids, &keys.categories),
        regions: slugs(&content.region_ids, &keys.regions),
        tags: content.tags.clone(),
    }
}
