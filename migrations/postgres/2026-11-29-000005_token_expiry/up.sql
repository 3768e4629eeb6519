-- A token may carry an end date; one without keeps working until it is revoked.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
