-- Workflow: the persistent scheduler's jobs, journalist preview links and review comments.

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    release_id BIGINT REFERENCES releases (id) ON DELETE CASCADE,
    run_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    done_at TIMESTAMP,
    cancelled_at TIMESTAMP
);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX jobs_by_release ON jobs (release_id);

CREATE TABLE preview_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    open_count BIGINT NOT NULL DEFAULT 0,
    last_opened_at TIMESTAMP
);
CREATE INDEX preview_links_by_release ON preview_links (release_id);

CREATE TABLE review_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    revision BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX review_comments_by_release ON review_comments (release_id, created_at);
