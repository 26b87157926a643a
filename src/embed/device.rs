//! BERT through candle tensor ops, for GPUs: f16/bf16 matmuls, an f32 residual stream.
//!
//! candle-transformers' `BertModel` cannot run in half precision: it builds the additive
//! attention mask as `(1 - mask) · f32::MIN`, which in f16 is `0 · -inf = NaN` for every
//! real token. It also spends five kernels on each softmax. This module is the same
//! network with the same weights, arranged for a GPU:
//!
//! - the mask is built on the host as 0 or -10,000 per key, finite in every dtype, and
//!   added once per layer; padded keys get exp(-10,000) = 0 exactly;
//! - matmuls (Q, K and V as one) run in the chosen dtype on tensor cores, while LayerNorm,
//!   the residual stream and pooling stay f32, so half precision never accumulates a sum
//!   of squares or a long sum;
//! - softmax and LayerNorm are candle-nn's fused kernels.
//!
//! On CPU it also runs (slowly; the native engine is the CPU path), which is how its
//! arithmetic is tested on machines without a GPU.

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};

use super::cpu::{BertConfig, Layer};
use super::Pooling;

/// Added to the attention score of a padded key: small enough that its softmax weight is 0
/// after subtracting the row's max, finite in f16 (max 65,504) and bf16.
const MASKED: f32 = -10_000.0;

struct Norm {
    w: Tensor,
    b: Tensor,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, h: usize, eps: f32) -> candle_core::Result<Self> {
        let w = vb.get(h, "weight").or_else(|_| vb.get(h, "gamma"))?;
        let b = vb.get(h, "bias").or_else(|_| vb.get(h, "beta"))?;
        Ok(Self {
            w: w.to_dtype(DType::F32)?,
            b: b.to_dtype(DType::F32)?,
            eps,
        })
    }

    /// LayerNorm in f32, whatever the model's dtype.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.w, &self.b, self.eps)
    }
}

fn linear(vb: VarBuilder, inputs: usize, outputs: usize) -> candle_core::Result<Linear> {
    Ok(Linear::new(
        vb.get((outputs, inputs), "weight")?,
        Some(vb.get(outputs, "bias")?),
    ))
}

pub(crate) struct DeviceBert {
    word: Tensor,
    /// Position embeddings plus token type 0, f32.
    position: Tensor,
    embed_norm: Norm,
    layers: Vec<Layer<Linear, Norm>>,
    heads: usize,
    hidden: usize,
    dtype: DType,
    device: Device,
}

