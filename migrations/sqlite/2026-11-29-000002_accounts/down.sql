DROP TABLE audit_log;
DROP TABLE one_time_tokens;
DROP TABLE api_tokens;
DROP TABLE recovery_codes;
DROP TABLE login_throttle;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled;
ALTER TABLE users DROP COLUMN totp_secret;
