//! `kobler stats`: stored records per type.

use super::{emit, open_store};
use anyhow::Result;
use clap::Args;
use std::path::Path;

/// `kobler stats`.
#[derive(Args)]
pub struct StatsArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Prints the counts, as one JSON object with `--json` (CONTRACT §3).
pub async fn run(data: &Path, args: StatsArgs) -> Result<()> {
    let engine = open_store(data).await?;
    let counts = engine.stats().await?;
    if args.json {
        emit(serde_json::to_value(&counts)?)?;
    } else {
        for (kind, n) in counts {
            emit(format!("{kind:<13}{n:>9}"))?;
        }
    }
    Ok(())
}
