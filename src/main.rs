//! `kobler`: the command line (CONTRACT §3). A thin layer over `kobler-engine` and
//! `kobler-server`: it parses arguments, hands each command to its module in `commands/`, and
//! turns errors into one line.

mod commands;
mod demo;

use clap::{Parser, Subcommand};
use commands::{
    embed, eval, import, learn_terms, match_, overlaps, pull, reindex, search, serve, stats, token,
    user,
};
use std::io::IsTerminal;
use std::path::PathBuf;

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
    Import(import::ImportArgs),
    /// Embed every record whose sentence vector is missing or stale, with every installed
    /// model (resumable; the server also does this in the background).
    Embed(embed::EmbedArgs),
    /// Harvest a source over HTTP into the store, page by page (resumable; see docs/formats.md).
    Pull(pull::PullArgs),
    /// Rebuild the index from the store.
    Reindex,
    /// Full-text search over needs.
    Search(search::SearchArgs),
    /// Suggest researchers for needs or departments, or needs for researchers.
    Match {
        #[command(subcommand)]
        what: match_::MatchCommand,
    },
    /// Flag needs that overlap other needs or projects; record coordinators' decisions.
    #[command(args_conflicts_with_subcommands = true)]
    Overlaps(overlaps::OverlapsArgs),
    /// Learn term pairs from works and projects that carry their text in Norwegian and English
    /// (as Cristin feeds do); they extend the thesaurus from the next start.
    LearnTerms(learn_terms::LearnTermsArgs),
    /// Count stored records per type.
    Stats(stats::StatsArgs),
    /// Serve the HTTP API and the web interface.
    Serve(serve::ServeArgs),
    /// Manage local accounts.
    User {
        #[command(subcommand)]
        what: user::UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        what: token::TokenCommand,
    },
    /// Evaluate matching and overlap quality on a labelled set.
    Eval(eval::EvalArgs),
}

fn main() {
    let cli = Cli::parse();
    // The server reports what it does; tantivy's segment chatter is not for operators.
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info,tantivy=warn"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes are for a terminal; in a log file or a pipe they are noise.
        .with_ansi(std::io::stderr().is_terminal())
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

/// Hands the command to its module.
async fn run(cli: Cli) -> anyhow::Result<()> {
    let options = commands::engine_options(cli.model_dir.clone());
    let data = cli.data.as_path();
    match cli.command {
        Command::Import(args) => import::run(data, &options, args).await,
        Command::Embed(args) => embed::run(data, &options, args).await,
        Command::Pull(args) => pull::run(data, args).await,
        Command::Reindex => reindex::run(data).await,
        Command::Search(args) => search::run(data, &options, args).await,
        Command::Match { what } => match_::run(data, &options, what).await,
        Command::Overlaps(args) => overlaps::run(data, &options, args).await,
        Command::LearnTerms(args) => learn_terms::run(data, &options, args).await,
        Command::Stats(args) => stats::run(data, args).await,
        Command::Serve(args) => serve::run(data, &options, args).await,
        Command::User { what } => user::run(data, what).await,
        Command::Token { what } => token::run(data, what).await,
        Command::Eval(args) => eval::run(&options, args).await,
    }
}
