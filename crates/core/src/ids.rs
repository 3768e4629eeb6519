//! Public release ids: short, stable, URL-safe, and not guessable in sequence.

use std::fmt;
use std::str::FromStr;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Crockford-style alphabet without the letters that read like digits (i, l, o, u), so an id
/// read aloud over the phone survives.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Ten characters of 5 bits each: 50 bits, enough that collisions are rare and retried.
pub const PUBLIC_ID_LEN: usize = 10;

/// The id a release is known by in URLs and the API. It never changes, even when the slug does.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a release id is {PUBLIC_ID_LEN} characters from 0-9 and a-z (without i, l, o, u)")]
pub struct InvalidPublicId;

impl PublicId {
    pub fn generate<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let id = (0..PUBLIC_ID_LEN)
            .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
            .collect();
        PublicId(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PublicId {
    type Err = InvalidPublicId;

    /// Parsing is strict: upper case is refused rather than folded, so one release has exactly
    /// one spelling of its id and caches or access checks never see two.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == PUBLIC_ID_LEN && s.bytes().all(|b| ALPHABET.contains(&b)) {
            Ok(PublicId(s.to_owned()))
        } else {
            Err(InvalidPublicId)
        }
    }
}

impl TryFrom<String> for PublicId {
    type Error = InvalidPublicId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<PublicId> for String {
    fn from(id: PublicId) -> String {
        id.0
    }
}

impl fmt::Display for PublicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generated_ids_parse_back() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let id = PublicId::generate(&mut rng);
            assert_eq!(id.as_str().parse::<PublicId>(), Ok(id.clone()));
            assert!(id.as_str().bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn refuses_other_spellings() {
        assert!("ABCDEFGHJK".parse::<PublicId>().is_err());
        assert!("abcdefghj".parse::<PublicId>().is_err());
        assert!("abcdefghjkm".parse::<PublicId>().is_err());
        assert!("abcdefghji".parse::<PublicId>().is_err());
        assert!("abcd/fghjk".parse::<PublicId>().is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,20}") {
            let _ = s.parse::<PublicId>();
        }
    }
}
