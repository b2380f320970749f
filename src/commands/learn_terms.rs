//! `kobler learn-terms`: Norwegian–English term pairs from parallel titles, written to the data
//! directory for the thesaurus to read from the next start.

use super::{emit, open};
use anyhow::{Result, bail};
use clap::Args;
use kobler_engine::EngineOptions;
use std::path::Path;

/// `kobler learn-terms`.
#[derive(Args)]
pub struct LearnTermsArgs {
    /// Records a pair must share at least.
    #[arg(long, default_value_t = 3)]
    min_together: u32,
    /// Lowest Dice coefficient kept (0..1).
    #[arg(long, default_value_t = 0.6)]
    min_dice: f32,
    /// Print JSON lines, one per pair.
    #[arg(long)]
    json: bool,
}

/// Learns the pairs, prints them and says where they were written.
pub async fn run(data: &Path, options: &EngineOptions, args: LearnTermsArgs) -> Result<()> {
    let LearnTermsArgs {
        min_together,
        min_dice,
        json,
    } = args;
    if !(0.0..=1.0).contains(&min_dice) {
        bail!("--min-dice must be between 0 and 1");
    }
    let engine = open(data, options).await?;
    let params = kobler_engine::LearnParams {
        min_together: min_together.max(1),
        min_dice,
    };
    let report = engine.learn_terms(params).await?;
    for pair in &report.pairs {
        if json {
            emit(serde_json::to_value(pair)?)?;
        } else {
            emit(format!(
                "{} ↔ {}  ({} records, dice {:.2})",
                pair.norwegian, pair.english, pair.together, pair.dice
            ))?;
        }
    }
    eprintln!(
        "kobler: {} term pairs from {} parallel records written to {}; they apply from the next start",
        report.pairs.len(),
        report.parallel_records,
        report.file.display()
    );
    Ok(())
}
