-- Keep the text of a release about once (see docs/storage.md).

-- Revisions: the snapshot is zstd-compressed into `packed`, most of them as a difference from the
-- revision named in `packed_base`. `snapshot` keeps plain JSON only for rows written before this
-- version, until the conversion (`dateline migrate`, or `serve` in the background) packs them.
ALTER TABLE release_revisions ADD COLUMN packed BYTEA;
ALTER TABLE release_revisions ADD COLUMN packed_base BIGINT;
-- Finds what is left to convert without reading the table; empty once the conversion is done.
CREATE INDEX release_revisions_unpacked ON release_revisions (release_id) WHERE packed IS NULL;

-- A release's body is one zstd frame in `body_packed`; `body` keeps plain text only for rows
-- written before this version, until the conversion packs them.
ALTER TABLE releases ADD COLUMN body_packed BYTEA;
CREATE INDEX releases_unpacked_body ON releases (id) WHERE body_packed IS NULL;

-- The HTML is rendered from the Markdown when a release is read, so it is no longer stored.
DROP INDEX releases_by_body_html_version;
ALTER TABLE releases DROP COLUMN body_html, DROP COLUMN body_html_version;

-- The search index keeps its weighted terms and no copy of the text: snippets are made from the
-- release rows of the page shown. Existing entries keep the terms they have.
ALTER TABLE release_search ALTER COLUMN document DROP EXPRESSION;
ALTER TABLE release_search
    DROP COLUMN headline,
    DROP COLUMN subheadline,
    DROP COLUMN summary,
    DROP COLUMN body,
    DROP COLUMN organization,
    ALTER COLUMN document SET NOT NULL;
