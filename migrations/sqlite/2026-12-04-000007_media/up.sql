-- Media: uploaded files live in the database so every instance and every backup has them
-- (docs/decisions.md). Bytes are content-addressed: one row per distinct SHA-256, shared by every
-- upload and rendition with those bytes.
CREATE TABLE media_blobs (
    sha256 TEXT PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
    bytes BLOB NOT NULL,
    byte_size BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One upload: the words that go with it and what it is attached to. The same bytes uploaded for
-- two releases are two rows over one blob, each with its own alt text.
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256 TEXT NOT NULL REFERENCES media_blobs (sha256),
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'webp', 'gif', 'pdf')),
    original_name TEXT NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    credit TEXT NOT NULL DEFAULT '',
    width INTEGER,
    height INTEGER,
    byte_size BIGINT NOT NULL,
    release_id BIGINT REFERENCES releases (id) ON DELETE CASCADE,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE CASCADE,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_by_sha256 ON media (sha256);
CREATE INDEX media_by_release ON media (release_id);
CREATE INDEX media_by_organization ON media (organization_id);

-- Resized copies made once at upload, in WebP and in the original format.
CREATE TABLE media_renditions (
    media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'gif')),
    sha256 TEXT NOT NULL REFERENCES media_blobs (sha256),
    height INTEGER NOT NULL,
    PRIMARY KEY (media_id, width, format)
);
CREATE INDEX media_renditions_by_sha256 ON media_renditions (sha256);
