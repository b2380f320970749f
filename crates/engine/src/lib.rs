//! Kobler's application layer: import pipeline, index catch-up, matching, overlaps, eval
