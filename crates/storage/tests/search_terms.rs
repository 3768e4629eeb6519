#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The search documents bulk loading hands PostgreSQL ready-made are the ones PostgreSQL would
//! have computed from the same text: same lexemes, positions and weights. Texts the lexicon
//! cannot vouch for are left to PostgreSQL.

use dateline_storage::DbConnection;
use dateline_storage::repo::search_terms::Lexicon;
use dateline_storage::testdb::TestDatabase;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

#[derive(QueryableByName)]
struct Same {
    #[diesel(sql_type = Bool)]
    same: bool,
    #[diesel(sql_type = Text)]
    expected: String,
}

/// The index's expression, written out as the specification the lexicon must meet.
const COMPARE: &str = "SELECT $6::tsvector = (
        setweight(to_tsvector('english', $1), 'A')
        || setweight(to_tsvector('english', $2), 'B')
        || setweight(to_tsvector('english', $3), 'B')
        || setweight(to_tsvector('english', $4), 'C')
        || setweight(to_tsvector('english', $5), 'D')) AS same,
    (setweight(to_tsvector('english', $1), 'A')
        || setweight(to_tsvector('english', $2), 'B')
        || setweight(to_tsvector('english', $3), 'B')
        || setweight(to_tsvector('english', $4), 'C')
        || setweight(to_tsvector('english', $5), 'D'))::text AS expected";

fn long_body() -> String {
    // Over 200 positions for one lexeme, and positions near PostgreSQL's limit of 16,383.
    let mut s = String::new();
    for i in 0..3_000 {
        s.push_str(&format!("grid operators expanded capacity {i}. "));
    }
    s
}

fn documents() -> Vec<[String; 5]> {
    let plain = [
        "Northwind Energy Launches Low-Carbon Grid Platform",
        "The company’s next-generation platform cuts costs by 40% for 2,000 customers",
        "Northwind Energy",
        "A modular, low-carbon platform for regional grid operators.",
        "Northwind Energy today announced its modular platform, which will expand capacity.\n\n\
         “It is a step change,” said Maria O'Neil, Chief Executive Officer at Northwind Energy.\n\n\
         ## Key facts\n- Capacity 3.5 GW\n- Investment $12.5 million\n- CO2 down 12.5%",
    ];
    let stop_words_last = [
        "Report of the",
        "And then there was",
        "",
        "of the and",
        "Plans for the year ahead in the",
    ];
    let unusual = [
        "Café Crème Résumé naïve Zürich — Ünïcödé\u{a0}words",
        "e-mail user@example.com https://example.com/path?q=1 file.tar.gz /usr/local/bin",
        "中文新闻稿 日本語のテキスト 한국어",
        "v1.2.3 -5 +7 1e10 0x1F 3/4 12:30 a--b --c d-",
        "tab\tseparated\r\nwindows lines\n\n\nand   many    spaces",
    ];
    let markup = [
        "A <b title=\"two words\">bold</b> claim",
        "Fish &amp; chips",
        "plain",
        "plain",
        "plain",
    ];
    let long = long_body();
    vec![
        plain.map(String::from),
        stop_words_last.map(String::from),
        unusual.map(String::from),
        markup.map(String::from),
        ["Headline", "", "", "", long.as_str()].map(String::from),
        [
            "x".repeat(3_000).as_str(),
            "word",
            "",
            "",
            "a very long word follows",
        ]
        .map(String::from),
    ]
}

#[test]
fn ready_made_documents_equal_what_postgresql_computes() {
    let Some(db) = TestDatabase::postgres_or_skip().unwrap() else {
        return;
    };
    let mut conn = db.pool.get().unwrap();
    let DbConnection::Pg(pg) = &mut *conn else {
        panic!("a PostgreSQL connection")
    };
    let docs = documents();
    let mut lexicon = Lexicon::default();
    lexicon
        .learn(pg, docs.iter().flat_map(|d| d.iter().map(String::as_str)))
        .unwrap();
    let mut made = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let fields = [
            doc[0].as_str(),
            doc[1].as_str(),
            doc[2].as_str(),
            doc[3].as_str(),
            doc[4].as_str(),
        ];
        let Some(literal) = lexicon.document(fields) else {
            continue;
        };
        made.push(i);
        let row: Same = diesel::sql_query(COMPARE)
            .bind::<Text, _>(fields[0])
            .bind::<Text, _>(fields[1])
            .bind::<Text, _>(fields[2])
            .bind::<Text, _>(fields[3])
            .bind::<Text, _>(fields[4])
            .bind::<Text, _>(&literal)
            .get_result(pg)
            .unwrap();
        assert!(
            row.same,
            "document {i} differs\n made: {literal}\n want: {}",
            row.expected
        );
    }
    // Ordinary, stop-word-ended, non-ASCII and very long words are made here; markup and
    // a lexeme with hundreds of positions are left to PostgreSQL.
    assert_eq!(made, vec![0, 1, 2, 5]);
}

#[test]
fn a_piece_never_learned_is_left_to_postgresql() {
    let lexicon = Lexicon::default();
    assert_eq!(lexicon.document(["Unseen words", "", "", "", ""]), None);
    // Nothing to learn is nothing to vouch for: empty text needs no lexicon.
    assert_eq!(lexicon.document(["", "", "", "", ""]), Some(String::new()));
}
