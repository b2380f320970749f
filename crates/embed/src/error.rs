//! The one error type of `kobler-embed`.

use std::path::PathBuf;

/// Why a model could not be loaded or a text could not be embedded.
///
/// Every variant that concerns a file names it, so a user can see at once which file of which
/// model directory is missing or broken. A cause is written into the message and not returned
/// again as `source()`, so an error chain prints it once.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A file the model needs is not there.
    #[error("model {model}: missing file {}", path.display())]
    MissingFile {
        /// The model that needs the file.
        model: String,
        /// The file that was looked for.
        path: PathBuf,
    },
    /// No model of the set is installed in the model directory.
    #[error("no embedding model found in {} (run scripts/install-models {})", dir.display(), dir.display())]
    NoModel {
        /// The directory that was searched.
        dir: PathBuf,
    },
    /// A file exists but could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said (in the message, not a `source()`).
        error: std::io::Error,
    },
    /// A file was read but its content is not what the model needs.
    #[error("{}: {reason}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The tokenizer rejected a text or could not be built.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The tensor computation failed (a shape or memory problem, never an input problem).
    #[error("inference: {0}")]
    Inference(String),
}

impl EmbedError {
    pub(crate) fn format(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        EmbedError::Format {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        EmbedError::Io {
            path: path.into(),
            error,
        }
    }
}

/// Tensor errors are internal: callers see them as text, so that no candle type leaks out of
/// this crate.
impl From<candle_core::Error> for EmbedError {
    fn from(e: candle_core::Error) -> Self {
        EmbedError::Inference(e.to_string())
    }
}

/// `Result` with [`EmbedError`].
pub type Result<T> = std::result::Result<T, EmbedError>;
