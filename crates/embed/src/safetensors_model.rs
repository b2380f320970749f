//! Loading a float BERT sentence encoder from a sentence-transformers directory:
//! `config.json`, `model.safetensors`, `tokenizer.json` and, when present,
//! `sentence_bert_config.json` (for the input length the model was trained with).

use crate::bert::{Bert, BertShape, Layer, LayerNorm, Linear, WordTable};
use crate::error::{EmbedError, Result};
use candle_core::{Device, Tensor};
use serde::Deserialize;
use std::collections::HashMap;
use std::path::Path;

#[derive(Deserialize)]
struct HfConfig {
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    layer_norm_eps: f64,
    #[serde(default)]
    pad_token_id: u32,
    #[serde(default = "default_act")]
    hidden_act: String,
    #[serde(default = "default_position_type")]
    position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_position_type() -> String {
    "absolute".into()
}

#[derive(Deserialize)]
struct SentenceBertConfig {
    max_seq_length: Option<usize>,
}

/// What a float model directory yields.
pub(crate) struct FloatModel {
    pub bert: Bert,
    pub pad_id: u32,
    /// Longest input in tokens, special tokens included.
    pub max_tokens: usize,
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| EmbedError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| EmbedError::format(path, format!("invalid: {e}")))
}

/// Loads `config.json` and `model.safetensors` from `dir`; the caller has checked that they
/// exist.
pub(crate) fn load(dir: &Path, device: &Device) -> Result<FloatModel> {
    let config_path = dir.join("config.json");
    let config: HfConfig = read_json(&config_path)?;
    if config.hidden_act != "gelu" {
        return Err(EmbedError::format(
            &config_path,
            format!(
                "hidden_act {:?} is not supported (only \"gelu\")",
                config.hidden_act
            ),
        ));
    }
    if config.position_embedding_type != "absolute" {
        return Err(EmbedError::format(
            &config_path,
            format!(
                "position_embedding_type {:?} is not supported (only \"absolute\")",
                config.position_embedding_type
            ),
        ));
    }
    let shape = BertShape {
        hidden: config.hidden_size,
        layers: config.num_hidden_layers,
        heads: config.num_attention_heads,
        intermediate: config.intermediate_size,
        max_positions: config.max_position_embeddings,
        layer_norm_eps: config.layer_norm_eps,
    };

    // sentence-transformers truncates to max_seq_length, which can be shorter than the
    // position table (256 of 512 for all-MiniLM-L6-v2); using it keeps our vectors equal to
    // theirs for long texts.
    let st_path = dir.join("sentence_bert_config.json");
    let max_tokens = if st_path.exists() {
        let st: SentenceBertConfig = read_json(&st_path)?;
        st.max_seq_length
            .unwrap_or(shape.max_positions)
            .min(shape.max_positions)
    } else {
        shape.max_positions
    };

    let weights_path = dir.join("model.safetensors");
    let tensors = candle_core::safetensors::load(&weights_path, device)
        .map_err(|e| EmbedError::format(&weights_path, e.to_string()))?;
    let weights = Weights {
        tensors,
        path: &weights_path,
        prefix: "",
    };
    // Some checkpoints name everything under `bert.`; sentence-transformers' do not.
    let weights = if weights
        .tensors
        .contains_key("bert.embeddings.word_embeddings.weight")
    {
        Weights {
            prefix: "bert.",
            ..weights
        }
    } else {
        weights
    };

    let h = shape.hidden;
    let token_types = weights.get("embeddings.token_type_embeddings.weight", None)?;
    let bert = Bert {
        shape,
        words: WordTable::Float(weights.get("embeddings.word_embeddings.weight", None)?),
        positions: weights.get(
            "embeddings.position_embeddings.weight",
            Some(&[shape.max_positions, h]),
        )?,
        token_type: token_types.get(0)?,
        embedding_norm: weights.layer_norm("embeddings.LayerNorm", h)?,
        layers: (0..shape.layers)
            .map(|i| {
                let p = format!("encoder.layer.{i}");
                Ok(Layer {
                    query: weights.linear(&format!("{p}.attention.self.query"), h, h)?,
                    key: weights.linear(&format!("{p}.attention.self.key"), h, h)?,
                    value: weights.linear(&format!("{p}.attention.self.value"), h, h)?,
                    attention_output: weights.linear(
                        &format!("{p}.attention.output.dense"),
                        h,
                        h,
                    )?,
                    attention_norm: weights
                        .layer_norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                    intermediate: weights.linear(
                        &format!("{p}.intermediate.dense"),
                        shape.intermediate,
                        h,
                    )?,
                    output: weights.linear(&format!("{p}.output.dense"), h, shape.intermediate)?,
                    output_norm: weights.layer_norm(&format!("{p}.output.LayerNorm"), h)?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        device: device.clone(),
    };
    bert.validate()?;
    Ok(FloatModel {
        bert,
        pad_id: config.pad_token_id,
        max_tokens,
    })
}

struct Weights<'a> {
    tensors: HashMap<String, Tensor>,
    path: &'a Path,
    prefix: &'a str,
}

impl Weights<'_> {
    /// The tensor `name`, as f32, with the expected shape when one is given.
    fn get(&self, name: &str, expected: Option<&[usize]>) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let tensor = self
            .tensors
            .get(&full)
            .ok_or_else(|| EmbedError::format(self.path, format!("no tensor {full}")))?;
        if let Some(dims) = expected
            && tensor.dims() != dims
        {
            return Err(EmbedError::format(
                self.path,
                format!("tensor {full} is {:?}, expected {dims:?}", tensor.dims()),
            ));
        }
        Ok(tensor.to_dtype(candle_core::DType::F32)?)
    }

    fn linear(&self, name: &str, out: usize, input: usize) -> Result<Linear> {
        Ok(Linear {
            weight: self.get(&format!("{name}.weight"), Some(&[out, input]))?,
            bias: self.get(&format!("{name}.bias"), Some(&[out]))?,
        })
    }

    fn layer_norm(&self, name: &str, size: usize) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: self.get(&format!("{name}.weight"), Some(&[size]))?,
            bias: self.get(&format!("{name}.bias"), Some(&[size]))?,
        })
    }
}
