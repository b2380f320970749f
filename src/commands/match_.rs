//! `kobler match needs|departments|researchers`: suggestions, one JSON object per line with
//! `--json` (CONTRACT §3).

use super::{TopJson, emit, open};
use anyhow::{Result, bail};
use clap::Subcommand;
use kobler_engine::EngineOptions;
use serde_json::json;
use std::path::Path;

/// What to match.
#[derive(Subcommand)]
pub enum MatchCommand {
    /// Researchers for each open need (or the named ones).
    Needs {
        /// A need id (repeatable).
        #[arg(long = "need")]
        needs: Vec<String>,
        /// Suggest no researcher for more than this many needs in this run.
        #[arg(long)]
        max_per_researcher: Option<usize>,
        /// Spread by the assignment that maximises the total fit under the cap (min-cost flow)
        /// instead of best-pair-first; the cap defaults to 3.
        #[arg(long)]
        assign: bool,
        #[command(flatten)]
        out: TopJson,
    },
    /// Researchers for each municipal unit with open needs (or the named ones).
    Departments {
        /// A unit id (repeatable).
        #[arg(long = "unit")]
        units: Vec<String>,
        #[command(flatten)]
        out: TopJson,
    },
    /// Open needs for each researcher (or the named ones).
    Researchers {
        /// A researcher id (repeatable).
        #[arg(long = "researcher")]
        researchers: Vec<String>,
        #[command(flatten)]
        out: TopJson,
    },
}

/// Prints the suggestions, best first per need, unit or researcher.
pub async fn run(data: &Path, options: &EngineOptions, what: MatchCommand) -> Result<()> {
    let engine = open(data, options).await?;
    match what {
        MatchCommand::Needs {
            needs,
            max_per_researcher,
            assign,
            out,
        } => {
            let matches = match (max_per_researcher, assign) {
                (Some(0), _) => bail!("--max-per-researcher must be at least 1"),
                (None, false) => engine.match_needs(&needs, out.top).await?,
                (cap, global) => {
                    engine
                        .match_needs_spread(&needs, out.top, cap.unwrap_or(3), global)
                        .await?
                }
            };
            for matched in matches {
                for (rank, s) in matched.suggestions.iter().enumerate() {
                    if out.json {
                        emit(
                            json!({"need": matched.need, "rank": rank + 1, "researcher": s.researcher,
                                    "score": s.score, "name": s.name, "evidence": s.evidence}),
                        )?;
                    } else {
                        let why: Vec<&str> = s
                            .evidence
                            .iter()
                            .map(|e| e.title.as_str())
                            .take(2)
                            .collect();
                        emit(format!(
                            "{} {:>2}. {:<12} {:>7.3}  {}  [{}]",
                            matched.need,
                            rank + 1,
                            s.researcher,
                            s.score,
                            s.name,
                            why.join(" | ")
                        ))?;
                    }
                }
            }
        }
        MatchCommand::Departments { units, out } => {
            for matched in engine.match_departments(&units, out.top).await? {
                for (rank, s) in matched.suggestions.iter().enumerate() {
                    if out.json {
                        emit(
                            json!({"unit": matched.unit, "rank": rank + 1, "researcher": s.researcher,
                                    "score": s.score, "name": s.name, "needs": s.needs,
                                    "shared_projects": s.shared_projects}),
                        )?;
                    } else {
                        emit(format!(
                            "{} {:>2}. {:<12} {:>6.3}  {}",
                            matched.unit,
                            rank + 1,
                            s.researcher,
                            s.score,
                            s.name
                        ))?;
                    }
                }
            }
        }
        MatchCommand::Researchers { researchers, out } => {
            for matched in engine.match_researchers(&researchers, out.top).await? {
                for (rank, n) in matched.needs.iter().enumerate() {
                    if out.json {
                        emit(
                            json!({"researcher": matched.researcher, "rank": rank + 1, "need": n.need,
                                    "score": n.score, "title": n.title, "matched_terms": n.matched_terms}),
                        )?;
                    } else {
                        emit(format!(
                            "{} {:>2}. {:<14} {:>7.3}  {}",
                            matched.researcher,
                            rank + 1,
                            n.need,
                            n.score,
                            n.title
                        ))?;
                    }
                }
            }
        }
    }
    Ok(())
}
