//! `kobler search`: full-text search over needs.

use super::{TopJson, emit, open};
use anyhow::Result;
use clap::Args;
use kobler_engine::EngineOptions;
use serde_json::json;
use std::path::Path;

/// `kobler search QUERY`.
#[derive(Args)]
pub struct SearchArgs {
    /// The query (words, "phrases", +required, -excluded).
    query: String,
    #[command(flatten)]
    out: TopJson,
}

/// Prints the best needs, one JSON object per line with `--json` (CONTRACT §3).
pub async fn run(data: &Path, options: &EngineOptions, args: SearchArgs) -> Result<()> {
    let SearchArgs { query, out } = args;
    let engine = open(data, options).await?;
    let (total, hits) = engine.search_needs(&query, 0, out.top)?;
    for (rank, hit) in hits.iter().enumerate() {
        if out.json {
            emit(
                json!({"rank": rank + 1, "need": hit.id, "score": hit.score, "title": hit.title,
                        "status": hit.status, "snippet": hit.snippet}),
            )?;
        } else {
            emit(format!(
                "{:>3}. {:<14} {:>7.3}  {}\n     {}",
                rank + 1,
                hit.id,
                hit.score,
                hit.title,
                hit.snippet
            ))?;
        }
    }
    if !out.json {
        eprintln!("kobler: {total} needs match");
    }
    Ok(())
}
