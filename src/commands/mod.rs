//! One module per command: its arguments, the engine calls, and what it prints. What several
//! commands share — opening the data directory, writing to stdout, `--top`/`--json` — is here.

pub mod embed;
pub mod eval;
pub mod import;
pub mod learn_terms;
pub mod match_;
pub mod overlaps;
pub mod pull;
pub mod reindex;
pub mod search;
pub mod serve;
pub mod stats;
pub mod token;
pub mod user;

use anyhow::{Context, Result};
use clap::Args;
use kobler_engine::{Engine, EngineOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `--top` and `--json`, for commands that print a ranked list.
#[derive(Args)]
pub struct TopJson {
    /// How many results.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// The engine's options from the command line: everything on, models from `--model-dir`.
pub fn engine_options(model_dir: Option<PathBuf>) -> EngineOptions {
    EngineOptions {
        model_dir: model_dir_or_default(model_dir),
        ..EngineOptions::default()
    }
}

/// `--model-dir`, `$KOBLER_MODEL_DIR`, else where `scripts/install-models` is told to put them.
fn model_dir_or_default(model_dir: Option<PathBuf>) -> Option<PathBuf> {
    model_dir.or_else(|| {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/kobler-models"))
    })
}

/// Opens the data directory and catches the index up.
pub async fn open(data: &Path, options: &EngineOptions) -> Result<Engine> {
    Engine::open_with(data, options.clone())
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Opens the data directory without catching the index up, with the models (for imports).
pub async fn open_for_import(data: &Path, options: &EngineOptions) -> Result<Engine> {
    Engine::open_without_catch_up_with(data, options.clone())
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Opens the data directory for work that reads only the store.
pub async fn open_store(data: &Path) -> Result<Engine> {
    Engine::open_without_catch_up(data)
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Writes a line to stdout, ending quietly when the reader has gone (e.g. `| head`).
pub fn emit(line: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}
