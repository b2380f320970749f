//! The BERT encoder (post-LayerNorm, as in BERT, MiniLM and XLM-RoBERTa) on candle's CPU
//! backend, with mean pooling over the attention mask and L2 normalisation.
//!
//! The weights come from either a safetensors file (float) or a 4-bit file (see `q4file`,
//! expanded to floats except the embedding table); both fill the same [`Bert`] so there is one
//! forward pass to get right.

use crate::error::{EmbedError, Result};
use candle_core::{DType, Device, Tensor};

/// The sizes that decide the network's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BertShape {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    /// Rows of the position table: the longest input the model can read, special tokens
    /// included.
    pub max_positions: usize,
    pub layer_norm_eps: f64,
}

impl BertShape {
    pub fn head_dim(&self) -> usize {
        self.hidden / self.heads
    }
}

/// The token embedding table. The 4-bit table stays 4-bit in memory (250k rows × 384 for e5
/// would be 384 MB as floats, 54 MB as it is); only the rows a batch needs are expanded.
pub(crate) enum WordTable {
    Float(Tensor),
    Q4 {
        /// `rows × hidden/32` blocks of 18 bytes: a little-endian f16 scale, then 16 bytes of
        /// nibbles (byte j holds weight j in its low half and weight j+16 in its high half).
        blocks: Vec<u8>,
        rows: usize,
    },
}

/// Bytes of one 4-bit block of 32 weights.
pub(crate) const Q4_BLOCK_BYTES: usize = 18;
/// Weights per 4-bit block.
pub(crate) const Q4_BLOCK_WEIGHTS: usize = 32;

impl WordTable {
    fn rows(&self) -> Result<usize> {
        match self {
            WordTable::Float(t) => Ok(t.dim(0)?),
            WordTable::Q4 { rows, .. } => Ok(*rows),
        }
    }

    /// `(ids.len(), hidden)` float embeddings of `ids`; every id must be below `rows()`.
    fn lookup(&self, ids: &[u32], hidden: usize, device: &Device) -> Result<Tensor> {
        match self {
            WordTable::Float(table) => {
                let ids = Tensor::from_slice(ids, ids.len(), device)?;
                Ok(table.index_select(&ids, 0)?)
            }
            WordTable::Q4 { blocks, .. } => {
                let row_bytes = hidden / Q4_BLOCK_WEIGHTS * Q4_BLOCK_BYTES;
                let mut out = vec![0f32; ids.len() * hidden];
                for (row_out, &id) in out.chunks_exact_mut(hidden).zip(ids) {
                    let start = id as usize * row_bytes;
                    let row = blocks.get(start..start + row_bytes).ok_or_else(|| {
                        EmbedError::Inference(format!("token id {id} outside the embedding table"))
                    })?;
                    dequantise_q4_row(row, row_out);
                }
                Ok(Tensor::from_vec(out, (ids.len(), hidden), device)?)
            }
        }
    }
}

/// Expands 4-bit blocks into floats: weight = (nibble − 8) × scale.
pub(crate) fn dequantise_q4_row(blocks: &[u8], out: &mut [f32]) {
    for (block, weights) in blocks
        .chunks_exact(Q4_BLOCK_BYTES)
        .zip(out.chunks_exact_mut(Q4_BLOCK_WEIGHTS))
    {
        let scale = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
        for (j, &byte) in block[2..].iter().enumerate() {
            weights[j] = (f32::from(byte & 0x0F) - 8.0) * scale;
            weights[j + 16] = (f32::from(byte >> 4) - 8.0) * scale;
        }
    }
}

/// `y = x·Wᵀ + b` with W `(out, in)`.
pub(crate) struct Linear {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl Linear {
    /// `x` is `(tokens, in)`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(x.matmul(&self.weight.t()?)?.broadcast_add(&self.bias)?)
    }
}

pub(crate) struct LayerNorm {
    pub weight: Tensor,
    pub bias: Tensor,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor, eps: f64) -> Result<Tensor> {
        Ok(candle_nn::ops::layer_norm(
            x,
            &self.weight,
            &self.bias,
            eps as f32,
        )?)
    }
}

pub(crate) struct Layer {
    pub query: Linear,
    pub key: Linear,
    pub value: Linear,
    pub attention_output: Linear,
    pub attention_norm: LayerNorm,
    pub intermediate: Linear,
    pub output: Linear,
    pub output_norm: LayerNorm,
}

/// A loaded encoder.
pub(crate) struct Bert {
    pub shape: BertShape,
    pub words: WordTable,
    /// `(max_positions, hidden)`; row i is position i of the input (for XLM-R the file already
    /// dropped the two rows that its position numbering skips).
    pub positions: Tensor,
    /// `(hidden,)`: token type 0, the only type a single sentence uses.
    pub token_type: Tensor,
    pub embedding_norm: LayerNorm,
    pub layers: Vec<Layer>,
    pub device: Device,
}

