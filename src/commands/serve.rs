//! `kobler serve`: the HTTP API and the web interface, embedding in the background.

use super::open;
use crate::demo;
use anyhow::Result;
use clap::Args;
use kobler_engine::{EmbedObserver, Engine, EngineOptions};
use std::net::SocketAddr;
use std::path::Path;

/// `kobler serve`.
#[derive(Args)]
pub struct ServeArgs {
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

/// Serves until Ctrl-C or SIGTERM.
pub async fn run(data: &Path, options: &EngineOptions, args: ServeArgs) -> Result<()> {
    let ServeArgs {
        addr,
        demo,
        secure_cookies,
    } = args;
    let engine = open(data, options).await?;
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
