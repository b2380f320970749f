//! `kobler user add`: a local account, its password read from stdin.

use super::open_store;
use anyhow::{Context, Result};
use clap::Subcommand;
use kobler_engine::Role;
use std::io::Read;
use std::path::Path;

/// What to do with accounts.
#[derive(Subcommand)]
pub enum UserCommand {
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

/// Adds the account and says so on stderr.
pub async fn run(data: &Path, what: UserCommand) -> Result<()> {
    let UserCommand::Add {
        name,
        role,
        unit,
        researcher,
    } = what;
    let role: Role = role.parse().map_err(anyhow::Error::msg)?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("cannot read the password from stdin")?;
    // A password piped with `echo` ends in a newline that is not part of it.
    let password = password.trim_end_matches(['\n', '\r']);
    let engine = open_store(data).await?;
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
