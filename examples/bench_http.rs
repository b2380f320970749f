//! A load benchmark of a running Kobler server: `CLIENTS` clients on loopback for `SECONDS`
//! seconds, each sending a mix of what people do — search, need pages, a need's matches, "needs
//! for me", the pairing queue, overlaps, the portfolio, the network, and posting needs — and
//! the latency of each route (p50, p95, p99, max), errors and throughput printed as a Markdown
//! table. `scripts/bench-http` builds the corpus, starts the server and an import beside it,
//! and runs this.
//!
//! ```sh
//! cargo run --release --example bench_http -- http://127.0.0.1:18080 tokens.json 50 60
//! ```
//!
//! `tokens.json` holds API tokens by role: `{"staff": [...], "coordinator": [...],
//! "researcher": [...]}` (staff post for their own unit). Requests go to the given base address only (loopback), and the run
//! stops by itself after `SECONDS`.

mod support;

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::Lcg;

/// Each route and how often it is asked, out of the sum of the weights.
const MIX: [(Route, u64); 9] = [
    (Route::Search, 25),
    (Route::NeedPage, 15),
    (Route::Matches, 12),
    (Route::NeedsForMe, 10),
    (Route::Pairings, 8),
    (Route::Overlaps, 8),
    (Route::Portfolio, 5),
    (Route::Network, 5),
    (Route::Post, 12),
];

/// Words people search for, in the three languages, with a typo or two.
const QUERIES: [&str; 16] = [
    "barnehage",
    "eldre ensomhet",
    "velferdsteknologi",
    "overvann",
    "skole",
    "hjemmetjeneste",
    "psykisk helse ungdom",
    "klimatilpasning",
    "loneliness",
    "kindergarten language",
    "digitalisering",
    "rus",
    "folkehelse",
    "innvandrere",
    "medisindispenser",
    "trafikksikkerhet",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Route {
    Search,
    NeedPage,
    Matches,
    NeedsForMe,
    Pairings,
    Overlaps,
    Portfolio,
    Network,
    Post,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Search => "search `GET /needs?q=`",
            Route::NeedPage => "need `GET /needs/{id}`",
            Route::Matches => "matches `GET /needs/{id}/matches`",
            Route::NeedsForMe => "needs for me `GET /me/needs`",
            Route::Pairings => "pairing queue `GET /pairings`",
            Route::Overlaps => "overlaps `GET /overlaps`",
            Route::Portfolio => "portfolio `GET /portfolio`",
            Route::Network => "network `GET /network`",
            Route::Post => "post `POST /needs`",
        }
    }
}

struct Setup {
    base: String,
    staff: Vec<String>,
    coordinators: Vec<String>,
    researchers: Vec<String>,
    needs: Vec<String>,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<f64>,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
}

fn tokens(value: &Value, role: &str) -> Vec<String> {
    value[role]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn pick<'a>(rng: &mut Lcg, items: &'a [String]) -> &'a str {
    if items.is_empty() {
        ""
    } else {
        &items[rng.below(items.len())]
    }
}

/// One request of `route`; its status, or `None` when it never got an answer.
async fn send(client: &reqwest::Client, setup: &Setup, route: Route, rng: &mut Lcg) -> Option<u16> {
    let base = &setup.base;
    let coordinator = pick(rng, &setup.coordinators).to_string();
    let request = match route {
        Route::Search => {
            let q = QUERIES[rng.below(QUERIES.len())];
            client.get(format!("{base}/api/v1/needs?q={q}&limit=20"))
        }
        Route::NeedPage => client.get(format!("{base}/api/v1/needs/{}", pick(rng, &setup.needs))),
        Route::Matches => client
            .get(format!(
                "{base}/api/v1/needs/{}/matches",
                pick(rng, &setup.needs)
            ))
            .bearer_auth(coordinator),
        Route::NeedsForMe => client
            .get(format!("{base}/api/v1/me/needs"))
            .bearer_auth(pick(rng, &setup.researchers)),
        Route::Pairings => client
            .get(format!("{base}/api/v1/pairings"))
            .bearer_auth(coordinator),
        Route::Overlaps => client
            .get(format!("{base}/api/v1/overlaps"))
            .bearer_auth(coordinator),
        Route::Portfolio => client
            .get(format!("{base}/api/v1/portfolio"))
            .bearer_auth(coordinator),
        Route::Network => client
            .get(format!("{base}/api/v1/network"))
            .bearer_auth(coordinator),
        Route::Post => {
            let q = QUERIES[rng.below(QUERIES.len())];
            let n = rng.below(1_000_000);
            // Staff post for their own unit.
            client
                .post(format!("{base}/api/v1/needs"))
                .bearer_auth(pick(rng, &setup.staff))
                .json(&json!({
                    "title": format!("Kunnskapsbehov om {q} ({n})"),
                    "description": format!("Avdelingen ønsker kunnskap om {q} og hvordan tjenestene kan bli bedre for innbyggerne, med forskning på hvilke tiltak som virker i praksis."),
                    "focus_areas": ["helse-og-velferd"],
                }))
        }
    };
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    // Read the whole body: the latency includes it.
    response.bytes().await.ok()?;
    Some(status)
}

