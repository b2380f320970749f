//! `kobler overlaps`: needs that cover the same ground as other needs or projects, and the
//! coordinators' decisions on them (`confirm`, `dismiss`, `decisions`).

use super::{emit, open};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use kobler_engine::{Engine, EngineOptions};
use serde_json::json;
use std::path::Path;

/// `kobler overlaps [--threshold T] [--clusters] [--json]`, or one of its subcommands.
#[derive(Args)]
pub struct OverlapsArgs {
    #[command(subcommand)]
    decide: Option<OverlapCommand>,
    /// Flag pairs scoring at least this (0..1; lower finds more, less surely).
    #[arg(long, default_value_t = kobler_engine::OVERLAP_THRESHOLD)]
    threshold: f32,
    /// Print groups of overlapping needs and projects instead of pairs.
    #[arg(long)]
    clusters: bool,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
}

/// A coordinator's decision on a flagged pair, or the record of them.
#[derive(Subcommand)]
enum OverlapCommand {
    /// The two really cover the same ground: keep flagging them, marked as confirmed.
    Confirm(DecisionArgs),
    /// A false alarm: stop flagging the pair until one side changes materially.
    Dismiss(DecisionArgs),
    /// Every decision so far, oldest first (who, when, what, note).
    Decisions {
        /// Print JSON lines.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct DecisionArgs {
    /// A need id.
    a: String,
    /// Another need's id, or a project's.
    b: String,
    /// Why (kept with the decision).
    #[arg(long)]
    note: Option<String>,
    /// Who decides: an existing user's name.
    #[arg(long, default_value = "admin")]
    by: String,
}

/// Prints the flagged pairs (or clusters), or records or lists decisions.
pub async fn run(data: &Path, options: &EngineOptions, args: OverlapsArgs) -> Result<()> {
    let OverlapsArgs {
        decide,
        threshold,
        clusters,
        json,
    } = args;
    if let Some(command) = decide {
        let engine = open(data, options).await?;
        return decision(&engine, command).await;
    }
    if !(0.0..=1.0).contains(&threshold) {
        bail!("--threshold must be between 0 and 1");
    }
    let engine = open(data, options).await?;
    let pairs = engine.overlaps(threshold).await?;
    if clusters {
        for (n, cluster) in kobler_engine::cluster_overlaps(&pairs).iter().enumerate() {
            if json {
                let mut value = serde_json::to_value(cluster)?;
                value["cluster"] = json!(n + 1);
                emit(value)?;
            } else {
                let ids: Vec<&str> = cluster.members.iter().map(|m| m.id.as_str()).collect();
                emit(format!(
                    "{:>3}. {:.2}  {}",
                    n + 1,
                    cluster.score,
                    ids.join(", ")
                ))?;
            }
        }
        return Ok(());
    }
    for pair in pairs {
        if json {
            emit(serde_json::to_value(&pair)?)?;
        } else {
            let what = match &pair.status {
                Some(status) => format!("{:?}, {status}", pair.b_kind).to_lowercase(),
                None => format!("{:?}", pair.b_kind).to_lowercase(),
            };
            let signals: Vec<String> = pair
                .signals
                .iter()
                .map(|s| format!("{s:?}").to_lowercase())
                .collect();
            let decision = match &pair.decision {
                Some(d) if d.changed_since => {
                    format!("  ({} by {}, changed since)", d.decision.as_str(), d.by)
                }
                Some(d) => format!("  ({} by {})", d.decision.as_str(), d.by),
                None => String::new(),
            };
            emit(format!(
                "{:.2}  {} ~ {} ({what}) [{}]{decision}  {}",
                pair.score,
                pair.a,
                pair.b,
                signals.join("+"),
                pair.shared_terms.join(", ")
            ))?;
        }
    }
    Ok(())
}

/// `kobler overlaps confirm|dismiss|decisions`.
async fn decision(engine: &Engine, command: OverlapCommand) -> Result<()> {
    let (args, decision) = match command {
        OverlapCommand::Confirm(args) => (args, kobler_engine::Decision::Confirmed),
        OverlapCommand::Dismiss(args) => (args, kobler_engine::Decision::Dismissed),
        OverlapCommand::Decisions { json } => {
            for d in engine.overlap_decisions().await? {
                if json {
                    emit(serde_json::to_value(&d)?)?;
                } else {
                    emit(format!(
                        "{}  {} {} ~ {} by {}{}",
                        d.decided_at,
                        d.decision.as_str(),
                        d.a,
                        d.b,
                        d.decided_by,
                        d.note.map(|n| format!(": {n}")).unwrap_or_default()
                    ))?;
                }
            }
            return Ok(());
        }
    };
    let Some(user) = engine.user(&args.by).await? else {
        bail!(
            "no user named {:?} (create one with `kobler user add`, or pass --by)",
            args.by
        );
    };
    let stored = engine
        .decide_overlap(&args.a, &args.b, decision, args.note, &user)
        .await?;
    eprintln!(
        "kobler: {} {} ~ {} ({})",
        stored.decision.as_str(),
        stored.a,
        stored.b,
        stored.decided_at
    );
    Ok(())
}
