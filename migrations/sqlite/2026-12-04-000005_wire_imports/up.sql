-- A fingerprint of each wire text `dateline import` has turned into a release, so importing the
-- same file twice finds the release it made instead of making a second one.
CREATE TABLE wire_imports (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    imported_at TIMESTAMP NOT NULL
);
CREATE INDEX wire_imports_by_release ON wire_imports (release_id);
