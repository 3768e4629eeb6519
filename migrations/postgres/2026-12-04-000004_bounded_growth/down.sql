CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TABLE audit_prune_permits;
DROP INDEX login_throttle_by_last_failure;
DROP INDEX sessions_by_last_seen;
DROP INDEX releases_by_body_html_version;
ALTER TABLE releases DROP COLUMN body_html_version;
