//! BERT-family encoders through candle, pooled and normalised exactly as sentence-transformers.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use ndarray::Array2;
use tokenizers::{Tokenizer, TruncationParams};

use super::cpu::{BertConfig, CpuBert};
use super::device::{pool, DeviceBert};
use super::{
    candle_device, ComputePrecision, DeviceKind, EmbedError, Embedder, ModelDir, Pooling, TextKind,
};

/// Tokens per pack for the native CPU encoder: each pack is one worker's unit of work, so
/// this trades GEMM size against load balance across cores (see `benches/embed.rs`).
const CPU_PACK_TOKENS: usize = 512;
/// Padded tokens per forward pass through candle. Texts are sorted by length before
/// batching, so padding is small and the budget mostly bounds memory for attention scores.
const CANDLE_BATCH_TOKENS: usize = 4096;
const GPU_BATCH_TOKENS: usize = 65536;
/// Texts tokenised per chunk ahead of a padded engine.
const TOKENIZE_CHUNK: usize = 4096;

/// Which implementation of the encoder runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// arxrank's own CPU forward pass (`embed/cpu.rs`): unpadded packs, one per thread;
    /// f32 or int16.
    Native(ComputePrecision),
    /// BERT in candle tensor ops (`embed/device.rs`), for CUDA: f32, f16 or bf16 matmuls
    /// with a mask that stays finite in half precision.
    Device(ComputePrecision),
    /// candle-transformers' stock `BertModel` (f32 only): the reference, and the fallback
    /// for configurations the other engines do not implement.
    Candle,
}

enum Model {
    Native(CpuBert, ComputePrecision),
    Device(DeviceBert, ComputePrecision),
    Candle(BertModel),
}

pub struct BertEmbedder {
    model: Model,
    tokenizer: Tokenizer,
    device: Device,
    pooling: Pooling,
    normalize: bool,
    query_prefix: String,
    document_prefix: String,
    dim: usize,
    batch_tokens: usize,
    fingerprint: String,
    tokens: u64,
    tokenize_chunk: usize,
}

impl BertEmbedder {
    /// Loads the model for `device` at its default precision: the native f32 encoder on
    /// CPU, the device engine in f16 on CUDA.
    pub fn load(dir: &ModelDir, device: DeviceKind) -> Result<Self, EmbedError> {
        let engine = Self::default_engine(device, ComputePrecision::default_for(device))?;
        Self::load_with(dir, device, engine)
    }

    /// The engine for a device at a precision: the native engine on CPU (f32, int16), the
    /// candle-ops one on CUDA (f32, f16, bf16) and for f16/bf16 on CPU (slow; for tests).
    pub fn default_engine(
        device: DeviceKind,
        precision: ComputePrecision,
    ) -> Result<Engine, EmbedError> {
        match (device, precision) {
            (DeviceKind::Cpu, ComputePrecision::F32 | ComputePrecision::Int16) => {
                Ok(Engine::Native(precision))
            }
            (_, ComputePrecision::F16 | ComputePrecision::Bf16) => Ok(Engine::Device(precision)),
            (DeviceKind::Cuda, ComputePrecision::F32) => Ok(Engine::Device(precision)),
            (DeviceKind::Cuda, ComputePrecision::Int16) => Err(EmbedError::Unsupported(
                "int16 runs on the CPU only; on CUDA use f16, bf16 or f32".into(),
            )),
        }
    }

    /// Loads the model at `dir` on `device` with `compute` (the device's default when
    /// `None`): what every command that embeds runs.
    pub fn load_for(
        dir: &ModelDir,
        device: DeviceKind,
        compute: Option<ComputePrecision>,
    ) -> Result<Self, EmbedError> {
        let precision = compute.unwrap_or_else(|| ComputePrecision::default_for(device));
        let engine = Self::default_engine(device, precision)?;
        Self::load_with(dir, device, engine)
    }