async fn client_loop(setup: Arc<Setup>, seed: u64, until: Instant) -> BTreeMap<Route, Tally> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    let total: u64 = MIX.iter().map(|(_, w)| w).sum();
    let mut rng = Lcg(seed);
    let mut tallies: BTreeMap<Route, Tally> = BTreeMap::new();
    while Instant::now() < until {
        let mut roll = rng.below(total as usize) as u64;
        let route = MIX
            .iter()
            .find(|(_, w)| {
                if roll < *w {
                    true
                } else {
                    roll -= w;
                    false
                }
            })
            .map_or(Route::Search, |(r, _)| *r);
        let started = Instant::now();
        let status = send(&client, &setup, route, &mut rng).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let tally = tallies.entry(route).or_default();
        tally.latencies.push(ms);
        match status {
            Some(s) => {
                *tally.statuses.entry(s).or_default() += 1;
                let expected = if route == Route::Post { 201 } else { 200 };
                if s != expected {
                    tally.errors += 1;
                }
            }
            None => tally.errors += 1,
        }
    }
    tallies
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Up to `want` need ids, read page by page from the API.
async fn need_ids(client: &reqwest::Client, base: &str, want: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut offset = 0;
    while ids.len() < want {
        let page: Value = match client
            .get(format!("{base}/api/v1/needs?limit=100&offset={offset}"))
            .send()
            .await
        {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(_) => break,
        };
        let items = page["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        offset += items.len();
        ids.extend(
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string)),
        );
    }
    ids
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, tokens_file, clients, seconds] = args.as_slice() else {
        return Err("usage: bench_http BASE_URL TOKENS_JSON CLIENTS SECONDS".into());
    };
    let clients: usize = clients.parse()?;
    let seconds: u64 = seconds.parse()?;
    let value: Value = serde_json::from_str(&std::fs::read_to_string(tokens_file)?)?;
    let client = reqwest::Client::new();
    let needs = need_ids(&client, base, 2_000).await;
    let setup = Arc::new(Setup {
        base: base.clone(),
        staff: tokens(&value, "staff"),
        coordinators: tokens(&value, "coordinator"),
        researchers: tokens(&value, "researcher"),
        needs,
    });
    if [
        &setup.coordinators,
        &setup.researchers,
        &setup.staff,
        &setup.needs,
    ]
    .iter()
    .any(|list| list.is_empty())
    {
        return Err(
            "tokens.json needs staff, coordinator and researcher tokens, and the server needs"
                .into(),
        );
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut runs = Vec::new();
    for c in 0..clients {
        runs.push(tokio::spawn(client_loop(
            setup.clone(),
            0x5eed + c as u64,
            until,
        )));
    }
    let mut all: BTreeMap<Route, Tally> = BTreeMap::new();
    for run in runs {
        for (route, tally) in run.await? {
            let into = all.entry(route).or_default();
            into.latencies.extend(tally.latencies);
            into.errors += tally.errors;
            for (status, n) in tally.statuses {
                *into.statuses.entry(status).or_default() += n;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("| route | requests | errors | p50 ms | p95 ms | p99 ms | max ms | statuses |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut requests = 0;
    let mut errors = 0;
    for (route, tally) in &mut all {
        tally.latencies.sort_by(f64::total_cmp);
        requests += tally.latencies.len();
        errors += tally.errors;
        let statuses: Vec<String> = tally
            .statuses
            .iter()
            .map(|(s, n)| format!("{s}×{n}"))
            .collect();
        println!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |",
            route.name(),
            tally.latencies.len(),
            tally.errors,
            percentile(&tally.latencies, 50.0),
            percentile(&tally.latencies, 95.0),
            percentile(&tally.latencies, 99.0),
            tally.latencies.last().copied().unwrap_or(0.0),
            statuses.join(" ")
        );
    }
    println!(
        "\n{requests} requests in {elapsed:.0} s ({:.0}/s) from {clients} clients, {errors} errors",
        requests as f64 / elapsed
    );
    Ok(())
}
