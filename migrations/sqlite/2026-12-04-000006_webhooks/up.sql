-- Webhooks: endpoints an admin registered, and the deliveries owed to them. A delivery row is
-- written in the same transaction as the publication, correction or withdrawal it reports (an
-- outbox), so an event is never lost and never sent for a change that rolled back; the
-- scheduler sends it later and keeps every attempt.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Space-separated event names, e.g. 'release.published release.withdrawn'.
    events TEXT NOT NULL,
    -- The signing secret, sealed under the server key.
    secret TEXT NOT NULL,
    -- An admin allowed this endpoint's host to resolve to a loopback or private address.
    allow_private BOOLEAN NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    release_id BIGINT REFERENCES releases (id) ON DELETE SET NULL,
    -- The JSON body, fixed when the event happened.
    payload TEXT NOT NULL,
    -- 'pending', 'delivered' or 'failed' (gave up after the last retry).
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Set while one instance is sending, so no other sends the same delivery at once.
    locked_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    -- The HTTP status, or NULL when no answer came (refused address, timeout, connection error).
    status INTEGER,
    error TEXT NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, id);
