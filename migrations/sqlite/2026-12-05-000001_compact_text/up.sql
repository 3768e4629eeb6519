-- Keep the text of a release about once (see docs/storage.md).

-- Revisions: the snapshot is zstd-compressed into `packed`, most of them as a difference from the
-- revision named in `packed_base`. `snapshot` keeps plain JSON only for rows written before this
-- version, until the conversion (`dateline migrate`, or `serve` in the background) packs them.
ALTER TABLE release_revisions ADD COLUMN packed BLOB;
ALTER TABLE release_revisions ADD COLUMN packed_base BIGINT;
-- Finds what is left to convert without reading the table; empty once the conversion is done.
CREATE INDEX release_revisions_unpacked ON release_revisions (release_id) WHERE packed IS NULL;

-- A release's body is one zstd frame in `body_packed`; `body` keeps plain text only for rows
-- written before this version, until the conversion packs them.
ALTER TABLE releases ADD COLUMN body_packed BLOB;
CREATE INDEX releases_unpacked_body ON releases (id) WHERE body_packed IS NULL;

-- The HTML is rendered from the Markdown when a release is read, so it is no longer stored.
DROP INDEX releases_by_body_html_version;
ALTER TABLE releases DROP COLUMN body_html;
ALTER TABLE releases DROP COLUMN body_html_version;

-- The search index keeps its terms and no copy of the text: snippets are made from the release
-- rows of the page shown. Existing entries move over as they are.
CREATE VIRTUAL TABLE release_search_terms USING fts5(
    headline,
    subheadline,
    summary,
    body,
    organization,
    content = '',
    contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO release_search_terms (rowid, headline, subheadline, summary, body, organization)
SELECT rowid, headline, subheadline, summary, body, organization FROM release_search;
DROP TABLE release_search;
ALTER TABLE release_search_terms RENAME TO release_search;
