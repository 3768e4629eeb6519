-- Full-text search over public releases. Only releases the public may see are indexed; the
-- publish pipeline adds and removes rows in the same transaction as the change.
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
