-- Coordinators' decisions on suggested researcher–department pairings, append-only: the latest
-- row per (unit, researcher) is in force, the rows before it are the audit trail (who, when,
-- what, note). The triggers make the table refuse updates and deletes.
CREATE TABLE pairing_decisions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit       TEXT NOT NULL,
    researcher TEXT NOT NULL,
    decision   TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected', 'deferred')),
    note       TEXT,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX pairing_decisions_by_pair ON pairing_decisions (unit, researcher);
CREATE INDEX pairing_decisions_by_researcher ON pairing_decisions (researcher);

CREATE TRIGGER pairing_decisions_no_update BEFORE UPDATE ON pairing_decisions
BEGIN
    SELECT RAISE(ABORT, 'pairing decisions are append-only');
END;
CREATE TRIGGER pairing_decisions_no_delete BEFORE DELETE ON pairing_decisions
BEGIN
    SELECT RAISE(ABORT, 'pairing decisions are append-only');
END;
