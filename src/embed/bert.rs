//! BERT-family encoders through candle, pooled and normalised exactly as sentence-transformers.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use ndarray::Array2;
use tokenizers::{Tokenizer, TruncationParams};

use super::cpu::{BertConfig, CpuBert};
use super::{
    candle_device, DeviceKind, EmbedError, Embedder, ModelDir, Pooling, Precision, TextKind,
};

/// Tokens per pack for the native CPU encoder: each pack is one worker's unit of work, so
/// this trades GEMM size against load balance across cores (see `benches/embed.rs`).
const CPU_PACK_TOKENS: usize = 512;
/// Padded tokens per forward pass through candle. Texts are sorted by length before
/// batching, so padding is small and the budget mostly bounds memory for attention scores.
const CANDLE_BATCH_TOKENS: usize = 4096;
const GPU_BATCH_TOKENS: usize = 65536;

/// Which implementation of the encoder runs the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// arxrank's own CPU forward pass (`embed/cpu.rs`): unpadded packs, one per thread.
    Native(Precision),
    /// candle-transformers' stock `BertModel`, on CPU or CUDA.
    Candle,
}

enum Model {
    Native(CpuBert, Precision),
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
}

impl BertEmbedder {
    /// Loads the model for `device`: the native f32 encoder on CPU, candle on CUDA.
    pub fn load(dir: &ModelDir, device: DeviceKind) -> Result<Self, EmbedError> {
        Self::load_with(dir, device, Self::default_engine(device, Precision::F32))
    }

    /// The engine `load` picks for a device at a precision (reduced precision exists on the
    /// native CPU engine only).
    pub fn default_engine(device: DeviceKind, precision: Precision) -> Engine {
        match device {
            DeviceKind::Cpu => Engine::Native(precision),
            DeviceKind::Cuda => Engine::Candle,
        }
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
        let cfg_text = fs_err::read_to_string(&cfg_path).map_err(EmbedError::io(&cfg_path))?;
        let config: Config = serde_json::from_str(&cfg_text).map_err(|e| EmbedError::Manifest {
            path: cfg_path.clone(),
            message: format!("not a BERT config: {e}"),
        })?;
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
                max_length: m.max_tokens,
                ..Default::default()
            }))
            .map_err(|e| EmbedError::Tokenizer {
                path: tok_path.clone(),
                message: e.to_string(),
            })?;
        let native: BertConfig =
            serde_json::from_str(&cfg_text).map_err(|e| EmbedError::Manifest {
                path: cfg_path.clone(),
                message: format!("not a BERT config: {e}"),
            })?;
        let device_ = candle_device(device)?;
        let weights = dir.file("model.safetensors");
        let native_ok = device == DeviceKind::Cpu && native.unsupported().is_none();
        let model = if let (Engine::Native(precision), true) = (engine, native_ok) {
            Model::Native(CpuBert::load(&native, &weights, precision)?, precision)
        } else {
            // f32 on every device for now: the stock bert.rs mask overflows to NaN in f16/bf16.
            let vb =
                unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device_) }
                    .map_err(|source| EmbedError::Weights {
                    path: weights.clone(),
                    source,
                })?;
            Model::Candle(
                BertModel::load(vb, &config).map_err(|source| EmbedError::Weights {
                    path: weights.clone(),
                    source,
                })?,
            )
        };
        // Reduced precision gives (slightly) different vectors, which must not share an index
        // with f32 ones; f32 keeps the plain fingerprint, so existing histories stay valid.
        let fingerprint = match model {
            Model::Native(_, Precision::Int16) => format!("{}-int16", dir.fingerprint),
            _ => dir.fingerprint.clone(),
        };
        let batch_tokens = match (&model, device) {
            (Model::Native(..), _) => CPU_PACK_TOKENS,
            (Model::Candle(_), DeviceKind::Cpu) => CANDLE_BATCH_TOKENS,
            (Model::Candle(_), DeviceKind::Cuda) => GPU_BATCH_TOKENS,
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
            fingerprint,
            tokens: 0,
        })
    }

    /// Which engine was loaded (the native one may have fallen back to candle).
    pub fn engine(&self) -> Engine {
        match self.model {
            Model::Native(_, p) => Engine::Native(p),
            Model::Candle(_) => Engine::Candle,
        }
    }

    /// Overrides the tokens of one pack (native) or the padded tokens of one forward pass
    /// (candle).
    pub fn with_batch_tokens(mut self, tokens: usize) -> Self {
        self.batch_tokens = tokens.max(1);
        self
    }

    fn forward(
        &self,
        model: &BertModel,
        batch: &[&[u32]],
        out: &mut [Vec<f32>],
    ) -> Result<(), EmbedError> {
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
        let pooled = match self.pooling {
            // sentence-transformers: sum(h * mask) / clamp(sum(mask), 1e-9). Padding rows are
            // excluded from both sums, which is why a padded batch equals single texts.
            Pooling::Mean => {
                let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
                let summed = hidden.broadcast_mul(&m)?.sum(1)?;
                let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
                summed.broadcast_div(&counts)?
            }
            Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
        };
        let rows: Vec<Vec<f32>> = pooled.to_dtype(DType::F32)?.to_vec2()?;
        for (dst, v) in out.iter_mut().zip(rows) {
            *dst = v;
        }
        Ok(())
    }

    fn embed_candle(&self, model: &BertModel, ids: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        // Longest first, so each batch pads to its own first element and the budget check
        // below is exact.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut vectors = vec![Vec::new(); ids.len()];
        let mut start = 0;
        while start < order.len() {
            let longest = ids[order[start]].len().max(1);
            let fit = (self.batch_tokens / longest).max(1);
            let end = (start + fit).min(order.len());
            let batch: Vec<&[u32]> = order[start..end].iter().map(|&i| ids[i]).collect();
            let mut out = vec![Vec::new(); batch.len()];
            self.forward(model, &batch, &mut out)?;
            for (&i, v) in order[start..end].iter().zip(out) {
                vectors[i] = v;
            }
            start = end;
        }
        Ok(vectors)
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
        let encodings = self
            .tokenizer
            .encode_batch(inputs, true)
            .map_err(|e| EmbedError::Tokenize(e.to_string()))?;
        let ids: Vec<&[u32]> = encodings.iter().map(|e| e.get_ids()).collect();
        self.tokens += ids.iter().map(|s| s.len() as u64).sum::<u64>();

        let mut vectors = match &self.model {
            Model::Native(m, _) => m.embed(&ids, self.pooling, self.batch_tokens)?,
            Model::Candle(m) => self.embed_candle(m, &ids)?,
        };
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
