//! Running the `kobler` binary against a data directory, for the command-line tests.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

/// `kobler --data DATA ARGS...`, with the environment's data directory and log filter removed
/// and no embedding models (so matching is lexical and does not depend on what the machine has
/// installed; the tests of semantic matching pass `--model-dir` themselves).
pub fn kobler(data: &Path, args: &[&str]) -> Output {
    command(data).args(args).output().expect("kobler runs")
}

/// The `kobler --data DATA` command as [`kobler`] runs it, for tests that spawn it themselves.
pub fn command(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kobler"));
    command
        .arg("--data")
        .arg(data)
        .env_remove("KOBLER_DATA")
        .env_remove("RUST_LOG")
        .env("KOBLER_MODEL_DIR", data.join("no-models-here"));
    command
}

/// [`kobler`], failing the test unless it succeeds; its stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let out = kobler(data, args);
    assert!(
        out.status.success(),
        "kobler {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Every line of `text` as JSON; fails the test on a line that is not.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}
