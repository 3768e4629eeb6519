//! Paging through lists by an opaque `after` cursor: reading it from the address, for every
//! list that pages (public listings, admin lists, the API).

use dateline_storage::Cursor;
use serde::Deserialize;

use crate::error::{WebError, WebResult};

/// Releases on one page of the home page and the public listings.
pub const PAGE_SIZE: usize = 20;

/// Paging for the home page, listings and feeds: an `after` cursor from the "Older releases"
/// link. Other parameters are ignored, except `page`, which old links and readers try.
#[derive(Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    page: Option<String>,
}

impl PageQuery {
    /// The cursor to start after; a page number other than 1 is a 400 that says how these
    /// lists page, rather than quietly showing the first page again.
    pub fn cursor(&self) -> WebResult<Option<Cursor>> {
        match self.page.as_deref().map(str::trim) {
            None | Some("" | "1") => cursor(self.after.as_deref()),
            Some(_) => Err(WebError::bad_query(
                "page",
                "There are no page numbers here: these lists go back in time with the \"Older releases\" link at the bottom.",
            )),
        }
    }
}

/// Reads the `after` cursor: absent is the first page; anything we did not make is a 400.
pub fn cursor(after: Option<&str>) -> WebResult<Option<Cursor>> {
    match after {
        None | Some("") => Ok(None),
        Some(s) => Cursor::decode(s)
            .map(Some)
            .map_err(|e| WebError::BadRequest(crate::error::capitalize(&e.to_string()) + ".")),
    }
}
