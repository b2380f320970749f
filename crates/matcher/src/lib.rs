//! Kobler's scoring: document-centric aggregation, overlap scoring and evaluation metrics (pure)
