//! Reading a search request (from the page or the API) into a storage query, with the same limits
//! and the same errors for both.

use chrono::{DateTime, Utc};
use dateline_storage::repo::search::{MAX_QUERY_CHARS, SearchQuery, parse_terms};
use dateline_storage::repo::{organizations, taxonomy};
use dateline_storage::visibility::Scope;
use dateline_storage::{DbConnection, StorageError};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::query::{self, Day};

pub const PER_PAGE: i64 = 20;
pub const MAX_PAGE: i64 = 50;

/// The parameters both `/search` and `/api/v1/search` accept.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<String>,
}

impl SearchParams {
    pub fn is_empty(&self) -> bool {
        self.q.trim().is_empty()
    }

    pub fn page_number(&self) -> WebResult<i64> {
        match query::given(self.page.as_deref()) {
            None => Ok(1),
            Some(p) => query::bounded(p, MAX_PAGE).ok_or_else(|| {
                WebError::bad_query(
                    "page",
                    format!("There is no such results page: pages run from 1 to {MAX_PAGE}."),
                )
            }),
        }
    }

    /// Checks the limits before any database work, so hostile input costs nothing.
    pub fn check(&self) -> WebResult<()> {
        if self.q.chars().count() > MAX_QUERY_CHARS {
            return Err(WebError::bad_query(
                "q",
                format!(
                    "Search for at most {MAX_QUERY_CHARS} characters; a few distinctive words work best."
                ),
            ));
        }
        self.page_number()?;
        self.days()?;
        for (field, v) in [
            ("organization", &self.organization),
            ("category", &self.category),
            ("region", &self.region),
        ] {
            if v.len() > 100 {
                return Err(WebError::bad_query(field, "This is too long."));
            }
        }
        Ok(())
    }

    /// The `from` and `to` days, if given.
    fn days(&self) -> WebResult<(Option<Day>, Option<Day>)> {
        Ok((
            Day::param(Some(&self.from), "from")?,
            Day::param(Some(&self.to), "to")?,
        ))
    }

    /// Resolves the filters (slugs) and builds the query. Unknown slugs and malformed values are a
    /// 400 naming the parameter, as in the API's release list. Search covers public releases
    /// only, so an organization, category or region with none is as unknown as a typo.
    pub fn resolve(&self, conn: &mut DbConnection, now: DateTime<Utc>) -> WebResult<SearchQuery> {
        self.check()?;
        let public = Scope::public(now);
        let lookup = |conn: &mut DbConnection, field: &str, slug: &str| -> WebResult<Option<i64>> {
            let slug = slug.trim();
            if slug.is_empty() {
                return Ok(None);
            }
            let found = match field {
                "organization" => organizations::get_by_slug(conn, slug).and_then(|o| {
                    organizations::visible(conn, o.id, public).map(|v| v.then_some(o.id))
                }),
                "category" => taxonomy::category_by_slug(conn, slug).and_then(|c| {
                    taxonomy::category_visible(conn, c.id, public).map(|v| v.then_some(c.id))
                }),
                _ => taxonomy::region_by_slug(conn, slug).and_then(|r| {
                    taxonomy::region_visible(conn, r.id, public).map(|v| v.then_some(r.id))
                }),
            }
            .and_then(|id| id.ok_or(StorageError::NotFound));
            match found {
                Ok(id) => Ok(Some(id)),
                // Probably a typo: say which filter, as the API's release list does.
                Err(e) if e.is_not_found() => Err(WebError::bad_query(
                    field,
                    format!("There is no {field} {slug:?}."),
                )),
                Err(e) => Err(e.into()),
            }
        };
        let (from, to) = self.days()?;
        Ok(SearchQuery {
            terms: parse_terms(&self.q),
            organization_id: lookup(conn, "organization", &self.organization)?,
            category_id: lookup(conn, "category", &self.category)?,
            region_id: lookup(conn, "region", &self.region)?,
            from: from.map(Day::start),
            until: to.and_then(Day::end),
            page: self.page_number()?,
            per_page: PER_PAGE,
        })
    }
}
