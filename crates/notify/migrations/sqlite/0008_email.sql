-- A user's email notifications (email.rs). verified_at 0: the address is not confirmed yet;
-- verify_hash is the SHA-256 of the token in the link sent to confirm it (NULL: none out),
-- valid until verify_expires_at. digest_at: minutes after midnight in time_zone, -1 for no
-- digest; next_digest_at: when the pending digest job is due (0: none). unsubscribe_token is
-- the key of the one-click unsubscribe link (RFC 8058) in every message.
CREATE TABLE email_settings (
    user_id BIGINT PRIMARY KEY,
    address TEXT NOT NULL,
    verified_at BIGINT NOT NULL DEFAULT 0,
    verify_hash BLOB,
    verify_expires_at BIGINT NOT NULL DEFAULT 0,
    unsubscribe_token TEXT NOT NULL,
    unread_after_minutes BIGINT NOT NULL,
    digest_at BIGINT NOT NULL,
    time_zone TEXT NOT NULL,
    next_digest_at BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX email_settings_unsubscribe ON email_settings (unsubscribe_token);
CREATE INDEX email_settings_verify ON email_settings (verify_hash);
-- When an entry went out in an "unread" email (NULL: not yet): each goes at most once.
ALTER TABLE notifications ADD COLUMN emailed_at BIGINT;
