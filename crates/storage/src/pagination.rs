//! Keyset pagination: a page ends with an opaque cursor naming the last row, and the next page
//! starts strictly after it. Stable under inserts, and as fast on page 500 as on page 1.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// Where the previous page stopped: the sort key of its last row, and the row id as tie-break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: CursorKey,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorKey {
    /// Lists ordered by id alone.
    Id,
    Time(DateTime<Utc>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the page cursor is not valid: go back to the first page")]
pub struct InvalidCursor;

impl Cursor {
    pub fn id(id: i64) -> Self {
        Cursor {
            key: CursorKey::Id,
            id,
        }
    }

    pub fn time(t: DateTime<Utc>, id: i64) -> Self {
        Cursor {
            key: CursorKey::Time(t),
            id,
        }
    }

    pub fn text(s: &str, id: i64) -> Self {
        Cursor {
            key: CursorKey::Text(s.to_owned()),
            id,
        }
    }

    pub fn encode(&self) -> String {
        let raw = match &self.key {
            CursorKey::Id => format!("i.{}", self.id),
            CursorKey::Time(t) => format!("t.{}.{}", t.timestamp_micros(), self.id),
            CursorKey::Text(s) => format!("s.{}.{}", self.id, s),
        };
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Strict decoding: anything we did not produce is refused, so a tampered cursor is a clear
    /// 400 rather than a strange page.
    pub fn decode(s: &str) -> Result<Self, InvalidCursor> {
        if s.len() > 600 {
            return Err(InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| InvalidCursor)?;
        let raw = String::from_utf8(bytes).map_err(|_| InvalidCursor)?;
        let (kind, rest) = raw.split_once('.').ok_or(InvalidCursor)?;
        let parse_id = |v: &str| {
            v.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or(InvalidCursor)
        };
        match kind {
            "i" => Ok(Cursor::id(parse_id(rest)?)),
            "t" => {
                let (micros, id) = rest.split_once('.').ok_or(InvalidCursor)?;
                let micros = micros.parse::<i64>().map_err(|_| InvalidCursor)?;
                // Only a time some row could have: anything else cannot be bound on PostgreSQL.
                let t = DateTime::<Utc>::from_timestamp_micros(micros)
                    .filter(|t| crate::time::storable(*t))
                    .ok_or(InvalidCursor)?;
                Ok(Cursor::time(t, parse_id(id)?))
            }
            "s" => {
                let (id, text) = rest.split_once('.').ok_or(InvalidCursor)?;
                // PostgreSQL text cannot hold NUL, so no row's key has one.
                if text.contains('\0') {
                    return Err(InvalidCursor);
                }
                Ok(Cursor::text(text, parse_id(id)?))
            }
            _ => Err(InvalidCursor),
        }
    }

    pub fn time_key(&self) -> Option<DateTime<Utc>> {
        match &self.key {
            CursorKey::Time(t) => Some(*t),
            _ => None,
        }
    }

    pub fn text_key(&self) -> Option<&str> {
        match &self.key {
            CursorKey::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// One page of a list, and the cursor for the next one if there is more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says there is more.
    pub fn from_overfetch(
        mut rows: Vec<T>,
        limit: usize,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page { items: rows, next }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

/// What a caller asks for. The limit is clamped to 1..=100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: usize,
}

impl PageRequest {
    pub const MAX: usize = 100;

    pub fn first(limit: usize) -> Self {
        PageRequest {
            after: None,
            limit: limit.clamp(1, Self::MAX),
        }
    }

    pub fn after(cursor: Option<Cursor>, limit: usize) -> Self {
        PageRequest {
            after: cursor,
            limit: limit.clamp(1, Self::MAX),
        }
    }

    /// Rows to fetch: one more than the limit, to learn whether another page exists.
    pub fn fetch(&self) -> i64 {
        self.limit as i64 + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trips() {
        let t = DateTime::<Utc>::from_timestamp_micros(1_790_000_000_123_456).unwrap();
        for c in [
            Cursor::id(7),
            Cursor::time(t, 42),
            Cursor::text("Zürich. Ltd", 3),
        ] {
            assert_eq!(Cursor::decode(&c.encode()), Ok(c));
        }
    }

    #[test]
    fn tampering_is_refused() {
        for bad in [
            "",
            "!!!",
            "aGVsbG8",
            &URL_SAFE_NO_PAD.encode("t.x.1"),
            &URL_SAFE_NO_PAD.encode("i.-1"),
            &URL_SAFE_NO_PAD.encode("i.0"),
            &URL_SAFE_NO_PAD.encode("i.99999999999999999999"),
            &URL_SAFE_NO_PAD.encode("s.-9223372036854775808.x"),
            // Times chrono can hold but no backend stores alike: before year 1, after 9999.
            &URL_SAFE_NO_PAD.encode(format!("t.{}.1", i64::MIN)),
            &URL_SAFE_NO_PAD.encode(format!("t.{}.1", i64::MAX)),
            &URL_SAFE_NO_PAD.encode("t.-62135596800000001.1"),
            &URL_SAFE_NO_PAD.encode("t.253402300800000000.1"),
            &URL_SAFE_NO_PAD.encode("t.1790000000000000.0"),
            &URL_SAFE_NO_PAD.encode("s.1.a\0b"),
            &"a".repeat(700),
        ] {
            assert_eq!(Cursor::decode(bad), Err(InvalidCursor), "{bad}");
        }
    }

    #[test]
    fn the_first_and_last_storable_moments_are_accepted() {
        for micros in [-62_135_596_800_000_000_i64, 253_402_300_799_999_999] {
            let raw = URL_SAFE_NO_PAD.encode(format!("t.{micros}.1"));
            assert!(Cursor::decode(&raw).is_ok(), "{micros}");
        }
    }

    proptest! {
        #[test]
        fn decode_never_panics(s in "\\PC{0,80}") {
            let _ = Cursor::decode(&s);
        }
    }
}
