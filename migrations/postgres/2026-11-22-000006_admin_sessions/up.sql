-- Admin sessions live on the server, so that logging out or deleting the
-- admin ends them. The cookie carries a random key; only its SHA-256 is
-- stored. Times are Unix seconds.
CREATE TABLE admin_sessions (
    key_hash    TEXT PRIMARY KEY,
    admin       TEXT NOT NULL,
    state       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX admin_sessions_by_admin ON admin_sessions (admin);
