//! `kobler eval`: matching and overlap quality on a labelled set (CONTRACT §2), in a store of
//! its own.

use super::embed::EmbedProgress;
use super::emit;
use anyhow::{Context, Result};
use clap::Args;
use kobler_engine::eval::{EvalReport, Method, evaluate};
use kobler_engine::{EngineOptions, Scoring};
use std::path::PathBuf;

/// `kobler eval DIR`.
#[derive(Args)]
pub struct EvalArgs {
    /// The labelled set's directory (feed files, judgments.jsonl, overlaps.jsonl).
    dir: PathBuf,
    /// Evaluate the plain BM25 profile baseline instead of Kobler's matcher.
    #[arg(long)]
    baseline: bool,
    /// Turn parts of the matcher off, to measure what each earns (comma-separated:
    /// thesaurus, compounds, spelling, projects, profiles, recency).
    #[arg(long, value_delimiter = ',')]
    without: Vec<String>,
    /// Which evidence to score with when models are installed.
    #[arg(long, value_enum, default_value = "blend")]
    scoring: ScoringArg,
    /// Keep the evaluation's store and index (and vectors) in this directory instead of a
    /// temporary one, so that a re-run embeds nothing it embedded before.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Print the full report as JSON.
    #[arg(long)]
    json: bool,
}

/// `kobler eval --scoring`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ScoringArg {
    /// The index alone.
    Lexical,
    /// Sentence vectors alone.
    Semantic,
    /// Both, blended.
    Blend,
}

impl From<ScoringArg> for Scoring {
    fn from(arg: ScoringArg) -> Scoring {
        match arg {
            ScoringArg::Lexical => Scoring::Lexical,
            ScoringArg::Semantic => Scoring::Semantic,
            ScoringArg::Blend => Scoring::Blend,
        }
    }
}

/// Evaluates and prints the figures (a table, or the whole report as JSON).
pub async fn run(options: &EngineOptions, args: EvalArgs) -> Result<()> {
    let method = if args.baseline {
        Method::Baseline
    } else {
        Method::Kobler
    };
    let options = EngineOptions {
        model_dir: options.model_dir.clone(),
        scoring: args.scoring.into(),
        ..kobler_engine::eval::options_without(&args.without)?
    };
    let mut progress = EmbedProgress::default();
    let report = evaluate(
        &args.dir,
        method,
        options,
        args.store.as_deref(),
        &mut progress,
    )
    .await
    .with_context(|| format!("cannot evaluate {}", args.dir.display()))?;
    if args.json {
        emit(serde_json::to_string_pretty(&report)?)
    } else {
        print(&report)
    }
}

fn print(report: &EvalReport) -> Result<()> {
    let row = |label: &str, f: &kobler_engine::eval::MatchingFigures| {
        format!(
            "{label:<10}{:>6}{:>10.3}{:>8.3}{:>8.3}{:>10.3}",
            f.needs, f.ndcg_at_10, f.map, f.p_at_5, f.p_at_1_grade_3
        )
    };
    let scoring = if report.models.is_empty() {
        "lexical only: no models installed".to_string()
    } else {
        format!("{:?}: {}", report.scoring, report.models.join(", ")).to_lowercase()
    };
    emit(format!("matching ({:?}, {scoring})", report.method).to_lowercase())?;
    emit(format!(
        "{:<10}{:>6}{:>10}{:>8}{:>8}{:>10}",
        "needs", "n", "nDCG@10", "MAP", "P@5", "P@1(g3)"
    ))?;
    emit(row("all", &report.matching))?;
    for (lang, figures) in &report.by_language {
        emit(row(lang.code(), figures))?;
    }
    if let Some(o) = &report.overlaps {
        emit(format!(
            "overlaps  precision {:.3}  recall {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
            o.precision, o.recall, o.f1, o.true_positives, o.false_positives, o.false_negatives
        ))?;
    }
    if !report.import_problems.is_empty() {
        eprintln!(
            "kobler: {} lines of the set did not import cleanly:",
            report.import_problems.len()
        );
        for problem in &report.import_problems {
            eprintln!("  {problem}");
        }
    }
    Ok(())
}
