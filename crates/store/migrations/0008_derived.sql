-- Results derived from the whole corpus (an overlap run, the pairing queue's department
-- matches, the network, portfolio figures), kept so that requests read them and a restart
-- serves the last one at once. Each is one JSON document with the store's change sequence it
-- was computed from; it is replaced whole when it is computed again.
CREATE TABLE derived (
    name        TEXT PRIMARY KEY,
    as_of_seq   INTEGER NOT NULL,
    computed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    doc         TEXT NOT NULL
);
