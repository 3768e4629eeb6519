-- Full-text search over public releases (FTS5, rowid = releases.id). Only releases the public
-- may see are indexed; the publish pipeline adds and removes rows in the same transaction.
CREATE VIRTUAL TABLE release_search USING fts5(
    headline,
    subheadline,
    summary,
    body,
    organization,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