impl DeviceBert {
    pub fn load(config: &BertConfig, vb: VarBuilder) -> candle_core::Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let eps = config.layer_norm_eps as f32;
        let e = vb.pp("embeddings");
        let word = e
            .pp("word_embeddings")
            .get_unchecked("weight")?
            .to_dtype(DType::F32)?;
        let position = e
            .pp("position_embeddings")
            .get((config.max_position_embeddings, h), "weight")?
            .to_dtype(DType::F32)?;
        let token_type = e
            .pp("token_type_embeddings")
            .get_unchecked("weight")?
            .to_dtype(DType::F32)?
            .narrow(0, 0, 1)?;
        let position = position.broadcast_add(&token_type)?;
        let embed_norm = Norm::load(e.pp("LayerNorm"), h, eps)?;
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for l in 0..config.num_hidden_layers {
            let p = vb.pp(format!("encoder.layer.{l}"));
            let a = p.pp("attention");
            let parts = ["query", "key", "value"]
                .map(|n| linear(a.pp("self").pp(n), h, h))
                .into_iter()
                .collect::<candle_core::Result<Vec<_>>>()?;
            let w = Tensor::cat(&parts.iter().map(|l| l.weight()).collect::<Vec<_>>(), 0)?;
            let b = Tensor::cat(
                &parts
                    .iter()
                    .map(|l| l.bias().expect("loaded with bias"))
                    .collect::<Vec<_>>(),
                0,
            )?;
            layers.push(Layer {
                qkv: Linear::new(w, Some(b)),
                attn_out: linear(a.pp("output").pp("dense"), h, h)?,
                attn_norm: Norm::load(a.pp("output").pp("LayerNorm"), h, eps)?,
                up: linear(p.pp("intermediate").pp("dense"), h, i)?,
                down: linear(p.pp("output").pp("dense"), i, h)?,
                out_norm: Norm::load(p.pp("output").pp("LayerNorm"), h, eps)?,
            });
        }
        Ok(Self {
            word,
            position,
            embed_norm,
            layers,
            heads: config.num_attention_heads,
            hidden: h,
            dtype: vb.dtype(),
            device: vb.device().clone(),
        })
    }

    /// Pooled (not normalised) embeddings of one padded batch, f32 rows.
    pub fn forward(
        &self,
        batch: &[&[u32]],
        pooling: Pooling,
    ) -> candle_core::Result<Vec<Vec<f32>>> {
        let n = batch.len();
        let len = batch.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let (h, heads) = (self.hidden, self.heads);
        let d = h / heads;
        let mut ids = vec![0u32; n * len];
        let mut keep = vec![0f32; n * len];
        let mut additive = vec![MASKED; n * len];
        for (r, seq) in batch.iter().enumerate() {
            ids[r * len..r * len + seq.len()].copy_from_slice(seq);
            keep[r * len..r * len + seq.len()].fill(1.0);
            additive[r * len..r * len + seq.len()].fill(0.0);
        }
        let dev = &self.device;
        let ids = Tensor::from_vec(ids, n * len, dev)?;
        let keep = Tensor::from_vec(keep, (n, len, 1), dev)?;
        let additive = Tensor::from_vec(additive, (n, 1, 1, len), dev)?.to_dtype(self.dtype)?;

        let x = self.word.index_select(&ids, 0)?.reshape((n, len, h))?;
        let x = x.broadcast_add(&self.position.narrow(0, 0, len)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        let scale = 1.0 / (d as f64).sqrt();
        for layer in &self.layers {
            let xh = x.to_dtype(self.dtype)?;
            // (n, len, 3·h) → (3, n, heads, len, d)
            let qkv = layer
                .qkv
                .forward(&xh)?
                .reshape((n, len, 3, heads, d))?
                .permute((2, 0, 3, 1, 4))?;
            let q = (qkv.get(0)?.contiguous()? * scale)?;
            let k = qkv.get(1)?.contiguous()?;
            let v = qkv.get(2)?.contiguous()?;
            let scores = q.matmul(&k.t()?)?.broadcast_add(&additive)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((n, len, h))?;
            let attn = layer.attn_out.forward(&ctx)?.to_dtype(DType::F32)?;
            x = layer.attn_norm.forward(&(x + attn)?)?;
            let up = layer.up.forward(&x.to_dtype(self.dtype)?)?.gelu_erf()?;
            let down = layer.down.forward(&up)?.to_dtype(DType::F32)?;
            x = layer.out_norm.forward(&(x + down)?)?;
        }
        pool(&x, &keep, pooling)
    }
}

/// Pools a padded batch's hidden states (`n × len × hidden`) into f32 rows; `keep` is the
/// f32 mask (`n × len × 1`, 1 for a real token).
pub(super) fn pool(
    hidden: &Tensor,
    keep: &Tensor,
    pooling: Pooling,
) -> candle_core::Result<Vec<Vec<f32>>> {
    let pooled = match pooling {
        // sentence-transformers: sum(h · mask) / clamp(sum(mask), 1e-9). Padding rows are
        // excluded from both sums, which is why a padded batch equals single texts.
        Pooling::Mean => {
            let summed = hidden.broadcast_mul(keep)?.sum(1)?;
            let counts = keep.sum(1)?.clamp(1e-9, f64::MAX)?;
            summed.broadcast_div(&counts)?
        }
        Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
    };
    pooled.to_dtype(DType::F32)?.to_vec2()
}
