//! `kobler token create`: a new API token for a user, printed on stdout.

use super::{emit, open_store};
use anyhow::Result;
use clap::Subcommand;
use std::path::Path;

/// What to do with API tokens.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Print a new API token for a user.
    Create {
        /// The user's name.
        #[arg(long)]
        name: String,
    },
}

/// Creates the token and prints it (CONTRACT §3).
pub async fn run(data: &Path, what: TokenCommand) -> Result<()> {
    let TokenCommand::Create { name } = what;
    let engine = open_store(data).await?;
    emit(engine.create_token(&name).await?)
}
