//! The demo data set (`fixtures/demo`), compiled into the binary so `serve --demo` works from
//! any directory.

use anyhow::{Context, Result};
use kobler_engine::{Engine, ImportOptions, NoProgress, Role};

const FILES: &[(&str, &str)] = &[
    ("units.jsonl", include_str!("../fixtures/demo/units.jsonl")),
    (
        "researchers.jsonl",
        include_str!("../fixtures/demo/researchers.jsonl"),
    ),
    ("works.jsonl", include_str!("../fixtures/demo/works.jsonl")),
    (
        "projects.jsonl",
        include_str!("../fixtures/demo/projects.jsonl"),
    ),
    ("needs.jsonl", include_str!("../fixtures/demo/needs.jsonl")),
];

/// Demo accounts: (name, role, unit, researcher). They share one password, printed at start.
const ACCOUNTS: &[(&str, Role, Option<&str>, Option<&str>)] = &[
    (
        "hjemmetjenesten",
        Role::Staff,
        Some("demo-u-trd-hjemme"),
        None,
    ),
    ("forsker", Role::Researcher, None, Some("demo-r04")),
    ("koordinator", Role::Coordinator, None, None),
    ("admin", Role::Admin, None, None),
];

/// The demo accounts' password.
pub const PASSWORD: &str = "kobler-demo";

/// Loads the demo data into an empty store, creates the demo accounts and prints how to sign
/// in to the web interface at `addr`. A store that already holds records is left as it is.
pub async fn load(engine: &Engine, addr: std::net::SocketAddr) -> Result<()> {
    let counts = engine.stats().await?;
    if counts.values().sum::<u64>() > 0 {
        eprintln!("kobler: the store already holds records; the demo data is not loaded again");
        print_sign_in(addr);
        return Ok(());
    }
    let dir = tempfile::tempdir().context("cannot make a temporary directory for the demo data")?;
    for (name, text) in FILES {
        std::fs::write(dir.path().join(name), text)
            .with_context(|| format!("cannot write demo file {name}"))?;
    }
    let report = engine
        .import(
            &[dir.path().to_path_buf()],
            &ImportOptions::default(),
            &mut NoProgress,
        )
        .await?;
    anyhow::ensure!(
        report.is_clean(),
        "the demo data does not import cleanly: {:?}",
        report.rejected
    );
    eprintln!("kobler: loaded the demo data ({} records)", report.inserted);
    eprintln!("kobler: demo accounts (password {PASSWORD:?}) and API tokens:");
    for (name, role, unit, researcher) in ACCOUNTS {
        engine
            .add_user(name, *role, *unit, *researcher, PASSWORD)
            .await?;
        let token = engine.create_token(name).await?;
        eprintln!(
            "  {name:<16} {:<12} Authorization: Bearer {token}",
            role.as_str()
        );
    }
    print_sign_in(addr);
    Ok(())
}

/// Tells how to sign in to the web interface with the demo accounts.
fn print_sign_in(addr: std::net::SocketAddr) {
    eprintln!("kobler: web interface: http://{addr}/logg-inn — sign in as one of");
    for (name, role, _, _) in ACCOUNTS {
        eprintln!("  {name:<16} ({})", role.as_str());
    }
    eprintln!("  with the password {PASSWORD:?} (if the demo accounts were created here)");
}
