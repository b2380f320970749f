//! Compares our vectors with reference vectors from the models' Python packages.
//!
//! ```sh
//! python scripts/reference-embeddings.py /tmp/ref.json       # in a venv, see docs/semantic.md
//! cargo run --release -p kobler-embed --example compare_reference -- MODEL_DIR /tmp/ref.json
//! ```
//!
//! Prints, per model and prefix, the cosine between our vector and theirs for each sentence.

use kobler_embed::{ModelKind, ModelSet, cosine};
use std::collections::BTreeMap;

type Vectors = Vec<Vec<f32>>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, reference] = args.as_slice() else {
        return Err("usage: compare_reference MODEL_DIR REFERENCE.json".into());
    };
    let reference: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(reference)?)?;
    let sentences: Vec<String> = serde_json::from_value(reference["sentences"].clone())?;
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let models = ModelSet::discover(model_dir);
    for kind in ModelKind::ALL {
        if !models.contains(kind) {
            println!("{kind}: not installed, skipped");
            continue;
        }
        let encoder = models.load(kind)?;
        let theirs: BTreeMap<String, Vectors> =
            serde_json::from_value(reference[kind.model_id()].clone())?;
        for (side, ours) in [
            ("query", encoder.embed_queries(&texts)?),
            ("passage", encoder.embed_passages(&texts)?),
        ] {
            let theirs = &theirs[side];
            let cosines: Vec<f32> = ours.iter().zip(theirs).map(|(a, b)| cosine(a, b)).collect();
            let min = cosines.iter().copied().fold(f32::INFINITY, f32::min);
            let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
            println!("{kind} {side}: min cosine {min:.5}, mean {mean:.5}");
            for (text, c) in texts.iter().zip(&cosines) {
                let shown: String = text.chars().take(60).collect();
                println!("  {c:.5}  {shown:?}");
            }
        }
    }
    Ok(())
}
