-- Content: people, issuers, taxonomies and releases with their revisions.
-- Times are UTC in TIMESTAMP columns (the same SQL type on both backends).

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('contributor', 'editor', 'admin')),
    disabled BOOLEAN NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL,
    time_zone TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    website TEXT NOT NULL DEFAULT '',
    boilerplate TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE organization_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT ''
);
CREATE INDEX organization_contacts_by_org ON organization_contacts (organization_id, position);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    parent_id BIGINT REFERENCES categories (id) ON DELETE RESTRICT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE regions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    -- Readable decoration after the public id in the address, so two releases may share it.
    slug TEXT NOT NULL,
    headline TEXT NOT NULL,
    subheadline TEXT NOT NULL DEFAULT '',
    dateline_city TEXT NOT NULL DEFAULT '',
    dateline_region TEXT NOT NULL DEFAULT '',
    dateline_date DATE,
    dateline_distributor TEXT NOT NULL DEFAULT '',
    source_label TEXT NOT NULL DEFAULT '',
    source_url TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'scheduled', 'published', 'withdrawn')),
    embargo_at TIMESTAMP,
    published_at TIMESTAMP,
    corrected_at TIMESTAMP,
    withdrawn_at TIMESTAMP,
    withdrawal_reason TEXT NOT NULL DEFAULT '',
    organization_id BIGINT REFERENCES organizations (id) ON DELETE RESTRICT,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revision BIGINT NOT NULL DEFAULT 1,
    -- A published release always knows when it went live.
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX releases_public_order ON releases (status, published_at DESC, id DESC);
CREATE INDEX releases_by_org ON releases (organization_id, published_at DESC, id DESC);
CREATE INDEX releases_by_author ON releases (author_id, updated_at DESC);
CREATE INDEX releases_by_updated ON releases (updated_at DESC, id DESC);

CREATE TABLE release_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT ''
);
CREATE INDEX release_contacts_by_release ON release_contacts (release_id, position);

CREATE TABLE release_categories (
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE RESTRICT,
    PRIMARY KEY (release_id, category_id)
);
CREATE INDEX release_categories_by_category ON release_categories (category_id, release_id);

CREATE TABLE release_regions (
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    region_id BIGINT NOT NULL REFERENCES regions (id) ON DELETE RESTRICT,
    PRIMARY KEY (release_id, region_id)
);
CREATE INDEX release_regions_by_region ON release_regions (region_id, release_id);

CREATE TABLE release_tags (
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE RESTRICT,
    PRIMARY KEY (release_id, tag_id)
);
CREATE INDEX release_tags_by_tag ON release_tags (tag_id, release_id);

-- Every save is an immutable snapshot. `snapshot` is the JSON of the editable content.
CREATE TABLE release_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    revision BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (release_id, revision)
);

-- Public corrections: they stay on the page for good.
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    note TEXT NOT NULL,
    revision BIGINT NOT NULL,
    editor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    corrected_at TIMESTAMP NOT NULL
);
CREATE INDEX corrections_by_release ON corrections (release_id, corrected_at);

-- Newsroom settings as key/value text, typed in code.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One row. `content_version` changes whenever anything public changes: caches, feeds, the
-- sitemap and ETags key on it, so every instance sees the change at once.
CREATE TABLE site_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    content_version BIGINT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
INSERT INTO site_state (id, content_version, changed_at) VALUES (1, 1, '2000-01-01 00:00:00');
