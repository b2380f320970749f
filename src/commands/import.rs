//! `kobler import`: feed files and directories into the store, then embedding what changed.

use super::embed::embed;
use super::{emit, open_for_import};
use anyhow::{Result, bail};
use clap::Args;
use kobler_engine::{Engine, EngineOptions, ImportObserver, ImportOptions};
use std::path::{Path, PathBuf};

/// `kobler import PATH...`.
#[derive(Args)]
pub struct ImportArgs {
    /// Files or directories (a directory's *.jsonl, *.ndjson, *.json and *.csv files are read).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Read every file as this format instead of detecting it (kobler-jsonl, cristin,
    /// openalex, orcid, csv).
    #[arg(long)]
    format: Option<kobler_engine::FeedFormat>,
    /// Records per transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Do not embed the imported records now (`kobler embed` or a running server will).
    #[arg(long)]
    no_embed: bool,
}

/// Imports, reports what was read, and embeds unless `--no-embed`. Rejected lines and
/// unresolved references make the exit status non-zero (the rest is imported).
pub async fn run(data: &Path, options: &EngineOptions, args: ImportArgs) -> Result<()> {
    let engine = open_for_import(data, options).await?;
    import(&engine, &args).await?;
    if !args.no_embed {
        embed(&engine, options.model_dir.as_deref(), false).await?;
    }
    Ok(())
}

/// Draws a byte progress bar on stderr (hidden when stderr is not a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
}

impl ImportObserver for Progress {
    fn file_started(&mut self, file: &Path, bytes: u64) {
        self.bar.set_length(bytes);
        self.bar.set_position(0);
        self.bar.set_message(file.display().to_string());
    }
    fn advanced(&mut self, bytes: u64) {
        self.bar.inc(bytes);
    }
}

async fn import(engine: &Engine, args: &ImportArgs) -> Result<()> {
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    // indicatif's stderr target draws nothing when stderr is not a terminal.
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
    {
        bar.set_style(style);
    }
    let mut progress = Progress { bar };
    let options = ImportOptions {
        batch_size: args.batch_size,
        format: args.format,
        ..ImportOptions::default()
    };
    let report = engine.import(&args.paths, &options, &mut progress).await?;
    progress.bar.finish_and_clear();
    for line in report.rejected.iter().chain(&report.unresolved) {
        eprintln!("{line}");
    }
    for line in &report.conflicts {
        eprintln!("conflict: {line}");
    }
    let records: u64 = report.records.values().sum();
    if args.json {
        emit(serde_json::to_value(&report)?)?;
    } else {
        let per_kind: Vec<String> = report
            .records
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        eprintln!(
            "kobler: read {records} records from {} files ({}); {} new, {} changed, {} unchanged; {} lines rejected, {} unresolved references",
            report.files,
            per_kind.join(", "),
            report.inserted,
            report.updated,
            report.unchanged,
            report.rejected.len(),
            report.unresolved.len()
        );
        if report.merged > 0 || !report.conflicts.is_empty() {
            eprintln!(
                "kobler: {} profiles joined a researcher from another feed; {} identity conflicts (kept apart)",
                report.merged,
                report.conflicts.len()
            );
        }
    }
    if !report.rejected.is_empty() {
        bail!(
            "{} lines were rejected (the rest was imported)",
            report.rejected.len()
        );
    }
    if !report.unresolved.is_empty() {
        bail!(
            "{} references to unknown ids (the records were imported)",
            report.unresolved.len()
        );
    }
    Ok(())
}