    /// Loads the model with a chosen engine. The native engine runs on CPU only and falls
    /// back to candle for configurations it does not implement.
    pub fn load_with(
        dir: &ModelDir,
        device: DeviceKind,
        engine: Engine,
    ) -> Result<Self, EmbedError> {
        let m = &dir.manifest;
        let cfg_path = dir.file("config.json");
        let cfg_text =
            fs_err::read_to_string(&cfg_path).map_err(crate::fsutil::IoError::read(&cfg_path))?;
        let config: Config = serde_json::from_str(&cfg_text).map_err(|e| EmbedError::Manifest {
            path: cfg_path.clone(),
            message: format!("not a BERT config: {e}"),
        })?;
        let tokenizer = load_tokenizer(dir, m.max_tokens)?;
        let native: BertConfig =
            serde_json::from_str(&cfg_text).map_err(|e| EmbedError::Manifest {
                path: cfg_path.clone(),
                message: format!("not a BERT config: {e}"),
            })?;
        let device_ = candle_device(device)?;
        let model = load_model(dir, &native, &config, engine, device, &device_)?;
        let batch_tokens = match (&model, device) {
            (Model::Native(..), _) => CPU_PACK_TOKENS,
            (_, DeviceKind::Cpu) => CANDLE_BATCH_TOKENS,
            (_, DeviceKind::Cuda) => GPU_BATCH_TOKENS,
        };
        Ok(Self {
            model,
            tokenizer,
            device: device_,
            pooling: m.pooling,
            normalize: m.normalize,
            query_prefix: m.query_prefix.clone(),
            document_prefix: m.document_prefix.clone(),
            dim: config.hidden_size,
            batch_tokens,
            fingerprint: dir.fingerprint.clone(),
            tokens: 0,
            tokenize_chunk: TOKENIZE_CHUNK,
        })
    }

    /// Which engine was loaded (the native one may have fallen back to candle).
    pub fn engine(&self) -> Engine {
        match self.model {
            Model::Native(_, p) => Engine::Native(p),
            Model::Device(_, p) => Engine::Device(p),
            Model::Candle(_) => Engine::Candle,
        }
    }

    /// Overrides the tokens of one pack (native) or the padded tokens of one forward pass
    /// (candle).
    pub fn with_batch_tokens(mut self, tokens: usize) -> Self {
        self.batch_tokens = tokens.max(1);
        self
    }

    /// One padded batch through candle's stock `BertModel`.
    fn forward_stock(
        &self,
        model: &BertModel,
        batch: &[&[u32]],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let max_len = batch.iter().map(|ids| ids.len()).max().unwrap_or(0);
        let n = batch.len();
        let mut ids = vec![0u32; n * max_len];
        let mut mask = vec![0u32; n * max_len];
        for (row, seq) in batch.iter().enumerate() {
            ids[row * max_len..row * max_len + seq.len()].copy_from_slice(seq);
            mask[row * max_len..row * max_len + seq.len()].fill(1);
        }
        let ids = Tensor::from_vec(ids, (n, max_len), &self.device)?;
        let mask = Tensor::from_vec(mask, (n, max_len), &self.device)?;
        let type_ids = ids.zeros_like()?;
        let hidden = model.forward(&ids, &type_ids, Some(&mask))?;
        let keep = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        Ok(pool(&hidden, &keep, self.pooling)?)
    }