impl Bert {
    /// Checks that the tables agree with the shape, so that a forward pass cannot fail on a
    /// shape mismatch later.
    pub fn validate(&self) -> Result<()> {
        let s = &self.shape;
        if s.heads == 0
            || !s.hidden.is_multiple_of(s.heads)
            || !s.hidden.is_multiple_of(Q4_BLOCK_WEIGHTS)
        {
            return Err(EmbedError::Inference(format!(
                "hidden size {} does not split into {} heads and 32-weight blocks",
                s.hidden, s.heads
            )));
        }
        if self.positions.dims() != [s.max_positions, s.hidden] {
            return Err(EmbedError::Inference(format!(
                "position table is {:?}, expected [{}, {}]",
                self.positions.dims(),
                s.max_positions,
                s.hidden
            )));
        }
        if self.layers.len() != s.layers {
            return Err(EmbedError::Inference(format!(
                "{} layers loaded, the configuration says {}",
                self.layers.len(),
                s.layers
            )));
        }
        Ok(())
    }

    pub fn vocabulary_rows(&self) -> Result<usize> {
        self.words.rows()
    }

    /// Embeds a batch of token sequences (special tokens included, none empty, none longer
    /// than `max_positions`): pads to the longest, runs the encoder, mean-pools over the real
    /// tokens and L2-normalises. One vector of `hidden` floats per sequence, in input order.
    pub fn embed(&self, sequences: &[Vec<u32>], pad_id: u32) -> Result<Vec<Vec<f32>>> {
        if sequences.is_empty() {
            return Ok(Vec::new());
        }
        let batch = sequences.len();
        let length = sequences.iter().map(Vec::len).max().unwrap_or(0);
        if length == 0 || sequences.iter().any(Vec::is_empty) {
            return Err(EmbedError::Inference("an empty token sequence".into()));
        }
        if length > self.shape.max_positions {
            return Err(EmbedError::Inference(format!(
                "{length} tokens exceed the model's {} positions",
                self.shape.max_positions
            )));
        }
        let hidden = self.shape.hidden;
        let mut ids = Vec::with_capacity(batch * length);
        let mut mask = Vec::with_capacity(batch * length);
        for sequence in sequences {
            ids.extend_from_slice(sequence);
            ids.extend(std::iter::repeat_n(pad_id, length - sequence.len()));
            mask.extend(std::iter::repeat_n(1f32, sequence.len()));
            mask.extend(std::iter::repeat_n(0f32, length - sequence.len()));
        }
        let mask = Tensor::from_vec(mask, (batch, length), &self.device)?;

        // Embeddings: word + position + token type 0, then LayerNorm. Kept as (tokens, hidden)
        // rows so that every linear layer is one 2-D matmul over the whole batch.
        let words = self.words.lookup(&ids, hidden, &self.device)?;
        let positions = self.positions.narrow(0, 0, length)?.repeat((batch, 1))?;
        let x = words.add(&positions)?.broadcast_add(&self.token_type)?;
        let mut x = self.embedding_norm.forward(&x, self.shape.layer_norm_eps)?;

        // Padding keys get a large negative score so that softmax gives them no weight.
        let key_bias = ((mask.clone() - 1.0)? * 1e9)?.reshape((batch, 1, 1, length))?;
        for layer in &self.layers {
            x = self.layer_forward(layer, &x, &key_bias, batch, length)?;
        }

        // Mean over the real tokens only, then unit length.
        let x = x.reshape((batch, length, hidden))?;
        let weights = mask.unsqueeze(2)?;
        let summed = x.broadcast_mul(&weights)?.sum(1)?;
        let counts = mask.sum_keepdim(1)?;
        let mean = summed.broadcast_div(&counts)?;
        let norms = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        let unit = mean.broadcast_div(&norms)?.to_dtype(DType::F32)?;
        Ok(unit.to_vec2::<f32>()?)
    }

    fn layer_forward(
        &self,
        layer: &Layer,
        x: &Tensor,
        key_bias: &Tensor,
        batch: usize,
        length: usize,
    ) -> Result<Tensor> {
        let heads = self.shape.heads;
        let head_dim = self.shape.head_dim();
        let eps = self.shape.layer_norm_eps;
        let split_heads = |t: Tensor| -> Result<Tensor> {
            Ok(t.reshape((batch, length, heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()?)
        };
        let q = split_heads(layer.query.forward(x)?)?;
        let k = split_heads(layer.key.forward(x)?)?;
        let v = split_heads(layer.value.forward(x)?)?;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(key_bias)?;
        let probabilities = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probabilities
            .matmul(&v)?
            .transpose(1, 2)?
            .contiguous()?
            .reshape((batch * length, heads * head_dim))?;
        let attended = layer
            .attention_norm
            .forward(&(layer.attention_output.forward(&context)? + x)?, eps)?;
        let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
        let out = (layer.output.forward(&inner)? + &attended)?;
        layer.output_norm.forward(&out, eps)
    }
}
