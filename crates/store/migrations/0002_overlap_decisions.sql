-- Coordinators' decisions on overlap flags, append-only: the latest row per pair is the
-- decision in force, and the rows before it are its audit trail (who, when, what, note).
-- Each row keeps the analysed vocabulary of both sides as they were when decided, so a
-- dismissed pair can be flagged again once one side has changed materially.
CREATE TABLE overlap_decisions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    a_kind     TEXT NOT NULL,
    a_id       TEXT NOT NULL,
    b_kind     TEXT NOT NULL,
    b_id       TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    note       TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    a_words    TEXT NOT NULL,
    b_words    TEXT NOT NULL
);
CREATE INDEX overlap_decisions_by_pair ON overlap_decisions (a_kind, a_id, b_kind, b_id);
