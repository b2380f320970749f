-- Web sign-in sessions. The cookie carries a random session id; only its SHA-256 is stored, so
-- a copy of the database does not sign anyone in. Each session has its own CSRF token (checked
-- on every form POST) and an expiry (unix seconds); expired rows are ignored and swept.
CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
