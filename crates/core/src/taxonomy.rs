//! The ways readers browse releases: categories (a tree), regions and free-form tags.

use serde::{Deserialize, Serialize};

use crate::slug::check_name_and_slug;
use crate::validation::ValidationErrors;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<i64>,
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub revision: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub revision: i64,
}

/// Just enough of a category, region, tag or organization to print a link to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxonRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// The fields shared by everything named and slugged: categories, regions and tags.
#[derive(Debug, Clone, Default)]
pub struct TaxonInput {
    pub name: String,
    /// Derived from the name when empty.
    pub slug: String,
    pub description: String,
    /// Categories only.
    pub parent_id: Option<i64>,
}

impl TaxonInput {
    pub fn named(name: &str) -> Self {
        TaxonInput {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        check_name_and_slug(&mut e, &self.name, 100, &self.slug, "public-health");
        e.text("description", &self.description, false, 1_000);
        e.into_result()
    }
}

/// Why a category cannot sit under the parent asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParentRefusal {
    #[error("A category cannot sit under itself.")]
    UnderItself,
    #[error("That parent category does not exist.")]
    NoSuchParent,
    #[error("The category tree is too deep.")]
    TooDeep,
}

/// How many levels the category tree may have above a category.
pub const MAX_DEPTH: usize = 64;

/// Whether the category `id` (`None` for a new one) may sit under `parent`: the parent exists,
/// and walking up from it never reaches the category itself (a loop) nor goes on past
/// [`MAX_DEPTH`] levels. `parent_of(c)` reads the tree: `None` when category `c` does not exist,
/// `Some(None)` when it sits at the top.
pub fn check_parent<E: From<ParentRefusal>>(
    id: Option<i64>,
    parent: Option<i64>,
    mut parent_of: impl FnMut(i64) -> Result<Option<Option<i64>>, E>,
) -> Result<(), E> {
    let Some(mut cursor) = parent else {
        return Ok(());
    };
    for _ in 0..MAX_DEPTH {
        if Some(cursor) == id {
            return Err(ParentRefusal::UnderItself.into());
        }
        match parent_of(cursor)? {
            None => return Err(ParentRefusal::NoSuchParent.into()),
            Some(None) => return Ok(()),
            Some(Some(next)) => cursor = next,
        }
    }
    Err(ParentRefusal::TooDeep.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Walks a tree given as child -> parent, with no storage behind it.
    fn check(
        tree: &HashMap<i64, Option<i64>>,
        id: Option<i64>,
        parent: i64,
    ) -> Result<(), ParentRefusal> {
        check_parent(id, Some(parent), |c| Ok(tree.get(&c).copied()))
    }

    #[test]
    fn a_category_sits_under_an_existing_one_without_loops() {
        // 1 Energy > 2 Solar > 3 Rooftop
        let tree = HashMap::from([(1, None), (2, Some(1)), (3, Some(2))]);
        assert_eq!(check(&tree, None, 3), Ok(()));
        assert_eq!(check(&tree, Some(3), 1), Ok(()), "moving up is fine");
        assert_eq!(check(&tree, Some(1), 1), Err(ParentRefusal::UnderItself));
        assert_eq!(
            check(&tree, Some(1), 3),
            Err(ParentRefusal::UnderItself),
            "under a descendant"
        );
        assert_eq!(check(&tree, None, 99), Err(ParentRefusal::NoSuchParent));
        assert_eq!(
            check_parent::<ParentRefusal>(Some(1), None, |_| Ok(None)),
            Ok(()),
            "top level"
        );
        let chain: HashMap<i64, Option<i64>> =
            (1..=100).map(|c| (c, (c > 1).then(|| c - 1))).collect();
        assert_eq!(check(&chain, None, 100), Err(ParentRefusal::TooDeep));
        assert_eq!(check(&chain, None, MAX_DEPTH as i64), Ok(()));
        assert_eq!(
            ParentRefusal::UnderItself.to_string(),
            "A category cannot sit under itself."
        );
    }
}
