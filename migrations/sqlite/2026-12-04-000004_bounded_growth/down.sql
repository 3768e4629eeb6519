DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
DROP TABLE audit_prune_permits;
DROP INDEX login_throttle_by_last_failure;
DROP INDEX sessions_by_last_seen;
DROP INDEX releases_by_body_html_version;
ALTER TABLE releases DROP COLUMN body_html_version;
