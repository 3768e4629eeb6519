//! Full-text search over public releases: FTS5 on SQLite, `tsvector` on PostgreSQL, one interface.
//!
//! Only releases the public may see are in the index (the publish pipeline keeps it in step), and
//! every query filters on visibility again, so an index bug cannot leak an embargoed release.
//! All SQL here is static text with bound parameters; user input never becomes SQL.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use dateline_core::content::plain_text;
use dateline_core::{Release, ReleaseContent, ReleaseStatus, ReleaseSummary};
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::HasSqlType;
use diesel::sql_types::{Array, BigInt, Bool, Double, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;

use crate::connection::DbConnection;
use crate::error::Result;
use crate::repo::releases;
use crate::repo::search_terms::Lexicon;
use crate::schema::releases as rel;
use crate::time::{opt_to_db, to_db};
use crate::visibility::public_release_sql;

/// Longest query we accept, in characters. Real searches are a few words.
pub const MAX_QUERY_CHARS: usize = 200;
/// Terms beyond this are ignored: each common one costs SQLite a walk of its whole list in the
/// index to rank by (3–4 ms at 100,000 releases), and six words already pick out a release.
pub const MAX_TERMS: usize = 6;

/// A search term: one word, or a quoted phrase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

/// Splits what a reader typed into words and "quoted phrases". Everything that is not a letter
/// or digit separates words, so operators, stray quotes and markup are inert. Unbalanced quotes
/// end at the end of the input.
pub fn parse_terms(input: &str) -> Vec<Term> {
    let mut terms = Vec::new();
    for (i, chunk) in input.split('"').enumerate() {
        let words: Vec<String> = chunk
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| w.chars().take(64).collect::<String>().to_lowercase())
            .collect();
        if i % 2 == 1 && words.len() > 1 {
            terms.push(Term::Phrase(words));
        } else {
            terms.extend(
                words
                    .into_iter()
                    .filter(|w| !STOP_WORDS.contains(&w.as_str()))
                    .map(Term::Word),
            );
        }
    }
    // A term twice finds nothing more, but costs its lookups and ranking twice.
    let mut seen = std::collections::HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms.truncate(MAX_TERMS);
    terms
}

