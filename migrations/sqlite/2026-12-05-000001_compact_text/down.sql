-- For development databases only: packed text cannot be expanded by SQL, so going down loses
-- the bodies and revisions written since (they read as empty), and the search index comes back
-- empty.
DROP TABLE release_search;
CREATE VIRTUAL TABLE release_search USING fts5(
    headline,
    subheadline,
    summary,
    body,
    organization,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

ALTER TABLE releases ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN body_html_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX releases_by_body_html_version ON releases (body_html_version);

DROP INDEX releases_unpacked_body;
ALTER TABLE releases DROP COLUMN body_packed;
DROP INDEX release_revisions_unpacked;
ALTER TABLE release_revisions DROP COLUMN packed_base;
ALTER TABLE release_revisions DROP COLUMN packed;
