//! PostgreSQL's weighted search document for many releases at once, assembled here from terms
//! PostgreSQL itself chose.
//!
//! Running `to_tsvector('english', …)` over whole texts was half of what the database spent on
//! seeding: it parses and stems every word of every release, and a corpus of a few thousand
//! distinct words repeats them endlessly. PostgreSQL's parser never joins characters across a
//! space, tab or line break (markup excepted, which is why a text with `<`, `>` or `&` is left to
//! it), so a text is the run of its space-separated pieces: each piece always yields the same
//! lexemes at the same relative positions and takes the same number of positions. A
//! [`Lexicon`] asks the database once per distinct piece, then writes each document as a
//! `tsvector` literal, which PostgreSQL reads about ten times faster than it computes one.
//!
//! Whatever the lexicon cannot vouch for it declines, and the caller lets PostgreSQL compute
//! that document as usual; a test compares both ways over generated and awkward texts.

use std::fmt::Write as _;

use rustc_hash::FxHashMap as HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, SmallInt, Text};

use crate::error::Result;

/// The document's fields in the order the index concatenates them, with their weights; it must
/// match the expression in `search::PG_INDEX_ROWS`.
pub const WEIGHTS: [char; 5] = ['A', 'B', 'B', 'C', 'D'];

/// Above this many positions for one lexeme PostgreSQL starts dropping some, and past
/// [`MAX_POSITION`] it folds positions together; neither is worth copying exactly.
const MAX_POSITIONS_PER_LEXEME: usize = 200;
const MAX_POSITION: u32 = 16_383;
/// A lexicon grown past this many pieces (real text rather than a generated corpus) starts
/// afresh rather than keep every piece it has seen.
const MAX_PIECES: usize = 500_000;
/// Pieces asked about per statement.
const LEARNED_PER_STATEMENT: usize = 5_000;

/// What one space-separated piece of text contributes: how many positions it takes and its
/// lexemes at positions counted from 1 within it.
#[derive(Debug, Clone, Default)]
struct Piece {
    width: u32,
    terms: Vec<(u32, u16)>,
}

/// Pieces of text already asked about, and the lexemes they yield.
#[derive(Debug, Default)]
pub struct Lexicon {
    pieces: HashMap<String, Piece>,
    lexemes: Vec<String>,
    lexeme_ids: HashMap<String, u32>,
}

#[derive(QueryableByName)]
struct LearnedRow {
    #[diesel(sql_type = Text)]
    piece: String,
    #[diesel(sql_type = Integer)]
    width: i32,
    #[diesel(sql_type = Nullable<Text>)]
    lexeme: Option<String>,
    #[diesel(sql_type = Nullable<Array<SmallInt>>)]
    positions: Option<Vec<i16>>,
}

// A piece's width counts the tokens the english configuration maps to a dictionary (stop words
// included, as they take a position), skipping tokens too long to index, as `to_tsvector` does.
const LEARN: &str = "SELECT u.piece,
    (SELECT count(*) FROM ts_parse((SELECT cfgparser FROM pg_ts_config
            WHERE oid = 'english'::regconfig), u.piece) AS p
        WHERE octet_length(p.token) < 2047
          AND p.tokid IN (SELECT m.maptokentype FROM pg_ts_config_map AS m
                          WHERE m.mapcfg = 'english'::regconfig))::int AS width,
    t.lexeme, t.positions
FROM unnest($1::text[]) AS u(piece)
LEFT JOIN LATERAL unnest(to_tsvector('english', u.piece)) AS t ON true";

/// Splits text where PostgreSQL's parser always ends a token.
fn pieces(text: &str) -> impl Iterator<Item = &str> {
    text.split([' ', '\t', '\n', '\r'])
        .filter(|p| !p.is_empty())
}

/// Whether a text may contain markup, whose tokens can span spaces.
fn has_markup(text: &str) -> bool {
    text.contains(['<', '>', '&'])
}

impl Lexicon {
    /// Asks PostgreSQL about every piece of `texts` not yet known.
    pub fn learn<'t>(
        &mut self,
        conn: &mut PgConnection,
        texts: impl Iterator<Item = &'t str>,
    ) -> Result<()> {
        let mut unknown: Vec<&str> = texts
            .filter(|t| !has_markup(t))
            .flat_map(pieces)
            .filter(|p| !self.pieces.contains_key(*p))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if self.pieces.len() + unknown.len() > MAX_PIECES {
            *self = Lexicon::default();
        }
        for part in unknown.chunks(LEARNED_PER_STATEMENT) {
            let rows: Vec<LearnedRow> = diesel::sql_query(LEARN)
                .bind::<Array<Text>, _>(part)
                .load(conn)?;
            for row in rows {
                self.add(row);
            }
        }
        Ok(())
    }

    fn add(&mut self, row: LearnedRow) {
        let width = u32::try_from(row.width).unwrap_or(0);
        let lexeme = row.lexeme.map(|l| self.lexeme_id(l));
        let piece = self.pieces.entry(row.piece).or_default();
        piece.width = width;
        if let (Some(id), Some(positions)) = (lexeme, row.positions) {
            piece.terms.extend(
                positions
                    .into_iter()
                    .filter_map(|p| u16::try_from(p).ok())
                    .map(|p| (id, p)),
            );
        }
    }

    fn lexeme_id(&mut self, lexeme: String) -> u32 {
        if let Some(&id) = self.lexeme_ids.get(&lexeme) {
            return id;
        }
        let id = u32::try_from(self.lexemes.len()).unwrap_or(u32::MAX);
        self.lexemes.push(lexeme.clone());
        self.lexeme_ids.insert(lexeme, id);
        id
    }

    /// The `tsvector` literal of the fields weighted by [`WEIGHTS`], equal to what the index
    /// expression computes from them, or `None` where that cannot be vouched for.
    pub fn document(&self, fields: [&str; 5]) -> Option<String> {
        // Positions per lexeme, each with its weight, in ascending order.
        let mut found: HashMap<u32, Vec<(u32, char)>> = HashMap::default();
        // `||` shifts the right side by the highest position on the left.
        let mut offset = 0u32;
        for (text, weight) in fields.into_iter().zip(WEIGHTS) {
            if has_markup(text) {
                return None;
            }
            let (mut taken, mut highest) = (0u32, 0u32);
            for piece in pieces(text) {
                let piece = self.pieces.get(piece)?;
                for &(id, at) in &piece.terms {
                    let at = taken + u32::from(at);
                    highest = highest.max(at);
                    found.entry(id).or_default().push((offset + at, weight));
                }
                taken += piece.width;
            }
            if taken > MAX_POSITION {
                return None;
            }
            offset += highest;
        }
        if offset > MAX_POSITION || found.values().any(|p| p.len() > MAX_POSITIONS_PER_LEXEME) {
            return None;
        }
        let mut literal = String::new();
        for (id, positions) in &found {
            let lexeme = self.lexemes.get(*id as usize)?;
            literal.push('\'');
            for c in lexeme.chars() {
                match c {
                    '\'' => literal.push_str("''"),
                    '\\' => literal.push_str("\\\\"),
                    c => literal.push(c),
                }
            }
            literal.push('\'');
            for (i, (at, weight)) in positions.iter().enumerate() {
                let sep = if i == 0 { ':' } else { ',' };
                let _ = write!(literal, "{sep}{at}{weight}");
            }
            literal.push(' ');
        }
        Some(literal)
    }
}
