-- For development databases only: packed text cannot be expanded by SQL, so going down loses
-- the bodies and revisions written since (they read as empty), and the search index comes back
-- empty.
DROP TABLE release_search;
CREATE TABLE release_search (
    release_id BIGINT PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
    headline TEXT NOT NULL,
    subheadline TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    organization TEXT NOT NULL,
    document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', headline), 'A')
        || setweight(to_tsvector('english', subheadline), 'B')
        || setweight(to_tsvector('english', organization), 'B')
        || setweight(to_tsvector('english', summary), 'C')
        || setweight(to_tsvector('english', body), 'D')
    ) STORED
);
CREATE INDEX release_search_document ON release_search USING GIN (document);

ALTER TABLE releases ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE releases ADD COLUMN body_html_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX releases_by_body_html_version ON releases (body_html_version);

DROP INDEX releases_unpacked_body;
ALTER TABLE releases DROP COLUMN body_packed;
DROP INDEX release_revisions_unpacked;
ALTER TABLE release_revisions DROP COLUMN packed_base, DROP COLUMN packed;