    /// Runs padded batches of at most `batch_tokens` padded tokens, longest texts first so
    /// each batch pads to its own first element and the budget check is exact.
    fn embed_padded(
        &self,
        ids: &[&[u32]],
        forward: impl Fn(&[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut vectors = vec![Vec::new(); ids.len()];
        let mut start = 0;
        while start < order.len() {
            let longest = ids[order[start]].len().max(1);
            let fit = (self.batch_tokens / longest).max(1);
            let end = (start + fit).min(order.len());
            let batch: Vec<&[u32]> = order[start..end].iter().map(|&i| ids[i]).collect();
            for (&i, v) in order[start..end].iter().zip(forward(&batch)?) {
                vectors[i] = v;
            }
            start = end;
        }
        Ok(vectors)
    }

    /// Overrides how many texts a padded engine's producer thread tokenises at a time.
    pub fn with_tokenize_chunk(mut self, texts: usize) -> Self {
        self.tokenize_chunk = texts.max(1);
        self
    }

    /// Pooled vectors of tokenised texts, in order.
    fn run(&self, ids: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        match &self.model {
            Model::Native(m, _) => m.embed(ids, self.pooling, self.batch_tokens),
            Model::Device(m, _) => self.embed_padded(ids, |b| Ok(m.forward(b, self.pooling)?)),
            Model::Candle(m) => self.embed_padded(ids, |b| self.forward_stock(m, b)),
        }
    }
}

impl Embedder for BertEmbedder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    fn tokens_processed(&self) -> u64 {
        self.tokens
    }

    fn embed(&mut self, texts: &[&str], kind: TextKind) -> Result<Array2<f32>, EmbedError> {
        let prefix = match kind {
            TextKind::Query => &self.query_prefix,
            TextKind::Document => &self.document_prefix,
        };
        let inputs: Vec<String> = texts.iter().map(|t| format!("{prefix}{t}")).collect();
        // On a GPU, tokenising a large corpus takes about as long as embedding it: a
        // producer thread tokenises the next chunk while this one runs. The native engine
        // keeps every core busy itself, so it tokenises everything at once.
        let chunk = match self.model {
            Model::Native(..) => inputs.len().max(1),
            _ => self.tokenize_chunk,
        };
        let this = &*self;
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (mut vectors, tokens) = std::thread::scope(|s| {
            s.spawn(move || {
                for part in inputs.chunks(chunk) {
                    let encoded = this.tokenizer.encode_batch(part.to_vec(), true);
                    if tx.send(encoded).is_err() {
                        break;
                    }
                }
            });
            let mut vectors = Vec::with_capacity(texts.len());
            let mut tokens = 0u64;
            for encoded in rx {
                let encodings = encoded.map_err(|e| EmbedError::Tokenize(e.to_string()))?;
                let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
                tokens += ids.iter().map(|s| s.len() as u64).sum::<u64>();
                vectors.extend(this.run(&ids)?);
            }
            Ok::<_, EmbedError>((vectors, tokens))
        })?;
        self.tokens += tokens;
        if self.normalize {
            for v in &mut vectors {
                // torch.nn.functional.normalize: x / max(||x||, 1e-12).
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                v.iter_mut().for_each(|x| *x /= norm);
            }
        }
        let flat: Vec<f32> = vectors.into_iter().flatten().collect();
        Ok(Array2::from_shape_vec((texts.len(), self.dim), flat).expect("one row per text"))
    }
}
/// The model's tokenizer, truncating at `max_tokens` without padding.
fn load_tokenizer(dir: &ModelDir, max_tokens: usize) -> Result<Tokenizer, EmbedError> {
    let tok_path = dir.file("tokenizer.json");
    let mut tokenizer = Tokenizer::from_file(&tok_path).map_err(|e| EmbedError::Tokenizer {
        path: tok_path.clone(),
        message: e.to_string(),
    })?;
    // tokenizer.json ships with fixed 128-token padding/truncation; sentence-transformers
    // ignores it and truncates at max_seq_length without padding, so we do the same.
    tokenizer.with_padding(None);
    tokenizer
        .with_truncation(Some(TruncationParams {
            max_length: max_tokens,
            ..Default::default()
        }))
        .map_err(|e| EmbedError::Tokenizer {
            path: tok_path.clone(),
            message: e.to_string(),
        })?;
    Ok(tokenizer)
}

/// The encoder `engine` asks for, or candle's BERT where the native one cannot run this
/// config.
fn load_model(
    dir: &ModelDir,
    native: &BertConfig,
    config: &Config,
    engine: Engine,
    device: DeviceKind,
    device_: &Device,
) -> Result<Model, EmbedError> {
    let weights = dir.file("model.safetensors");
    let weights_err = |source| EmbedError::Weights {
        path: weights.clone(),
        source,
    };
    // SAFETY: the weights are memory-mapped, and a mapped file must not shrink or change
    // while mapped (reads past a truncation raise SIGBUS; changes show through). An
    // installed model's files are written only by `arxrank model fetch`, which writes a
    // temporary file and renames it into place, so a running process keeps the old,
    // unchanged inode; its sha256 was checked when the directory was opened. A model
    // directory given as a path is the user's: README says not to rewrite it while
    // arxrank runs. The mapping lives as long as the VarBuilder's tensors, which own it.
    let mmap = |dtype| unsafe {
        VarBuilder::from_mmaped_safetensors(&[&weights], dtype, device_).map_err(weights_err)
    };
    let fallback = native.unsupported().is_some();
    let model = match engine {
        Engine::Native(_) if device != DeviceKind::Cpu => {
            return Err(EmbedError::Unsupported(
                "the native engine runs on the CPU only".into(),
            ))
        }
        Engine::Native(p @ (ComputePrecision::F32 | ComputePrecision::Int16)) if !fallback => {
            Model::Native(CpuBert::load(native, &weights, p)?, p)
        }
        Engine::Device(
            p @ (ComputePrecision::F32 | ComputePrecision::F16 | ComputePrecision::Bf16),
        ) if !fallback => {
            let dtype = match p {
                ComputePrecision::F16 => DType::F16,
                ComputePrecision::Bf16 => DType::BF16,
                _ => DType::F32,
            };
            Model::Device(
                DeviceBert::load(native, mmap(dtype)?).map_err(weights_err)?,
                p,
            )
        }
        Engine::Native(p) | Engine::Device(p) if !fallback => {
            return Err(EmbedError::Unsupported(format!(
                "precision {p:?} is not available on the {engine:?} engine"
            )))
        }
        _ => Model::Candle(BertModel::load(mmap(DType::F32)?, config).map_err(weights_err)?),
    };
    Ok(model)
}
