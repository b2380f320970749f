//! Speed of one embedding model on this machine: load time, batch throughput over realistic
//! texts (the labelled set's works, projects and needs, repeated to `--texts`), one-query
//! latency and the process's peak resident memory.
//!
//! ```sh
//! cargo run --release --example embed_speed -- MODEL_DIR MODEL_ID ../shared/eval/dev [--texts 1000]
//! ```
//!
//! Run it once per model: peak memory is per process. candle uses every core for its matrix
//! products (`RAYON_NUM_THREADS` caps it).

use kobler_core::{Record, parse_record};
use kobler_embed::{ModelKind, ModelSet};
use std::error::Error;
use std::path::Path;
use std::time::Instant;

fn texts_of(dir: &Path) -> Result<(Vec<String>, Vec<String>), Box<dyn Error>> {
    let mut passages = Vec::new();
    let mut queries = Vec::new();
    for file in ["works.jsonl", "projects.jsonl", "needs.jsonl"] {
        let path = dir.join(file);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match parse_record(&serde_json::from_str(line)?)? {
                Record::Work(w) => passages.push(format!(
                    "{}\n{}",
                    w.title,
                    w.abstract_text.unwrap_or_default()
                )),
                Record::Project(p) => {
                    passages.push(format!("{}\n{}", p.title, p.summary.unwrap_or_default()))
                }
                Record::Need(n) => queries.push(n.text()),
                _ => {}
            }
        }
    }
    Ok((passages, queries))
}

/// Peak resident set size of this process in MiB, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (positional, options) = args.split_at(args.len().min(3));
    let [model_dir, model_id, set_dir] = positional else {
        return Err("usage: embed_speed MODEL_DIR MODEL_ID SET_DIR [--texts N]".into());
    };
    let count: usize = match options {
        [] => 1000,
        [flag, n] if flag == "--texts" => n.parse()?,
        _ => return Err("options: --texts N".into()),
    };
    let kind =
        ModelKind::from_model_id(model_id).ok_or_else(|| format!("unknown model {model_id:?}"))?;
    let (passages, queries) = texts_of(Path::new(set_dir))?;
    let corpus: Vec<&str> = passages
        .iter()
        .map(String::as_str)
        .cycle()
        .take(count)
        .collect();
    let words: usize = corpus.iter().map(|t| t.split_whitespace().count()).sum();

    let started = Instant::now();
    let encoder = ModelSet::discover(model_dir).load(kind)?;
    let load = started.elapsed();

    // Warm up (first-touch allocations, thread pools) before timing.
    encoder.embed_passages(&corpus[..corpus.len().min(16)])?;
    let started = Instant::now();
    let vectors = encoder.embed_passages(&corpus)?;
    let batch = started.elapsed();
    if vectors.len() != corpus.len() {
        return Err(format!("{} vectors for {} texts", vectors.len(), corpus.len()).into());
    }

    let mut latencies: Vec<f64> = Vec::new();
    for query in queries.iter().take(50) {
        let started = Instant::now();
        encoder.embed_queries(&[query.as_str()])?;
        latencies.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        let last = latencies.len().saturating_sub(1);
        latencies
            .get((last as f64 * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };

    println!("model            {}", encoder.model_id());
    println!("threads          {}", std::thread::available_parallelism()?);
    println!("load             {:.2} s", load.as_secs_f64());
    println!(
        "batch            {} texts ({:.0} words on average) in {:.1} s: {:.1} texts/s",
        corpus.len(),
        words as f64 / corpus.len() as f64,
        batch.as_secs_f64(),
        corpus.len() as f64 / batch.as_secs_f64()
    );
    println!(
        "one query        median {:.1} ms, p90 {:.1} ms over {} needs (title + description)",
        percentile(0.5),
        percentile(0.9),
        latencies.len()
    );
    if let Some(peak) = peak_rss_mib() {
        println!("peak RSS         {peak:.0} MiB");
    }
    Ok(())
}
