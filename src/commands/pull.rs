//! `kobler pull`: harvest a source over HTTP into the store. The harvest itself is the engine's
//! (`Engine::harvest`); this reads the arguments and prints how it went.

use super::{emit, open_store};
use anyhow::{Result, bail};
use clap::Args;
use kobler_engine::pull::{PullOptions, PullSource, PullState};
use kobler_engine::{HarvestObserver, ImportReport};
use serde_json::json;
use std::path::Path;

/// `kobler pull SOURCE --base-url URL`.
#[derive(Args)]
pub struct PullArgs {
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

/// Harvests, printing a line per page stored and a summary; rejected records make the exit
/// status non-zero (the rest is stored).
pub async fn run(data: &Path, args: PullArgs) -> Result<()> {
    let json = args.json;
    let options = options(args)?;
    let engine = open_store(data).await?;
    let report = engine.harvest(options, &mut Printer).await?;
    let totals = &report.import;
    for line in totals.rejected.iter().chain(&totals.unresolved) {
        eprintln!("{line}");
    }
    for line in &totals.conflicts {
        eprintln!("conflict: {line}");
    }
    let state = &report.state;
    if json {
        emit(
            json!({"pages": report.pages, "requests": report.requests, "retries": report.retries,
                    "finished": state.finished, "state": state, "import": totals}),
        )?;
    }
    eprintln!(
        "kobler: {} pages this run ({} requests, {} retries); {} of {} records stored{}",
        report.pages,
        report.requests,
        report.retries,
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

/// The harvest's options from the arguments.
fn options(args: PullArgs) -> Result<PullOptions> {
    let mut source: PullSource = args.source.parse().map_err(anyhow::Error::msg)?;
    if let PullSource::Cristin { contributors, .. } = &mut source {
        *contributors = !args.no_contributors;
    }
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
    Ok(options)
}

/// Prints where a harvest resumes and each page as it is stored.
struct Printer;

impl HarvestObserver for Printer {
    fn resuming(&mut self, state: &PullState) {
        eprintln!(
            "kobler: resuming after page {} ({} records stored)",
            state.pages, state.records
        );
    }

    fn page_stored(&mut self, number: u32, records: usize, import: &ImportReport) {
        eprintln!(
            "kobler: page {number} ({records} records): {} new, {} changed, {} unchanged",
            import.inserted, import.updated, import.unchanged
        );
    }
}
