-- Researchers saying "interested" in a need. One row per (need, researcher); unmarking deletes
-- the row. Who may read it (the need's unit, coordinators, never other researchers) is the
-- engine's decision.
CREATE TABLE interest (
    need_id    TEXT NOT NULL,
    researcher TEXT NOT NULL,
    user_name  TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (need_id, researcher)
);
CREATE INDEX interest_by_researcher ON interest (researcher);