/// English words too common to narrow a search. PostgreSQL's `english` configuration leaves
/// them out of its index and its queries; FTS5 indexes them, and ranking by each one cost SQLite
/// a walk of a list naming nearly every release (3–4 ms at 100,000). Leaving them out of every
/// search makes both backends answer alike, and a search of stop words alone finds nothing on
/// either.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// FTS5 syntax: every term double-quoted (so it is a plain string), joined by AND.
fn fts5_query(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match t {
            Term::Word(w) => format!("\"{w}\""),
            Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Input for PostgreSQL's `websearch_to_tsquery`, which accepts any text without error.
fn websearch_query(terms: &[Term]) -> String {
    terms
        .iter()
        .map(|t| match t {
            Term::Word(w) => w.clone(),
            Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every word of the query, phrases' words included, for the index's first pass (see
/// [`PG_SEARCH`]).
fn words_query(terms: &[Term]) -> String {
    terms
        .iter()
        .flat_map(|t| match t {
            Term::Word(w) => std::slice::from_ref(w),
            Term::Phrase(ws) => ws.as_slice(),
        })
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Indexes the public releases of an organization again under its new name, in the same
/// transaction as the rename, so searching the new name finds them at once. The index keeps no
/// text to update in place, so each row is made again from its release.
pub fn rename_organization(
    conn: &mut DbConnection,
    organization_id: i64,
    name: &str,
) -> Result<()> {
    let indexed = rel::table
        .filter(rel::organization_id.eq(organization_id))
        .filter(rel::status.eq(ReleaseStatus::Published.as_str()))
        .load::<releases::ReleaseRow>(conn)?;
    for row in indexed {
        delete_row(conn, row.id)?;
        let body = plain_text(&row.body()?);
        let words = IndexedWords {
            headline: &row.headline,
            subheadline: &row.subheadline,
            summary: &row.summary,
            body: &body,
            organization: name,
        };
        insert_words(conn, &[(row.id, words)], None)?;
    }
    Ok(())
}

fn delete_row(conn: &mut DbConnection, id: i64) -> Result<()> {
    // The backends name the key column differently; the statement is otherwise the same.
    let delete = match conn {
        DbConnection::Sqlite(_) => "DELETE FROM release_search WHERE rowid = ?",
        DbConnection::Pg(_) => "DELETE FROM release_search WHERE release_id = $1",
    };
    let delete = diesel::sql_query(delete).bind::<BigInt, _>(id);
    match conn {
        DbConnection::Sqlite(c) => delete.execute(c)?,
        DbConnection::Pg(c) => delete.execute(c)?,
    };
    Ok(())
}

/// Adds, replaces or removes a release's index row to match whether the public may see it.
pub fn sync(conn: &mut DbConnection, release: &Release) -> Result<()> {
    delete_row(conn, release.id)?;
    if release.status == ReleaseStatus::Published {
        let org = release.organization.as_ref().map(|o| o.name.as_str());
        insert_row(conn, release.id, &release.content, org.unwrap_or_default())?;
    }
    Ok(())
}

/// Indexes a public release that has no index row yet: the plain text of its body and the
/// issuer's name, so searching either finds it. Bulk loading indexes many at once through
/// [`insert_rows`], so seeded releases are found exactly like published ones.
pub(crate) fn insert_row(
    conn: &mut DbConnection,
    id: i64,
    c: &ReleaseContent,
    organization: &str,
) -> Result<()> {
    insert_rows(conn, &[(id, c, organization)], None)
}

/// Indexes public releases that have no index rows yet, each with its issuer's name. With a
/// lexicon, PostgreSQL is handed the documents it can vouch for ready-made (see
/// [`crate::repo::search_terms`]).
pub(crate) fn insert_rows(
    conn: &mut DbConnection,
    rows: &[(i64, &ReleaseContent, &str)],
    lexicon: Option<&mut Lexicon>,
) -> Result<()> {
    let bodies: Vec<String> = rows.iter().map(|(_, c, _)| plain_text(&c.body)).collect();
    let words: Vec<(i64, IndexedWords<'_>)> = rows
        .iter()
        .zip(&bodies)
        .map(|(&(id, c, organization), body)| {
            (
                id,
                IndexedWords {
                    headline: &c.headline,
                    subheadline: &c.subheadline,
                    summary: &c.summary,
                    body,
                    organization,
                },
            )
        })
        .collect();
    insert_words(conn, &words, lexicon)
}

fn insert_words(
    conn: &mut DbConnection,
    words: &[(i64, IndexedWords<'_>)],
    lexicon: Option<&mut Lexicon>,
) -> Result<()> {
    match conn {
        DbConnection::Sqlite(c) => {
            for (id, w) in words {
                diesel::sql_query(SQLITE_INDEX_ROW)
                    .bind::<BigInt, _>(id)
                    .bind::<Text, _>(w.headline)
                    .bind::<Text, _>(w.subheadline)
                    .bind::<Text, _>(w.summary)
                    .bind::<Text, _>(w.body)
                    .bind::<Text, _>(w.organization)
                    .execute(c)?;
            }
        }
        DbConnection::Pg(c) => insert_pg_rows(c, words, lexicon)?,
    }
    Ok(())
}

/// What the index reads of a release. Neither backend keeps this text: FTS5 is contentless and
/// PostgreSQL stores only the weighted `tsvector`.
struct IndexedWords<'a> {
    headline: &'a str,
    subheadline: &'a str,
    summary: &'a str,
    body: &'a str,
    organization: &'a str,
}

impl<'a> IndexedWords<'a> {
    /// In the order and with the weights of [`crate::repo::search_terms::WEIGHTS`].
    fn fields(&self) -> [&'a str; 5] {
        [
            self.headline,
            self.subheadline,
            self.organization,
            self.summary,
            self.body,
        ]
    }
}

const SQLITE_INDEX_ROW: &str = "INSERT INTO release_search
    (rowid, headline, subheadline, summary, body, organization) VALUES (?, ?, ?, ?, ?, ?)";

// One statement for any number of rows, the columns passed as arrays. The weights rank a match
// in the headline above one in the body, as FTS5's bm25 column weights do. A row that comes with
// its document ready-made (`terms`) skips the expression, and its text columns are left empty.
const PG_INDEX_ROWS: &str = "INSERT INTO release_search (release_id, document)
    SELECT t.id, COALESCE(t.terms::tsvector,
        setweight(to_tsvector('english', t.headline), 'A')
        || setweight(to_tsvector('english', t.subheadline), 'B')
        || setweight(to_tsvector('english', t.organization), 'B')
        || setweight(to_tsvector('english', t.summary), 'C')
        || setweight(to_tsvector('english', t.body), 'D'))
    FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[])
        AS t(id, headline, subheadline, summary, body, organization, terms)";

fn insert_pg_rows<'w>(
    conn: &mut PgConnection,
    rows: &[(i64, IndexedWords<'w>)],
    lexicon: Option<&mut Lexicon>,
) -> Result<()> {
    let terms: Vec<Option<String>> = match lexicon {
        Some(lexicon) => {
            lexicon.learn(conn, rows.iter().flat_map(|(_, w)| w.fields()))?;
            rows.iter()
                .map(|(_, w)| lexicon.document(w.fields()))
                .collect()
        }
        None => vec![None; rows.len()],
    };
    // Text a ready-made document stands for need not travel.
    let column = |f: fn(&IndexedWords<'w>) -> &'w str| -> Vec<&'w str> {
        rows.iter()
            .zip(&terms)
            .map(|((_, w), t)| if t.is_some() { "" } else { f(w) })
            .collect()
    };
    diesel::sql_query(PG_INDEX_ROWS)
        .bind::<Array<BigInt>, _>(rows.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(column(|w| w.headline))
        .bind::<Array<Text>, _>(column(|w| w.subheadline))
        .bind::<Array<Text>, _>(column(|w| w.summary))
        .bind::<Array<Text>, _>(column(|w| w.body))
        .bind::<Array<Text>, _>(column(|w| w.organization))
        .bind::<Array<Nullable<Text>>, _>(terms)
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
    pub organization_id: Option<i64>,
    pub category_id: Option<i64>,
    pub region_id: Option<i64>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// 1-based.
    pub page: i64,
    pub per_page: i64,
}

/// A run of snippet text, highlighted where it matched. Templates print the text escaped and
/// wrap highlighted runs in `<mark>`, so no HTML from the index is ever trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    pub text: String,
    pub highlighted: bool,
}

#[derive(Debug, Clone)]
pub struct SearchHit {
    pub release: ReleaseSummary,
    pub snippet: Vec<Fragment>,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// How many releases match, counted up to [`CANDIDATES`]: no reader can page further, so
    /// counting on would only cost time.
    pub total: i64,
    /// More than [`CANDIDATES`] match.
    pub more: bool,
}

const MARK_START: char = '\u{E000}';
const MARK_END: char = '\u{E001}';

fn fragments(raw: &str) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut highlighted = false;
    let mut text = String::new();
    for ch in raw.chars() {
        if ch == MARK_START || ch == MARK_END {
            if !text.is_empty() {
                out.push(Fragment {
                    text: std::mem::take(&mut text),
                    highlighted,
                });
            }
            highlighted = ch == MARK_START;
        } else {
            text.push(ch);
        }
    }
    if !text.is_empty() {
        out.push(Fragment { text, highlighted });
    }
    out
}

#[derive(QueryableByName)]
struct SnippetRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    snippet: String,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// A row of [`SQLITE_SEARCH`] or [`PG_SEARCH`]: the count, and one hit unless the page is past
/// the end.
#[derive(QueryableByName)]
struct PageRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Nullable<Double>)]
    #[allow(dead_code)]
    rank: Option<f64>,
}

/// Matches ranked per search: the newest this many that pass the filters. Results pages stop at
/// 50 pages of 20, so no reader can page past them, and a common word costs the same at
/// 100,000 releases as at 1,000.
pub const CANDIDATES: i64 = 1_000;

// The filters, written once per backend as literal macros so the queries stay static text; the
// visibility rule is the shared fragment of `crate::visibility`.
// `? IS NULL OR …` makes each filter optional without building SQL at run time. A category
// includes the categories below it, as on the category pages.
macro_rules! sqlite_filters {
    () => {
        concat!(" ", public_release_sql!("?"), "
        AND (? IS NULL OR r.organization_id = ?)
        AND (? IS NULL OR EXISTS (SELECT 1 FROM release_categories rc WHERE rc.release_id = r.id AND rc.category_id IN (
            WITH RECURSIVE below(id) AS (SELECT ? UNION SELECT c.id FROM categories c JOIN below ON c.parent_id = below.id)
            SELECT id FROM below)))
        AND (? IS NULL OR EXISTS (SELECT 1 FROM release_regions rr WHERE rr.release_id = r.id AND rr.region_id = ?))
        AND (? IS NULL OR r.published_at >= ?)
        AND (? IS NULL OR r.published_at < ?)")
    };
}

// A region is one value, so PostgreSQL can gather its releases from their index and check the
// matches against that set before reading any release; a category takes its descendants along,
// which the planner cannot size, and is checked release by release instead.
macro_rules! pg_filters {
    () => {
        concat!(" ", public_release_sql!("$2"), "
        AND ($3::bigint IS NULL OR r.organization_id = $3)
        AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM release_categories rc WHERE rc.release_id = r.id AND rc.category_id IN (
            WITH RECURSIVE below(id) AS (SELECT $4::bigint UNION SELECT c.id FROM categories c JOIN below ON c.parent_id = below.id)
            SELECT id FROM below)))
        AND ($5::bigint IS NULL OR m.id IN (SELECT rr.release_id FROM release_regions rr WHERE rr.region_id = $5))
        AND ($6::timestamp IS NULL OR r.published_at >= $6)
        AND ($7::timestamp IS NULL OR r.published_at < $7)")
    };
}

// SQLite: the full-text index drives. `CROSS JOIN` keeps it the outer loop (SQLite never
// reorders one), and it hands over its matches newest first, so the scan stops after
// `CANDIDATES` rows that pass the filters; each is checked against `releases` by primary key.
// Only those are ranked, and snippets are made for the page shown alone.
macro_rules! sqlite_matches {
    () => {
        concat!(
            " FROM release_search CROSS JOIN releases r ON r.id = release_search.rowid
            WHERE release_search MATCH ? AND",
            sqlite_filters!()
        )
    };
}

// One statement finds the newest 1,001 that pass (computing each one's bm25 as FTS5 hands it
// over), counts them, ranks the newest 1,000 and returns one page, so the index is walked once.
// A page past the end still gives the count (the page's columns are then empty).
const SQLITE_SEARCH: &str = concat!(
    "WITH candidates AS MATERIALIZED (
        SELECT release_search.rowid AS id, r.published_at AS published_at,
            bm25(release_search, 10.0, 5.0, 3.0, 1.0, 4.0) AS rank",
    sqlite_matches!(),
    " ORDER BY release_search.rowid DESC LIMIT 1001),
    page AS (SELECT id, rank, published_at
        FROM (SELECT id, rank, published_at FROM candidates ORDER BY id DESC LIMIT 1000)
        ORDER BY rank, published_at DESC, id DESC LIMIT ? OFFSET ?)
    SELECT t.n, p.id, p.rank FROM (SELECT count(*) AS n FROM candidates) t
    LEFT JOIN page p ON 1
    ORDER BY p.rank, p.published_at DESC, p.id DESC"
);

// The index keeps no text, so snippets are made from the releases of the page shown: they are
// indexed into a connection's own temporary table, tokenised as `release_search` is (keep the two
// in step), and FTS5 marks the matches there exactly as it would have in the main index.
const SQLITE_SNIPPET_TABLE: &str = "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_snippets
    USING fts5(headline, subheadline, summary, body, organization,
        tokenize = 'porter unicode61 remove_diacritics 2')";
const SQLITE_SNIPPET_CLEAR: &str = "DELETE FROM temp.search_snippets";
// One statement for the whole page: the rows come as one JSON array of arrays.
const SQLITE_SNIPPET_ROWS: &str = "INSERT INTO temp.search_snippets
    (rowid, headline, subheadline, summary, body, organization)
    SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
    FROM json_each(?)";
const SQLITE_SNIPPETS: &str = "SELECT rowid AS id,
        snippet(search_snippets, -1, char(57344), char(57345), '…', 28) AS snippet
    FROM temp.search_snippets
    WHERE search_snippets MATCH ?";

// PostgreSQL, in two steps. First the GIN index finds the releases holding every word, among
// the newest `$2` ids (among all when `$2` is NULL). This runs in a transaction of its own that
// prices out whole-table scans ([`PG_MATCH_SETTINGS`]). `+ 0` keeps the planner from walking
// the primary key newest first, reading every document on the way: the window is a filter on
// what the index found, so a word most releases hold costs one pass over its matches' ids and
// a sort of the few thousand in the window, not a sort of all of them.
const PG_MATCHES: &str = "SELECT s.release_id AS id FROM release_search s
    WHERE s.document @@ websearch_to_tsquery('english', $1)
    AND ($2::bigint IS NULL OR s.release_id + 0 > (SELECT max(release_id) FROM release_search) - $2)
    ORDER BY s.release_id + 0 DESC";

// Words most releases hold: the newest `$2` releases checked one by one, walking the primary
// key, which reads about a thousand documents where the index would list nearly every release.
const PG_NEWEST_MATCHING: &str = "SELECT s.release_id AS id FROM release_search s
    WHERE s.release_id > (SELECT max(release_id) FROM release_search) - $2
    AND ts_match_vq(s.document, websearch_to_tsquery('english', $1))
    ORDER BY s.release_id DESC";

/// PostgreSQL costs a match against a stored document as if it were free, though each one
/// reads and expands the document: with most releases matching a word it would read every
/// document in turn rather than ask the GIN index. So the first step alone is planned with
/// whole-table scans priced out; the second is planned as usual, since priced-out scans it
/// cannot avoid (a small table read whole) would skew every estimate around them.
const PG_MATCH_SETTINGS: &str = "SET LOCAL enable_seqscan = off";

// Then the matches (`$8`, newest first) are checked against the filters, and then against the
// phrases if there are any, until 1,001 pass. Only phrases need a release's positions, and so
// its stored document, and each check costs tens of microseconds: they are checked outside the
// filtered list (`OFFSET 0` keeps the two levels apart), so only releases that passed the
// filters are read, and only until the cap. `ts_match_vq` is `@@` written as a function: the
// planner would otherwise turn the phrase check into a second GIN scan and check every match
// before sorting. The 1,000 newest are ranked and one page of them returned, with how many
// passed, in one statement. A page past the end still gives the count (the page's columns are
// then empty).
const PG_SEARCH: &str = concat!(
    "WITH candidates AS MATERIALIZED (
        SELECT f.id, f.published_at, f.document FROM (
            SELECT r.id, r.published_at, s.document
            FROM unnest($8::bigint[]) AS m(id)
            JOIN releases r ON r.id = m.id
            JOIN release_search s ON s.release_id = m.id
            WHERE",
    pg_filters!(),
    "
            ORDER BY m.id DESC OFFSET 0) f
        WHERE NOT $9::boolean OR ts_match_vq(f.document, websearch_to_tsquery('english', $1))
        LIMIT 1001)
    SELECT t.n, p.id, p.rank
    FROM (SELECT count(*) AS n FROM candidates) t
    LEFT JOIN LATERAL (
        SELECT c.id, c.published_at,
            ts_rank_cd(c.document, websearch_to_tsquery('english', $1))::float8 AS rank
        FROM (SELECT id, published_at, document FROM candidates ORDER BY id DESC LIMIT 1000) c
        ORDER BY rank DESC, c.published_at DESC, c.id DESC LIMIT $10 OFFSET $11) p ON true
    ORDER BY p.rank DESC, p.published_at DESC, p.id DESC"
);

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    plan: String,
}

#[derive(QueryableByName)]
struct SizeRow {
    #[diesel(sql_type = Double)]
    n: f64,
}

/// The planner's estimate of the share of indexed releases that hold every word (from the
/// statistics `ANALYZE` keeps of the most common terms), or `None` before there are any.
/// Asking costs a plan, well under a millisecond; a wasted look among the newest releases
/// cost ten.
fn estimated_share(conn: &mut PgConnection, words: &str) -> Result<Option<f64>> {
    let indexed = diesel::sql_query(
        "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'release_search'::regclass",
    )
    .get_result::<SizeRow>(conn)?
    .n;
    if indexed <= 0.0 {
        return Ok(None);
    }
    let plan = diesel::sql_query(
        "EXPLAIN (FORMAT JSON) SELECT 1 FROM release_search
        WHERE document @@ websearch_to_tsquery('english', $1)",
    )
    .bind::<Text, _>(words)
    .get_result::<PlanRow>(conn)?
    .plan;
    let rows = serde_json::from_str::<serde_json::Value>(&plan)
        .ok()
        .and_then(|p| p[0]["Plan"]["Plan Rows"].as_f64());
    Ok(rows.map(|rows| (rows / indexed).min(1.0)))
}

/// How many of the newest ids PostgreSQL's first step looks among. A word most releases hold
/// matches nearly all of them, and sorting 100,000 ids cost more than the rest of the search;
/// the newest 10,000 hold the 1,000 that pass unless the word is rarer or the filters stricter,
/// and then the search is run again over every match (cheap for a rare word).
const PG_WINDOW: i64 = 10_000;

// The text comes from the releases of the page shown, as the index keeps only the terms.
const PG_SNIPPETS: &str = "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS query)
    SELECT t.id,
        ts_headline('english', t.text, q.query,
            'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=32, MinWords=14, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet
    FROM unnest($2::bigint[], $3::text[]) AS t(id, text), q";

/// Ranked full-text search over what the public may see at `now`.
pub fn search(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    q: &SearchQuery,
) -> Result<SearchResults> {
    if q.terms.is_empty() {
        return Ok(SearchResults {
            hits: Vec::new(),
            total: 0,
            more: false,
        });
    }
    let limit = q.per_page.clamp(1, 100);
    let offset = (q.page.max(1) - 1).saturating_mul(limit);
    let (ids, counted): (Vec<i64>, i64) = match conn {
        // SQLite's `?` cannot be reused, so each optional filter is bound twice.
        DbConnection::Sqlite(c) => {
            let filters = Filters::new(q, now, fts5_query(&q.terms), 2);
            let rows = filters
                .bound::<Sqlite>(SQLITE_SEARCH)
                .bind::<BigInt, _>(limit)
                .bind::<BigInt, _>(offset)
                .load::<PageRow>(c)?;
            let counted = rows.first().map_or(0, |r| r.n);
            (rows.into_iter().filter_map(|r| r.id).collect(), counted)
        }
        DbConnection::Pg(c) => pg_search(c, q, now, limit, offset)?,
    };
    let hits = hits_in_rank_order(conn, &q.terms, &ids)?;
    Ok(SearchResults {
        hits,
        total: counted.min(CANDIDATES),
        more: counted > CANDIDATES,
    })
}

/// PostgreSQL's search, cheapest way first. Words most releases hold, with nothing else to pass,
/// are checked release by release among the newest few thousand; words common enough for a
/// thousand to pass among the newest [`PG_WINDOW`] are looked up there in the index; anything
/// else is looked up among every release. Each way falls through to the next when fewer than
/// [`CANDIDATES`] pass. Returns the page's ids in rank order and how many passed.
fn pg_search(
    c: &mut PgConnection,
    q: &SearchQuery,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<i64>, i64)> {
    let filters = Filters::new(q, now, websearch_query(&q.terms), 1);
    let phrases = q.terms.iter().any(|t| matches!(t, Term::Phrase(_)));
    let filtered = phrases || filters.any();
    let words = words_query(&q.terms);
    let ranked = |c: &mut PgConnection, ids: Vec<i64>| -> Result<Vec<PageRow>> {
        Ok(filters
            .bound::<Pg>(PG_SEARCH)
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Bool, _>(phrases)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset)
            .load::<PageRow>(c)?)
    };
    let enough = |rows: &[PageRow]| rows.first().is_some_and(|r| r.n > CANDIDATES);
    let share = estimated_share(c, &words)?;
    if let Some(newest) = share.and_then(|s| walk_length(s, filtered)) {
        let ids = pg_ids(c, PG_NEWEST_MATCHING, &words, Some(newest))?;
        if ids.len() as i64 > CANDIDATES {
            let rows = ranked(c, ids)?;
            if enough(&rows) {
                return Ok(page_of(rows));
            }
        }
    }
    let wanted = if filtered {
        PG_WINDOW / 2
    } else {
        2 * CANDIDATES
    };
    if share.is_none_or(|s| s * PG_WINDOW as f64 >= wanted as f64) {
        let ids = pg_ids(c, PG_MATCHES, &words, Some(PG_WINDOW))?;
        // A thousand cannot pass among fewer matches, and (a guess, but a cheap one) rarely
        // do where filters or phrases must pass too and the words are in under half of them.
        let found = ids.len() as i64;
        if found > CANDIDATES && !(filtered && found < PG_WINDOW / 2) {
            let rows = ranked(c, ids)?;
            if enough(&rows) {
                return Ok(page_of(rows));
            }
        }
    }
    let every = pg_ids(c, PG_MATCHES, &words, None)?;
    Ok(page_of(ranked(c, every)?))
}

/// How many of the newest releases to check one by one for words held by `share` of them, or
/// `None` where the index is the cheaper way: checking a document costs about 4 µs, a phrase
/// or filter may reject most of them, and a word in fewer than half would need too many.
fn walk_length(share: f64, filtered: bool) -> Option<i64> {
    (!filtered && share >= 0.5).then(|| (1.3 * (CANDIDATES + 1) as f64 / share).ceil() as i64)
}

/// The ids a first-step statement finds for `words` (newest first), run with whole-table scans
/// priced out (see [`PG_MATCH_SETTINGS`]).
fn pg_ids(
    c: &mut PgConnection,
    sql: &'static str,
    words: &str,
    window: Option<i64>,
) -> Result<Vec<i64>> {
    let matches = c.transaction(|c| {
        diesel::sql_query(PG_MATCH_SETTINGS).execute(c)?;
        diesel::sql_query(sql)
            .bind::<Text, _>(words)
            .bind::<Nullable<BigInt>, _>(window)
            .load::<IdRow>(c)
    })?;
    Ok(matches.into_iter().map(|m| m.id).collect())
}

/// The ids of a page of [`PG_SEARCH`] rows and how many passed.
fn page_of(rows: Vec<PageRow>) -> (Vec<i64>, i64) {
    let counted = rows.first().map_or(0, |r| r.n);
    (rows.into_iter().filter_map(|r| r.id).collect(), counted)
}

/// The highlighted passages of the releases shown, made only for them.
fn snippets(
    conn: &mut DbConnection,
    terms: &[Term],
    shown: &[IndexedRelease],
) -> Result<HashMap<i64, String>> {
    if shown.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<SnippetRow> = match conn {
        DbConnection::Sqlite(c) => {
            diesel::sql_query(SQLITE_SNIPPET_TABLE).execute(c)?;
            diesel::sql_query(SQLITE_SNIPPET_CLEAR).execute(c)?;
            let rows: Vec<serde_json::Value> = shown
                .iter()
                .map(|r| {
                    serde_json::json!([
                        r.id,
                        r.headline,
                        r.subheadline,
                        r.summary,
                        r.body,
                        r.organization
                    ])
                })
                .collect();
            diesel::sql_query(SQLITE_SNIPPET_ROWS)
                .bind::<Text, _>(serde_json::Value::Array(rows).to_string())
                .execute(c)?;
            let rows = diesel::sql_query(SQLITE_SNIPPETS)
                .bind::<Text, _>(fts5_query(terms))
                .load(c)?;
            diesel::sql_query(SQLITE_SNIPPET_CLEAR).execute(c)?;
            rows
        }
        DbConnection::Pg(c) => {
            let ids: Vec<i64> = shown.iter().map(|r| r.id).collect();
            let texts: Vec<String> = shown
                .iter()
                .map(|r| passage(&format!("{} {}", r.summary, r.body), terms).to_owned())
                .collect();
            diesel::sql_query(PG_SNIPPETS)
                .bind::<Text, _>(websearch_query(terms))
                .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
                .bind::<diesel::sql_types::Array<Text>, _>(texts)
                .load(c)?
        }
    };
    Ok(rows.into_iter().map(|r| (r.id, r.snippet)).collect())
}

/// How much of a release's text PostgreSQL picks its highlighted passages from: parsing a
/// 1,500-word release for them took 0.75 ms, a third of a common word's search with twenty
/// shown, and the two passages shown fit in far less.
const PASSAGE_BYTES: usize = 1_600;
/// How much of the text before the first likely match the passage keeps.
const PASSAGE_LEAD: usize = 400;

/// The part of `text` around the first place a query word seems to occur, or its start. The
/// search is loose (the first five letters of a word, ignoring ASCII case) because the index
/// matches stems: it only has to find where to look, and PostgreSQL then finds the matches.
fn passage<'t>(text: &'t str, terms: &[Term]) -> &'t str {
    if text.len() <= PASSAGE_BYTES {
        return text;
    }
    let first = words_query(terms)
        .split(' ')
        .filter_map(|word| {
            let end = word.char_indices().nth(5).map_or(word.len(), |(i, _)| i);
            let key = &word.as_bytes()[..end];
            (!key.is_empty()).then(|| {
                text.as_bytes()
                    .windows(key.len())
                    .position(|w| w.eq_ignore_ascii_case(key))
            })?
        })
        .min()
        .unwrap_or(0);
    let mut start = char_floor(text, first.saturating_sub(PASSAGE_LEAD));
    if start > 0 {
        // Begin at a word, not inside one.
        start = text[start..first.max(start)]
            .find(char::is_whitespace)
            .map_or(start, |i| start + i + 1);
    }
    let end = char_floor(text, (start + PASSAGE_BYTES).min(text.len()));
    &text[start..end]
}

/// The nearest character boundary at or before byte `i`.
fn char_floor(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A shown release's words as the index read them.
struct IndexedRelease {
    id: i64,
    headline: String,
    subheadline: String,
    summary: String,
    body: String,
    organization: String,
}

/// The values bound to a search query's placeholders, in the order the SQL names them.
struct Filters {
    text: String,
    now: NaiveDateTime,
    ids: [Option<i64>; 3],
    times: [Option<NaiveDateTime>; 2],
    /// How many placeholders each optional filter has in this backend's SQL.
    each: usize,
}

impl Filters {
    fn new(q: &SearchQuery, now: DateTime<Utc>, text: String, each: usize) -> Self {
        Filters {
            text,
            now: to_db(now),
            ids: [q.organization_id, q.category_id, q.region_id],
            times: [opt_to_db(q.from), opt_to_db(q.until)],
            each,
        }
    }

    /// Whether any filter narrows the search.
    fn any(&self) -> bool {
        self.ids.iter().any(Option::is_some) || self.times.iter().any(Option::is_some)
    }

    fn bound<DB>(&self, sql: &'static str) -> BoxedSqlQuery<'static, DB, SqlQuery>
    where
        DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp> + HasSqlType<BigInt>,
        String: ToSql<Text, DB>,
        NaiveDateTime: ToSql<Timestamp, DB>,
        i64: ToSql<BigInt, DB>,
    {
        let mut query = diesel::sql_query(sql)
            .into_boxed::<DB>()
            .bind::<Text, _>(self.text.clone())
            .bind::<Timestamp, _>(self.now);
        for id in self.ids {
            for _ in 0..self.each {
                query = query.bind::<Nullable<BigInt>, _>(id);
            }
        }
        for time in self.times {
            for _ in 0..self.each {
                query = query.bind::<Nullable<Timestamp>, _>(time);
            }
        }
        query
    }
}

/// The hits' releases, loaded together, in the order the search ranked them, with their snippets.
fn hits_in_rank_order(
    conn: &mut DbConnection,
    terms: &[Term],
    ids: &[i64],
) -> Result<Vec<SearchHit>> {
    let loaded = rel::table
        .filter(rel::id.eq_any(ids))
        .load::<releases::ReleaseRow>(conn)?;
    let bodies = loaded
        .iter()
        .map(|r| Ok((r.id, plain_text(&r.body()?))))
        .collect::<Result<HashMap<i64, String>>>()?;
    let mut by_id: HashMap<i64, ReleaseSummary> = releases::summaries(conn, loaded)?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let shown: Vec<IndexedRelease> = by_id
        .values()
        .map(|s| IndexedRelease {
            id: s.id,
            headline: s.headline.clone(),
            subheadline: s.subheadline.clone(),
            summary: s.summary.clone(),
            body: bodies.get(&s.id).cloned().unwrap_or_default(),
            organization: s
                .organization
                .as_ref()
                .map(|o| o.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let mut snippets = snippets(conn, terms, &shown)?;
    let hits = ids
        .iter()
        .filter_map(|id| {
            by_id.remove(id).map(|release| SearchHit {
                release,
                snippet: fragments(&snippets.remove(id).unwrap_or_default()),
            })
        })
        .collect();
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_are_inert() {
        assert_eq!(
            parse_terms("solar  Power"),
            vec![Term::Word("solar".into()), Term::Word("power".into())]
        );
        assert_eq!(
            parse_terms("\"grid storage\" battery"),
            vec![
                Term::Phrase(vec!["grid".into(), "storage".into()]),
                Term::Word("battery".into())
            ]
        );
        assert_eq!(
            parse_terms("\"unbalanced quote"),
            vec![Term::Phrase(vec!["unbalanced".into(), "quote".into()])]
        );
        assert_eq!(
            parse_terms("solar OR wind NOT hydro* NEAR(x)"),
            ["solar", "wind", "hydro", "near", "x"]
                .map(|w| Term::Word(w.into()))
                .to_vec()
        );
        assert!(parse_terms("\"\"\" *** -- ;;").is_empty());
        assert_eq!(
            parse_terms(&"word ".repeat(100)),
            vec![Term::Word("word".into())]
        );
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(parse_terms(&many).len(), MAX_TERMS);
        assert_eq!(
            parse_terms("grid \"grid storage\" Grid \"grid storage\""),
            vec![
                Term::Word("grid".into()),
                Term::Phrase(vec!["grid".into(), "storage".into()])
            ]
        );
        assert_eq!(fts5_query(&parse_terms("x\"y z\"")), "\"x\" \"y z\"");
        // Stop words are left out, except within a phrase.
        assert_eq!(
            fts5_query(&parse_terms("the grid of \"the city\"")),
            "\"grid\" \"the city\""
        );
        assert!(parse_terms("The Who").is_empty());
        assert_eq!(words_query(&parse_terms("x \"y z\" w")), "x y z w");
    }

    #[test]
    fn the_caps_in_the_sql_are_the_named_ones() {
        for sql in [SQLITE_SEARCH, PG_SEARCH] {
            assert!(sql.contains(&format!("LIMIT {CANDIDATES})")), "{sql}");
        }
        for sql in [SQLITE_SEARCH, PG_SEARCH] {
            assert!(sql.contains(&format!("LIMIT {})", CANDIDATES + 1)), "{sql}");
        }
    }

    #[test]
    fn passages_start_near_the_first_match() {
        let terms = parse_terms("Energy");
        let short = "Energy is short.";
        assert_eq!(passage(short, &terms), short);
        let filler = "Lorem ipsum dolor sit amet, ünïcode filler. ".repeat(100);
        let text = format!("{filler}The new ENERGIES arrive. {filler}");
        let p = passage(&text, &terms);
        assert!(
            p.len() <= PASSAGE_BYTES && p.contains("ENERGIES arrive"),
            "{p}"
        );
        assert!(
            p.starts_with(|c: char| c.is_alphanumeric()),
            "begins at a word: {p}"
        );
        // Nothing like a query word: the start of the text.
        assert!(text.starts_with(passage(&text, &parse_terms("zzz"))));
    }

    #[test]
    fn snippet_fragments() {
        let raw = format!("before {MARK_START}solar{MARK_END} after <b>");
        assert_eq!(
            fragments(&raw),
            vec![
                Fragment {
                    text: "before ".into(),
                    highlighted: false
                },
                Fragment {
                    text: "solar".into(),
                    highlighted: true
                },
                Fragment {
                    text: " after <b>".into(),
                    highlighted: false
                },
            ]
        );
    }
}
