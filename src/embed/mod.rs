//! Embed: text in, unit-length `f32` vectors out.
//!
//! This is the only module that names candle, tokenizers or hf-hub. Everything downstream
//! sees an [`Embedder`] and plain `ndarray` matrices, so scoring and history can be tested
//! without a model, and another backend can slot in behind the same trait.
//!
//! Two engines run BERT: on CPU our own forward pass (`cpu.rs`: unpadded packs, one thread
//! each, f32 or int16 linear layers), faster than sentence-transformers on the same cores; on
//! CUDA candle-transformers' `BertModel`, which is also the CPU fallback and the reference the
//! native engine is tested against.
//!
//! A model is a directory ([`ModelDir`]): a local path is used as is; a named model is
//! described by a manifest in `models/<name>.toml` (sources, file checksums, pooling,
//! normalisation, max tokens, prefixes) and its files live in `models/<name>/`, put there by
//! `arxrank model fetch` from the source the manifest selects.

mod bert;
mod cpu;
mod device;
mod model;

use crate::fsutil::IoError;
use std::path::PathBuf;

use ndarray::Array2;

pub use bert::{BertEmbedder, Engine};
pub use model::{
    fetch_model, install_model, Installed, ModelDir, ModelManifest, Pooling, Source, DEFAULT_MODEL,
};

/// Whether a text is a query (topic description) or a document (paper); some models want a
/// different prefix on each, set in the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Query,
    Document,
}

/// One embedding backend. Rows of the result are L2-normalised (when the model says so) and
/// in the order of `texts`.
pub trait Embedder {
    fn dim(&self) -> usize;
    /// Identifies the model and its settings; embeddings from different fingerprints are not
    /// comparable and must never be mixed in one index.
    fn fingerprint(&self) -> &str;
    fn embed(&mut self, texts: &[&str], kind: TextKind) -> Result<Array2<f32>, EmbedError>;
    /// Tokens fed to the model so far (after truncation), for throughput figures.
    fn tokens_processed(&self) -> u64;
}

/// Arithmetic of the encoder's matmuls. Every precision is tested to stay within 1e-3
/// cosine of sentence-transformers' vectors, so all share one model fingerprint and one
/// history: a corpus backfilled on a GPU in f16 serves a daily ranking on CPU in f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ComputePrecision {
    /// f32 throughout: matches sentence-transformers to 1e-6.
    #[default]
    F32,
    /// CPU: linear layers in 16-bit integer lanes (weights and activations quantised to
    /// about 11 bits), faster on CPUs with AVX2. Attention, softmax, GELU and LayerNorm
    /// stay f32.
    Int16,
    /// GPU: matmuls in f16 (tensor cores); LayerNorm, residuals and pooling in f32.
    F16,
    /// GPU: matmuls in bf16; LayerNorm, residuals and pooling in f32.
    Bf16,
}

impl ComputePrecision {
    /// f32 on CPU; f16 on CUDA, where it is within 1e-4 of f32 (bf16 is not: 0.991 cosine on
    /// long texts).
    pub fn default_for(device: DeviceKind) -> Self {
        match device {
            DeviceKind::Cpu => Self::F32,
            DeviceKind::Cuda => Self::F16,
        }
    }
}

/// Where the model runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceKind {
    Cpu,
    /// NVIDIA GPU 0; needs a build with `--features cuda`.
    Cuda,
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {message}")]
    Manifest { path: PathBuf, message: String },
    #[error("model {name:?} is not installed in {dir}: missing {missing}; run `arxrank model fetch {name}`", missing = files.join(", "))]
    NotInstalled {
        name: String,
        dir: PathBuf,
        files: Vec<String>,
    },
    #[error("{path}: sha256 is {actual}, the manifest expects {expected}; the file is corrupt or another model (run `arxrank model fetch` again)")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: pooling is {file:?} but the manifest says {manifest:?}")]
    PoolingMismatch {
        path: PathBuf,
        manifest: Pooling,
        file: String,
    },
    #[error("{path}: cannot load tokenizer: {message}")]
    Tokenizer { path: PathBuf, message: String },
    #[error("tokenizing failed: {0}")]
    Tokenize(String),
    #[error("cannot load model weights from {path}")]
    Weights {
        path: PathBuf,
        #[source]
        source: candle_core::Error,
    },
    #[error("{path}: {message}")]
    Layout { path: PathBuf, message: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("model forward pass failed")]
    Compute(#[from] candle_core::Error),
    #[error("the CUDA device was asked for, but this arxrank was built without `--features cuda`")]
    NoCuda,
    #[error("fetching model {name:?} failed: {message}")]
    Fetch { name: String, message: String },
}

/// The one place a candle device is chosen.
pub(crate) fn candle_device(kind: DeviceKind) -> Result<candle_core::Device, EmbedError> {
    match kind {
        DeviceKind::Cpu => Ok(candle_core::Device::Cpu),
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => Ok(candle_core::Device::new_cuda(0)?),
        #[cfg(not(feature = "cuda"))]
        DeviceKind::Cuda => Err(EmbedError::NoCuda),
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb).max(1e-12)
}
