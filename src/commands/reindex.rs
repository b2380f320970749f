//! `kobler reindex`: throw the index away and rebuild it from the store.

use super::open_store;
use anyhow::Result;
use std::path::Path;

/// Rebuilds the index and says how much it read.
pub async fn run(data: &Path) -> Result<()> {
    let engine = open_store(data).await?;
    let read = engine.reindex().await?;
    eprintln!(
        "kobler: reindexed {read} records ({} documents)",
        engine.indexed_documents()
    );
    Ok(())
}
