-- Sentence vectors, derived from the records like the index: one per (model, record), with the
-- SHA-256 of the exact text that was embedded. A record whose text no longer hashes to
-- `content_hash` is stale and is embedded again; vectors of different models are never
-- compared, so changing or adding a model needs no reindex, only `kobler embed`.
-- `vector` holds `dimension` little-endian IEEE half floats (unit length before rounding).
-- `seq` grows with every write (a replaced row gets a new one), so a reader holding vectors in
-- memory catches up by reading forward, as the index does with records.
CREATE TABLE embeddings (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    dimension    INTEGER NOT NULL,
    vector       BLOB NOT NULL,
    UNIQUE (model_id, kind, id)
);
-- Identical texts (a work imported from two feeds, an unchanged re-import) reuse one vector.
CREATE INDEX embeddings_by_hash ON embeddings (model_id, content_hash);
