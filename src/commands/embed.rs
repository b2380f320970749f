//! `kobler embed`: sentence vectors for every record that lacks a current one; also run after
//! an import and by `eval`.

use super::{emit, open_for_import};
use anyhow::{Result, bail};
use clap::Args;
use kobler_engine::{EmbedObserver, Engine, EngineOptions};
use std::path::Path;

/// `kobler embed`.
#[derive(Args)]
pub struct EmbedArgs {
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Embeds with every installed model; without models that is an error here (an import only
/// says that matching is lexical).
pub async fn run(data: &Path, options: &EngineOptions, args: EmbedArgs) -> Result<()> {
    let engine = open_for_import(data, options).await?;
    if engine.semantic_models().is_empty() {
        bail!(
            "no sentence-embedding models in {} (install them with `scripts/install-models DIR` and pass --model-dir DIR)",
            options.model_dir.clone().unwrap_or_default().display()
        );
    }
    embed(&engine, options.model_dir.as_deref(), args.json).await
}

/// A progress bar per model on stderr (hidden when stderr is not a terminal); none until a
/// model starts.
#[derive(Default)]
pub struct EmbedProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl EmbedObserver for EmbedProgress {
    fn start(&mut self, model: &str, total: u64) {
        if total == 0 {
            return;
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "embedding with {msg} {wide_bar} {pos}/{len} {per_sec} {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message(model.to_string());
        self.bar = Some(bar);
    }

    fn advance(&mut self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// Embeds what is missing or stale and reports it; without models, says once that matching
/// is lexical only.
pub async fn embed(engine: &Engine, model_dir: Option<&Path>, json: bool) -> Result<()> {
    if engine.semantic_models().is_empty() {
        let dir = model_dir.unwrap_or(Path::new("DIR")).display();
        eprintln!(
            "kobler: no sentence-embedding models in {dir}: matching is lexical only (install them with `scripts/install-models {dir}`)"
        );
        return Ok(());
    }
    let report = engine.embed_pending(&mut EmbedProgress::default()).await?;
    if json {
        return emit(serde_json::to_value(&report)?);
    }
    for model in engine.semantic_models() {
        eprintln!(
            "kobler: {model}: embedded {}, reused {} identical texts; {} vectors stored",
            report.embedded.get(&model).copied().unwrap_or(0),
            report.reused.get(&model).copied().unwrap_or(0),
            report.stored.get(&model).copied().unwrap_or(0),
        );
    }
    Ok(())
}
