-- Bounded growth and cheap reads.

-- Which sanitiser version produced `body_html`. Rows from before this column read as 0, so they
-- are rendered again (once, by the scheduler) under the current allowlist.
ALTER TABLE releases ADD COLUMN body_html_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX releases_by_body_html_version ON releases (body_html_version);

-- The scheduler's purges look rows up by these.
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
CREATE INDEX login_throttle_by_last_failure ON login_throttle (last_failure_at);

-- `dateline audit prune` is the one way to delete audit rows: it writes a permit naming its
-- cutoff, deletes, and removes the permit in the same transaction, so no other connection ever
-- sees one. Without a permit, or for a row at or after the cutoff, the log stays append-only.
CREATE TABLE audit_prune_permits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cutoff TIMESTAMP NOT NULL
);

DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permits p WHERE OLD.at < p.cutoff)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
