-- Every record of the feed is one JSON document, keyed by type and id. `seq` is the store's
-- change sequence: the index reads forward from the last seq it has seen.
CREATE TABLE records (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    doc  TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_seq ON records (seq);

-- The references a record makes (authors, participants, units, parent...), so that
-- unresolved ids can be found and the graph can be walked without parsing documents.
CREATE TABLE refs (
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    field       TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    position    INTEGER NOT NULL
);
CREATE INDEX refs_by_source ON refs (kind, id);
CREATE INDEX refs_by_target ON refs (target_kind, target_id);

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('seq', 0);

-- Local accounts. Passwords and API tokens are stored only as hashes.
CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    unit          TEXT,
    researcher    TEXT,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
