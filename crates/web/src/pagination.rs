//! Paging through lists: reading the opaque `after` cursor from the address, for every list
//! that pages (public listings, admin lists, the API), and linking to another page.

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

/// `path` with a query of the `params` that have a value (empty ones are left out), for a link
/// to another page of the same filtered list.
pub fn link<'a>(path: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    format!("{path}?{}", s.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_link_carries_only_the_given_parameters() {
        let l = link(
            "/search",
            [("q", "wind & sun"), ("region", ""), ("page", "2")],
        );
        assert_eq!(l, "/search?q=wind+%26+sun&page=2");
    }
}
