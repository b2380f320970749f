//! `kobler`: the command line (CONTRACT §3). A thin layer over `kobler-engine` and
//! `kobler-server`: it parses arguments, prints results, and turns errors into one line.

mod demo;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use kobler_engine::eval::{EvalReport, Method, evaluate};
use kobler_engine::{
    EmbedObserver, Engine, EngineOptions, ImportObserver, ImportOptions, Role, Scoring,
};
use serde_json::json;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Kobler: matches municipal knowledge needs with researchers and flags overlapping work.
#[derive(Parser)]
#[command(name = "kobler", version, about)]
struct Cli {
    /// Where the store and index live (created if missing).
    #[arg(long, global = true, env = "KOBLER_DATA", default_value = "data")]
    data: PathBuf,
    /// Where the sentence-embedding models are installed (by `scripts/install-models DIR`);
    /// default `~/.cache/kobler-models`. Without models Kobler matches lexically and says so.
    #[arg(long, global = true, env = "KOBLER_MODEL_DIR")]
    model_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import feed files or directories (Kobler JSON Lines, Cristin, OpenAlex, ORCID, CSV needs).
    Import {
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
    },
    /// Embed every record whose sentence vector is missing or stale, with every installed
    /// model (resumable; the server also does this in the background).
    Embed {
        /// Print the summary as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Harvest a source over HTTP into the store, page by page (resumable; see docs/formats.md).
    Pull(PullArgs),
    /// Rebuild the index from the store.
    Reindex,
    /// Full-text search over needs.
    Search {
        /// The query (words, "phrases", +required, -excluded).
        query: String,
        #[command(flatten)]
        out: TopJson,
    },
    /// Suggest researchers for needs or departments, or needs for researchers.
    Match {
        #[command(subcommand)]
        what: MatchCommand,
    },
    /// Flag needs that overlap other needs or projects; record coordinators' decisions.
    #[command(args_conflicts_with_subcommands = true)]
    Overlaps {
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
    },
    /// Learn term pairs from works and projects that carry their text in Norwegian and English
    /// (as Cristin feeds do); they extend the thesaurus from the next start.
    LearnTerms {
        /// Records a pair must share at least.
        #[arg(long, default_value_t = 3)]
        min_together: u32,
        /// Lowest Dice coefficient kept (0..1).
        #[arg(long, default_value_t = 0.6)]
        min_dice: f32,
        /// Print JSON lines, one per pair.
        #[arg(long)]
        json: bool,
    },
    /// Count stored records per type.
    Stats {
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Serve the HTTP API and the web interface.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the demo data into an empty store and create demo accounts.
        #[arg(long)]
        demo: bool,
        /// Mark the sign-in cookie `Secure` (sent over https only): `auto` does so unless the
        /// address is a loopback one (plain http on localhost); behind an https proxy use `yes`.
        #[arg(long, value_enum, default_value = "auto")]
        secure_cookies: SecureCookies,
    },
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
    /// Evaluate matching and overlap quality on a labelled set.
    Eval {
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
    },
}

#[derive(Args)]
struct PullArgs {
    /// What to harvest: cristin-persons, cristin-results, cristin-projects, openalex-works or
    /// openalex-authors.
    source: String,
    /// The API's base URL (e.g. https://api.cristin.no/v2, https://api.openalex.org).
    #[arg(long)]
    base_url: String,
    /// A query parameter for the list (repeatable), e.g. `institution=194` or
    /// `filter=institutions.country_code:NO`.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    params: Vec<String>,
    /// Records per page (default: 100 for Cristin, 200 for OpenAlex).
    #[arg(long)]
    per_page: Option<u32>,
    /// Stop after this many pages in this run; the next run resumes after them.
    #[arg(long)]
    max_pages: Option<u32>,
    /// At most this many requests per second.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// Retries of a request after 429, 5xx or a failed connection.
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// First backoff between retries in milliseconds (doubles each time, at most 60 s).
    #[arg(long, default_value_t = 1000)]
    backoff_ms: u64,
    /// Start again from the first page instead of resuming.
    #[arg(long)]
    restart: bool,
    /// Cristin results: do not fetch each result's contributors payload.
    #[arg(long)]
    no_contributors: bool,
    /// OpenAlex: contact address for the polite pool.
    #[arg(long)]
    mailto: Option<String>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct TopJson {
    /// How many results.
    #[arg(long, default_value_t = 10)]
    top: usize,
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

#[derive(Subcommand)]
enum MatchCommand {
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

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from stdin.
    Add {
        /// Sign-in name.
        #[arg(long)]
        name: String,
        /// staff, researcher, coordinator or admin.
        #[arg(long)]
        role: String,
        /// For staff: their municipal unit.
        #[arg(long)]
        unit: Option<String>,
        /// For researchers: their researcher id.
        #[arg(long)]
        researcher: Option<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for a user.
    Create {
        /// The user's name.
        #[arg(long)]
        name: String,
    },
}

fn main() {
    let cli = Cli::parse();
    // The server reports what it does; tantivy's segment chatter is not for operators.
    let default_level = if matches!(cli.command, Command::Serve { .. }) {
        "info,tantivy=warn"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("kobler: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        // One line: the reason and its causes.
        let reason: Vec<String> = e.chain().map(|c| c.to_string()).collect();
        eprintln!("kobler: {}", reason.join(": "));
        std::process::exit(1);
    }
}

/// `kobler overlaps confirm|dismiss|decisions`.
async fn run_overlap_decision(engine: &Engine, command: OverlapCommand) -> Result<()> {
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

/// The engine's options from the command line: everything on, models from `--model-dir`.
fn engine_options(cli: &Cli) -> EngineOptions {
    EngineOptions {
        model_dir: model_dir(cli),
        ..EngineOptions::default()
    }
}

/// `--model-dir`, `$KOBLER_MODEL_DIR`, else where `scripts/install-models` is told to put them.
fn model_dir(cli: &Cli) -> Option<PathBuf> {
    cli.model_dir.clone().or_else(|| {
        std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache/kobler-models"))
    })
}

async fn open(data: &Path, options: &EngineOptions) -> Result<Engine> {
    Engine::open_with(data, options.clone())
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Opens the data directory without catching the index up, with the models (for imports).
async fn open_for_import(data: &Path, options: &EngineOptions) -> Result<Engine> {
    Engine::open_without_catch_up_with(data, options.clone())
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Opens the data directory for work that reads only the store.
async fn open_store(data: &Path) -> Result<Engine> {
    Engine::open_without_catch_up(data)
        .await
        .with_context(|| format!("cannot open the data directory {}", data.display()))
}

/// Writes a line to stdout, ending quietly when the reader has gone (e.g. `| head`).
fn emit(line: impl std::fmt::Display) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{line}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

async fn run(cli: Cli) -> Result<()> {
    let options = engine_options(&cli);
    match cli.command {
        Command::Import {
            paths,
            format,
            batch_size,
            json,
            no_embed,
        } => {
            let engine = open_for_import(&cli.data, &options).await?;
            import(&engine, &paths, format, batch_size, json).await?;
            if !no_embed {
                embed(&engine, options.model_dir.as_deref(), false).await?;
            }
            Ok(())
        }
        Command::Embed { json } => {
            let engine = open_for_import(&cli.data, &options).await?;
            if engine.semantic_models().is_empty() {
                bail!(
                    "no sentence-embedding models in {} (install them with `scripts/install-models DIR` and pass --model-dir DIR)",
                    options.model_dir.clone().unwrap_or_default().display()
                );
            }
            embed(&engine, options.model_dir.as_deref(), json).await
        }
        Command::Pull(args) => {
            let engine = open_store(&cli.data).await?;
            pull(&engine, args).await
        }
        Command::Reindex => {
            let engine = open_store(&cli.data).await?;
            let read = engine.reindex().await?;
            eprintln!(
                "kobler: reindexed {read} records ({} documents)",
                engine.indexed_documents()
            );
            Ok(())
        }
        Command::Search { query, out } => {
            let engine = open(&cli.data, &options).await?;
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
        Command::Match { what } => {
            let engine = open(&cli.data, &options).await?;
            run_match(&engine, what).await
        }
        Command::Overlaps {
            decide: Some(command),
            ..
        } => {
            let engine = open(&cli.data, &options).await?;
            run_overlap_decision(&engine, command).await
        }
        Command::Overlaps {
            decide: None,
            threshold,
            clusters,
            json,
        } => {
            if !(0.0..=1.0).contains(&threshold) {
                bail!("--threshold must be between 0 and 1");
            }
            let engine = open(&cli.data, &options).await?;
            let pairs = engine.overlaps(threshold).await?;
            if clusters {
                for (n, cluster) in kobler_engine::cluster_overlaps(&pairs).iter().enumerate() {
                    if json {
                        let mut value = serde_json::to_value(cluster)?;
                        value["cluster"] = json!(n + 1);
                        emit(value)?;
                    } else {
                        let ids: Vec<&str> =
                            cluster.members.iter().map(|m| m.id.as_str()).collect();
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
        Command::LearnTerms {
            min_together,
            min_dice,
            json,
        } => {
            if !(0.0..=1.0).contains(&min_dice) {
                bail!("--min-dice must be between 0 and 1");
            }
            let engine = open(&cli.data, &options).await?;
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
        Command::Stats { json } => {
            let engine = open_store(&cli.data).await?;
            let counts = engine.stats().await?;
            if json {
                emit(serde_json::to_value(&counts)?)?;
            } else {
                for (kind, n) in counts {
                    emit(format!("{kind:<13}{n:>9}"))?;
                }
            }
            Ok(())
        }
        Command::Serve {
            addr,
            demo,
            secure_cookies,
        } => {
            let engine = open(&cli.data, &options).await?;
            if demo {
                demo::load(&engine, addr).await?;
            }
            let secure_cookies = match secure_cookies {
                SecureCookies::Auto => !addr.ip().is_loopback(),
                SecureCookies::Yes => true,
                SecureCookies::No => false,
            };
            let options = kobler_server::WebOptions { secure_cookies };
            spawn_background_embedding(engine.clone());
            kobler_server::serve(engine, addr, options).await?;
            Ok(())
        }
        Command::User {
            what:
                UserCommand::Add {
                    name,
                    role,
                    unit,
                    researcher,
                },
        } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from stdin")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let engine = open_store(&cli.data).await?;
            let user = engine
                .add_user(
                    &name,
                    role,
                    unit.as_deref(),
                    researcher.as_deref(),
                    password,
                )
                .await?;
            eprintln!("kobler: added {} ({})", user.name, user.role);
            Ok(())
        }
        Command::Token {
            what: TokenCommand::Create { name },
        } => {
            let engine = open_store(&cli.data).await?;
            emit(engine.create_token(&name).await?)
        }
        Command::Eval {
            dir,
            baseline,
            without,
            scoring,
            store,
            json,
        } => {
            let method = if baseline {
                Method::Baseline
            } else {
                Method::Kobler
            };
            let options = EngineOptions {
                model_dir: options.model_dir.clone(),
                scoring: scoring.into(),
                ..kobler_engine::eval::options_without(&without)?
            };
            let mut progress = EmbedProgress::new();
            let report = evaluate(&dir, method, options, store.as_deref(), &mut progress)
                .await
                .with_context(|| format!("cannot evaluate {}", dir.display()))?;
            if json {
                emit(serde_json::to_string_pretty(&report)?)
            } else {
                print_eval(&report)
            }
        }
    }
}

async fn run_match(engine: &Engine, what: MatchCommand) -> Result<()> {
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

/// A progress bar per model on stderr.
struct EmbedProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl EmbedProgress {
    fn new() -> Self {
        EmbedProgress { bar: None }
    }
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
async fn embed(engine: &Engine, model_dir: Option<&Path>, json: bool) -> Result<()> {
    if engine.semantic_models().is_empty() {
        let dir = model_dir.unwrap_or(Path::new("DIR")).display();
        eprintln!(
            "kobler: no sentence-embedding models in {dir}: matching is lexical only (install them with `scripts/install-models {dir}`)"
        );
        return Ok(());
    }
    let report = engine.embed_pending(&mut EmbedProgress::new()).await?;
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

/// Logs background embedding progress now and then.
#[derive(Default)]
struct LoggedProgress {
    model: String,
    total: u64,
    done: u64,
    logged_at: u64,
}

impl EmbedObserver for LoggedProgress {
    fn start(&mut self, model: &str, total: u64) {
        *self = LoggedProgress {
            model: model.to_string(),
            total,
            ..LoggedProgress::default()
        };
        if total > 0 {
            tracing::info!(model, total, "embedding records in the background");
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        if self.done - self.logged_at >= 1000 || self.done == self.total {
            self.logged_at = self.done;
            tracing::info!(model = %self.model, done = self.done, total = self.total, "embedding");
        }
    }
}

/// Keeps the vectors up with the store while the server runs (see `Engine::keep_embedding`).
fn spawn_background_embedding(engine: Engine) {
    tokio::spawn(async move {
        engine
            .keep_embedding(
                &mut LoggedProgress::default(),
                std::time::Duration::from_secs(300),
            )
            .await;
    });
}

async fn import(
    engine: &Engine,
    paths: &[PathBuf],
    format: Option<kobler_engine::FeedFormat>,
    batch_size: usize,
    json: bool,
) -> Result<()> {
    if batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {bytes}/{total_bytes} {eta}")
    {
        bar.set_style(style);
    }
    let mut progress = Progress { bar };
    let options = ImportOptions {
        batch_size,
        format,
        ..ImportOptions::default()
    };
    let report = engine.import(paths, &options, &mut progress).await?;
    progress.bar.finish_and_clear();
    for line in report.rejected.iter().chain(&report.unresolved) {
        eprintln!("{line}");
    }
    for line in &report.conflicts {
        eprintln!("conflict: {line}");
    }
    let records: u64 = report.records.values().sum();
    if json {
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

/// `kobler pull`: fetch page after page, import each, and record the page as done only once it
/// is stored — so a stopped pull resumes at the first page not stored.
async fn pull(engine: &Engine, args: PullArgs) -> Result<()> {
    use kobler_engine::pull::{Harvest, PullOptions, PullSource};
    let source = match args.source.split_once('-') {
        Some(("cristin", endpoint @ ("persons" | "results" | "projects"))) => PullSource::Cristin {
            endpoint: endpoint.to_string(),
            contributors: !args.no_contributors,
        },
        Some(("openalex", entity @ ("works" | "authors"))) => PullSource::OpenAlex {
            entity: entity.to_string(),
        },
        _ => bail!(
            "unknown source {:?} (cristin-persons, cristin-results, cristin-projects, openalex-works, openalex-authors)",
            args.source
        ),
    };
    if !(args.rate > 0.0 && args.rate.is_finite()) {
        bail!("--rate must be a positive number of requests per second");
    }
    let mut options = PullOptions::new(&args.base_url, source);
    for param in &args.params {
        let Some((key, value)) = param.split_once('=') else {
            bail!("--param {param:?} is not KEY=VALUE");
        };
        options.query.push((key.to_string(), value.to_string()));
    }
    if let Some(per_page) = args.per_page {
        options.per_page = per_page;
    }
    options.max_pages = args.max_pages;
    options.min_interval = std::time::Duration::from_secs_f64(1.0 / args.rate);
    options.max_retries = args.retries;
    options.backoff = std::time::Duration::from_millis(args.backoff_ms);
    options.restart = args.restart;
    options.mailto = args.mailto;
    let root = engine.data_dir().join("pull");
    let mut harvest = Harvest::open(options, &root)?;
    if harvest.state().pages > 0 {
        eprintln!(
            "kobler: resuming after page {} ({} records stored)",
            harvest.state().pages,
            harvest.state().records
        );
    }
    let mut fetched = 0;
    let mut totals = kobler_engine::ImportReport::default();
    while let Some(page) = harvest.next_page(fetched).await? {
        fetched += 1;
        let report = engine
            .import(
                std::slice::from_ref(&page.dir),
                &ImportOptions {
                    catch_up: false,
                    ..ImportOptions::default()
                },
                &mut kobler_engine::NoProgress,
            )
            .await
            .with_context(|| format!("cannot import page {}", page.number))?;
        harvest.commit(&page)?;
        eprintln!(
            "kobler: page {} ({} records): {} new, {} changed, {} unchanged",
            page.number, page.records, report.inserted, report.updated, report.unchanged
        );
        totals.files += report.files;
        totals.inserted += report.inserted;
        totals.updated += report.updated;
        totals.unchanged += report.unchanged;
        totals.merged += report.merged;
        totals.rejected.extend(report.rejected);
        totals.unresolved.extend(report.unresolved);
        totals.conflicts.extend(report.conflicts);
        for (kind, n) in report.records {
            *totals.records.entry(kind).or_default() += n;
        }
    }
    // The index catches up once for the whole run (pages were stored without it).
    totals.indexed = engine.catch_up_unless_busy().await?;
    for line in totals.rejected.iter().chain(&totals.unresolved) {
        eprintln!("{line}");
    }
    for line in &totals.conflicts {
        eprintln!("conflict: {line}");
    }
    let state = harvest.state();
    if args.json {
        emit(
            json!({"pages": fetched, "requests": harvest.requests, "retries": harvest.retries,
                    "finished": state.finished, "state": state, "import": totals}),
        )?;
    }
    eprintln!(
        "kobler: {fetched} pages this run ({} requests, {} retries); {} of {} records stored{}",
        harvest.requests,
        harvest.retries,
        state.records,
        state.total.map_or("?".to_string(), |t| t.to_string()),
        if state.finished {
            "; harvest complete"
        } else {
            "; run again to continue"
        }
    );
    if !totals.rejected.is_empty() {
        bail!(
            "{} records were rejected (the rest was imported)",
            totals.rejected.len()
        );
    }
    Ok(())
}

fn print_eval(report: &EvalReport) -> Result<()> {
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

/// Whether the sign-in cookie is marked `Secure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SecureCookies {
    /// Secure unless serving plain http on a loopback address.
    Auto,
    /// Always (behind https).
    Yes,
    /// Never (plain http on a trusted network only).
    No,
}
