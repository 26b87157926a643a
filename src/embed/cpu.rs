//! BERT encoder forward pass for CPU inference, written for throughput.
//!
//! candle's stock `BertModel` pads every batch to its longest text, builds an attention mask
//! even when nothing is padded, runs a five-pass softmax and threads only a few of its ops; on
//! two cores it reaches about a third of sentence-transformers' speed. This encoder computes
//! the same function with the same weights, differently:
//!
//! - **No padding.** Texts are packed back to back into one `tokens × hidden` matrix, so every
//!   linear layer is one large GEMM over real tokens only; attention, the one place texts must
//!   not see each other, runs per text on its own slice. No mask exists.
//! - **One thread per pack.** Packs of texts go to rayon workers whole, each worker running
//!   single-threaded GEMMs. Nothing synchronises inside a pack, and on a small machine that
//!   beats splitting every GEMM across threads (measured in `benches/embed.rs`).
//! - **Fused epilogues.** Bias and residual are written into the output before the GEMM
//!   accumulates onto them; Q, K and V are one GEMM; the 1/sqrt(d) scale rides on the QK^T
//!   GEMM; softmax, GELU and LayerNorm are single passes over rows.
//! - **Vector kernels without fast-math.** `exp` and `erf` are branch-free polynomials that the
//!   compiler vectorises; each elementwise kernel is compiled twice, plain and for AVX2+FMA, and
//!   picked at run time, so the binary still runs on any x86-64 (and any other target).
//!
//! The GEMMs are the `gemm` crate's, the pure-Rust kernels candle itself uses.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;
use serde::Deserialize;

use super::{ComputePrecision, EmbedError, Pooling};

use crate::int16::QuantLinear;

/// The part of a BERT `config.json` this encoder reads.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BertConfig {
    pub hidden_size: usize,
    pub num_attention_heads: usize,
    pub num_hidden_layers: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    #[serde(default = "default_position")]
    pub position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}
fn default_act() -> String {
    "gelu".into()
}
fn default_position() -> String {
    "absolute".into()
}

impl BertConfig {
    /// Why this encoder cannot run the model, if it cannot; the caller then uses candle's.
    pub fn unsupported(&self) -> Option<String> {
        if self.hidden_act != "gelu" {
            return Some(format!("hidden_act {:?}", self.hidden_act));
        }
        if self.position_embedding_type != "absolute" {
            return Some(format!(
                "position_embedding_type {:?}",
                self.position_embedding_type
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Some("hidden_size not divisible by num_attention_heads".into());
        }
        None
    }
}

/// A linear layer stored input-major (`in × out`, row-major), the layout the GEMM reads
/// fastest as its right-hand side.
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    inputs: usize,
    outputs: usize,
    /// The same weights in integer form, when the encoder runs at reduced precision.
    quant: Option<QuantLinear>,
}

impl Linear {
    fn quantize(mut self, precision: ComputePrecision) -> Self {
        if precision == ComputePrecision::Int16 {
            self.quant = Some(QuantLinear::new(&self.w, self.inputs, self.outputs));
            // The f32 copy is no longer read.
            self.w = Vec::new();
        }
        self
    }
}

struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
}

/// One encoder layer, whatever a linear layer and a norm are in the engine holding it
/// (here: f32/int16 buffers; in `device.rs`: candle tensors).
pub(super) struct Layer<L, N> {
    /// Query, key and value side by side: `hidden × 3·hidden`.
    pub qkv: L,
    pub attn_out: L,
    pub attn_norm: N,
    pub up: L,
    pub down: L,
    pub out_norm: N,
}

pub(crate) struct CpuBert {
    hidden: usize,
    heads: usize,
    inter: usize,
    eps: f32,
    max_positions: usize,
    vocab: usize,
    word: Vec<f32>,
    /// Position embeddings with token type 0 already added: every text here is one segment.
    position: Vec<f32>,
    embed_norm: Norm,
    layers: Vec<Layer<Linear, Norm>>,
}

/// Reads the named tensors of a safetensors file, accepting the `bert.` prefix some
/// checkpoints carry.
struct Weights<'a> {
    path: &'a Path,
    tensors: HashMap<String, Tensor>,
}

impl Weights<'_> {
    fn find(&self, name: &str) -> Option<&Tensor> {
        self.tensors
            .get(name)
            .or_else(|| self.tensors.get(&format!("bert.{name}")))
    }

    /// The first dimension of a tensor (vocabulary, token types), 0 when it is missing;
    /// `get` then reports the missing tensor by name.
    fn rows(&self, name: &str) -> usize {
        self.find(name).map_or(0, |t| t.dims()[0])
    }

    fn get(&self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EmbedError> {
        let t = self.find(name).ok_or_else(|| EmbedError::Layout {
            path: self.path.to_owned(),
            message: format!("no tensor {name}"),
        })?;
        if t.dims() != shape {
            return Err(EmbedError::Layout {
                path: self.path.to_owned(),
                message: format!(
                    "{name} has shape {:?}, config.json implies {shape:?}",
                    t.dims()
                ),
            });
        }
        let weights = |source| EmbedError::Weights {
            path: self.path.to_owned(),
            source,
        };
        t.to_dtype(DType::F32)
            .and_then(|t| t.flatten_all())
            .and_then(|t| t.to_vec1())
            .map_err(weights)
    }

    /// LayerNorm parameters, under either of the names BERT checkpoints use.
    fn norm(&self, prefix: &str, n: usize) -> Result<Norm, EmbedError> {
        let pick = |new: &str, old: &str| {
            let name = format!("{prefix}.{new}");
            if self.find(&name).is_some() {
                self.get(&name, &[n])
            } else {
                self.get(&format!("{prefix}.{old}"), &[n])
            }
        };
        Ok(Norm {
            w: pick("weight", "gamma")?,
            b: pick("bias", "beta")?,
        })
    }

    /// A PyTorch `Linear` (`out × in`), transposed to `in × out`.
    fn linear(&self, prefix: &str, inputs: usize, outputs: usize) -> Result<Linear, EmbedError> {
        let w = self.get(&format!("{prefix}.weight"), &[outputs, inputs])?;
        Ok(Linear {
            w: transpose(&w, outputs, inputs),
            b: self.get(&format!("{prefix}.bias"), &[outputs])?,
            inputs,
            outputs,
            quant: None,
        })
    }
}

fn transpose(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = vec![0.0; a.len()];
    for r in 0..rows {
        for c in 0..cols {
            t[c * rows + r] = a[r * cols + c];
        }
    }
    t
}

/// Concatenates linear layers with the same input along their outputs.
fn concat(parts: Vec<Linear>) -> Linear {
    let inputs = parts[0].inputs;
    let outputs = parts.iter().map(|p| p.outputs).sum();
    let mut w = Vec::with_capacity(inputs * outputs);
    for row in 0..inputs {
        for p in &parts {
            w.extend_from_slice(&p.w[row * p.outputs..(row + 1) * p.outputs]);
        }
    }
    Linear {
        w,
        b: parts.iter().flat_map(|p| p.b.iter().copied()).collect(),
        inputs,
        outputs,
        quant: None,
    }
}

/// Scratch space of one worker, reused across the packs it runs.
#[derive(Default)]
struct Scratch {
    x: Vec<f32>,
    qkv: Vec<f32>,
    ctx: Vec<f32>,
    h: Vec<f32>,
    scores: Vec<f32>,
    /// Quantised rows for the integer GEMM.
    xq: Vec<i16>,
}

fn sized(v: &mut Vec<f32>, n: usize) -> &mut [f32] {
    if v.len() < n {
        v.resize(n, 0.0);
    }
    &mut v[..n]
}

impl CpuBert {
    pub fn load(
        config: &BertConfig,
        weights: &Path,
        precision: ComputePrecision,
    ) -> Result<Self, EmbedError> {
        let tensors = candle_core::safetensors::load(weights, &Device::Cpu).map_err(|source| {
            EmbedError::Weights {
                path: weights.to_owned(),
                source,
            }
        })?;
        let w = Weights {
            path: weights,
            tensors,
        };
        let h = config.hidden_size;
        let i = config.intermediate_size;
        let vocab = w.rows("embeddings.word_embeddings.weight");
        let word = w.get("embeddings.word_embeddings.weight", &[vocab, h])?;
        let mut position = w.get(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?;
        let types = w.rows("embeddings.token_type_embeddings.weight");
        let token_type = w.get("embeddings.token_type_embeddings.weight", &[types, h])?;
        for row in position.chunks_exact_mut(h) {
            row.iter_mut()
                .zip(&token_type[..h])
                .for_each(|(p, t)| *p += t);
        }
        let embed_norm = w.norm("embeddings.LayerNorm", h)?;
        let layers = (0..config.num_hidden_layers)
            .map(|l| {
                let p = format!("encoder.layer.{l}");
                Ok(Layer {
                    qkv: concat(vec![
                        w.linear(&format!("{p}.attention.self.query"), h, h)?,
                        w.linear(&format!("{p}.attention.self.key"), h, h)?,
                        w.linear(&format!("{p}.attention.self.value"), h, h)?,
                    ])
                    .quantize(precision),
                    attn_out: w
                        .linear(&format!("{p}.attention.output.dense"), h, h)?
                        .quantize(precision),
                    attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h)?,
                    up: w
                        .linear(&format!("{p}.intermediate.dense"), h, i)?
                        .quantize(precision),
                    down: w
                        .linear(&format!("{p}.output.dense"), i, h)?
                        .quantize(precision),
                    out_norm: w.norm(&format!("{p}.output.LayerNorm"), h)?,
                })
            })
            .collect::<Result<_, EmbedError>>()?;
        Ok(Self {
            hidden: h,
            heads: config.num_attention_heads,
            inter: i,
            eps: config.layer_norm_eps as f32,
            max_positions: config.max_position_embeddings,
            vocab,
            word,
            position,
            embed_norm,
            layers,
        })
    }

    /// Pooled (not yet normalised) embeddings of `seqs`, in order. Texts are cut into packs
    /// of about `pack_tokens` tokens, longest first, and the packs run in parallel.
    pub fn embed(
        &self,
        seqs: &[&[u32]],
        pooling: Pooling,
        pack_tokens: usize,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        for (i, s) in seqs.iter().enumerate() {
            if s.len() > self.max_positions {
                return Err(EmbedError::Tokenize(format!(
                    "text {i} has {} tokens; the model takes at most {}",
                    s.len(),
                    self.max_positions
                )));
            }
            if let Some(&bad) = s.iter().find(|&&t| t as usize >= self.vocab) {
                return Err(EmbedError::Tokenize(format!(
                    "token id {bad} is outside the model's vocabulary of {}",
                    self.vocab
                )));
            }
        }
        let mut order: Vec<usize> = (0..seqs.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(seqs[i].len()));
        let mut packs: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        let mut tokens = 0;
        for (k, &i) in order.iter().enumerate() {
            if k > start && tokens + seqs[i].len() > pack_tokens {
                packs.push(start..k);
                start = k;
                tokens = 0;
            }
            tokens += seqs[i].len();
        }
        if start < order.len() {
            packs.push(start..order.len());
        }
        let pooled: Vec<Vec<Vec<f32>>> = packs
            .par_iter()
            .map_init(Scratch::default, |scratch, range| {
                let pack: Vec<&[u32]> = order[range.clone()].iter().map(|&i| seqs[i]).collect();
                self.forward_pack(&pack, pooling, scratch)
            })
            .collect();
        let mut out = vec![Vec::new(); seqs.len()];
        for (range, vectors) in packs.iter().zip(pooled) {
            for (&i, v) in order[range.clone()].iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn forward_pack(&self, seqs: &[&[u32]], pooling: Pooling, s: &mut Scratch) -> Vec<Vec<f32>> {
        let h = self.hidden;
        let total: usize = seqs.iter().map(|s| s.len()).sum();
        let longest = seqs.iter().map(|s| s.len()).max().unwrap_or(0);
        let x = sized(&mut s.x, total * h);
        let qkv = sized(&mut s.qkv, total * 3 * h);
        let ctx = sized(&mut s.ctx, total * h);
        let up = sized(&mut s.h, total * self.inter);
        let scores = sized(&mut s.scores, longest * longest);
        let xq = &mut s.xq;

        let mut row = 0;
        for seq in seqs {
            for (p, &id) in seq.iter().enumerate() {
                let dst = &mut x[row * h..(row + 1) * h];
                let w = &self.word[id as usize * h..(id as usize + 1) * h];
                let pos = &self.position[p * h..(p + 1) * h];
                kernels::add2(dst, w, pos);
                row += 1;
            }
        }
        kernels::layer_norm(x, h, &self.embed_norm.w, &self.embed_norm.b, self.eps);

        for layer in &self.layers {
            linear(x, total, &layer.qkv, qkv, xq);
            self.attention(seqs, qkv, ctx, scores);
            // x ← LayerNorm(x + ctx·Wo + bo), the residual riding in the GEMM's output.
            residual_linear(ctx, total, &layer.attn_out, x, xq);
            kernels::layer_norm(x, h, &layer.attn_norm.w, &layer.attn_norm.b, self.eps);
            linear(x, total, &layer.up, up, xq);
            kernels::gelu(up);
            residual_linear(up, total, &layer.down, x, xq);
            kernels::layer_norm(x, h, &layer.out_norm.w, &layer.out_norm.b, self.eps);
        }

        let mut out = Vec::with_capacity(seqs.len());
        let mut row = 0;
        for seq in seqs {
            let rows = &x[row * h..(row + seq.len()) * h];
            out.push(match pooling {
                Pooling::Mean => {
                    let mut v = vec![0.0f32; h];
                    for r in rows.chunks_exact(h) {
                        v.iter_mut().zip(r).for_each(|(a, b)| *a += b);
                    }
                    // sentence-transformers clamps the token count at 1e-9.
                    let n = (seq.len() as f32).max(1e-9);
                    v.iter_mut().for_each(|a| *a /= n);
                    v
                }
                Pooling::Cls => rows.get(..h).map(<[f32]>::to_vec).unwrap_or(vec![0.0; h]),
            });
            row += seq.len();
        }
        out
    }

    /// Self-attention of each text over its own tokens, all heads, into `ctx`.
    fn attention(&self, seqs: &[&[u32]], qkv: &[f32], ctx: &mut [f32], scores: &mut [f32]) {
        let h = self.hidden;
        let d = h / self.heads;
        let scale = 1.0 / (d as f32).sqrt();
        let mut row = 0;
        for seq in seqs {
            let n = seq.len();
            if n == 0 {
                continue;
            }
            let s = &mut scores[..n * n];
            for head in 0..self.heads {
                let q = &qkv[row * 3 * h + head * d..];
                let k = &qkv[row * 3 * h + h + head * d..];
                let v = &qkv[row * 3 * h + 2 * h + head * d..];
                // scores = scale · Q Kᵀ: Kᵀ is K read with its strides swapped.
                let qm = MatRef::new(q, n, d, 3 * h, 1);
                let kt = MatRef::new(k, d, n, 1, 3 * h);
                matmul(MatMut::new(s, n, n, n), qm, kt, false, scale);
                for r in s.chunks_exact_mut(n) {
                    kernels::softmax(r);
                }
                let pm = MatRef::new(s, n, n, n, 1);
                let vm = MatRef::new(v, n, d, 3 * h, 1);
                let out = MatMut::new(&mut ctx[row * h + head * d..], n, d, h);
                matmul(out, pm, vm, false, 1.0);
            }
            row += n;
        }
    }
}

/// `out = x·W + b` for `rows` rows.
fn linear(x: &[f32], rows: usize, l: &Linear, out: &mut [f32], xq: &mut Vec<i16>) {
    for r in out[..rows * l.outputs].chunks_exact_mut(l.outputs) {
        r.copy_from_slice(&l.b);
    }
    gemm_rows(x, rows, l, out, xq);
}

/// `acc += x·W + b`: the residual connection, accumulated in place.
fn residual_linear(x: &[f32], rows: usize, l: &Linear, acc: &mut [f32], xq: &mut Vec<i16>) {
    for r in acc[..rows * l.outputs].chunks_exact_mut(l.outputs) {
        kernels::add(r, &l.b);
    }
    gemm_rows(x, rows, l, acc, xq);
}

fn gemm_rows(x: &[f32], rows: usize, l: &Linear, out: &mut [f32], xq: &mut Vec<i16>) {
    if let Some(q) = &l.quant {
        q.accumulate(x, rows, out, xq);
        return;
    }
    let a = MatRef::new(x, rows, l.inputs, l.inputs, 1);
    let w = MatRef::new(&l.w, l.inputs, l.outputs, l.outputs, 1);
    matmul(
        MatMut::new(out, rows, l.outputs, l.outputs),
        a,
        w,
        true,
        1.0,
    );
}

/// A strided read-only matrix view whose every element lies inside its slice.
#[derive(Clone, Copy)]
struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> MatRef<'a> {
    fn new(
        data: &'a [f32],
        rows: usize,
        cols: usize,
        row_stride: usize,
        col_stride: usize,
    ) -> Self {
        assert!(
            rows == 0
                || cols == 0
                || (rows - 1) * row_stride + (cols - 1) * col_stride < data.len()
        );
        Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }
}

/// A row-major writable matrix view (column stride 1) inside its slice.
struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
}

impl<'a> MatMut<'a> {
    fn new(data: &'a mut [f32], rows: usize, cols: usize, row_stride: usize) -> Self {
        assert!(cols <= row_stride || rows <= 1);
        assert!(rows == 0 || cols == 0 || (rows - 1) * row_stride + cols <= data.len());
        Self {
            data,
            rows,
            cols,
            row_stride,
        }
    }
}

/// `dst = [dst +] scale · a·b`, single-threaded (parallelism is across packs).
fn matmul(dst: MatMut, a: MatRef, b: MatRef, accumulate: bool, scale: f32) {
    assert_eq!(a.cols, b.rows);
    assert_eq!((dst.rows, dst.cols), (a.rows, b.cols));
    if dst.rows == 0 || dst.cols == 0 {
        return;
    }
    // SAFETY: the constructors checked that every element each view addresses lies inside
    // its slice; `dst` is borrowed mutably, so it cannot alias `a` or `b`.
    unsafe {
        gemm::gemm(
            dst.rows,
            dst.cols,
            a.cols,
            dst.data.as_mut_ptr(),
            1,
            dst.row_stride as isize,
            accumulate,
            a.data.as_ptr(),
            a.col_stride as isize,
            a.row_stride as isize,
            b.data.as_ptr(),
            b.col_stride as isize,
            b.row_stride as isize,
            1.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// Elementwise and row kernels. Each public function runs an AVX2+FMA build of its body when
/// the CPU has those, else the portable build of the same body.
mod kernels {
    macro_rules! dispatch {
        ($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),*) $body:block) => {
            $(#[$doc])*
            pub fn $name($($arg: $ty),*) {
                #[cfg(target_arch = "x86_64")]
                {
                    #[target_feature(enable = "avx2,fma")]
                    unsafe fn wide($($arg: $ty),*) $body
                    if std::arch::is_x86_feature_detected!("avx2")
                        && std::arch::is_x86_feature_detected!("fma")
                    {
                        // SAFETY: the CPU has the features `wide` was compiled for.
                        return unsafe { wide($($arg),*) };
                    }
                }
                $body
            }
        };
    }

    const LANES: usize = 8;

    /// Sum in eight independent lanes: a strict-order float sum would not vectorise.
    #[inline(always)]
    fn sum(x: &[f32]) -> f32 {
        let mut acc = [0.0f32; LANES];
        let chunks = x.chunks_exact(LANES);
        let tail = chunks.remainder();
        for c in chunks {
            for l in 0..LANES {
                acc[l] += c[l];
            }
        }
        acc.iter().sum::<f32>() + tail.iter().sum::<f32>()
    }

    #[inline(always)]
    fn max(x: &[f32]) -> f32 {
        let mut acc = [f32::NEG_INFINITY; LANES];
        let chunks = x.chunks_exact(LANES);
        let tail = chunks.remainder();
        for c in chunks {
            for l in 0..LANES {
                acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
            }
        }
        acc.iter()
            .chain(tail)
            .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
    }

    /// e^x to about 2e-7 relative error, for x in [-87, 88] (clamped outside): Cody–Waite
    /// reduction by ln 2, then a degree-6 Taylor polynomial, then the exponent bits.
    #[inline(always)]
    pub(super) fn exp(x: f32) -> f32 {
        const LOG2_E: f32 = std::f32::consts::LOG2_E;
        const LN2_HI: f32 = 0.693_145_75;
        const LN2_LO: f32 = 1.428_606_8e-6;
        // 1.5·2^23: adding and subtracting it rounds to the nearest integer.
        const ROUND: f32 = 12_582_912.0;
        let x = x.clamp(-87.0, 88.0);
        let shifted = x * LOG2_E + ROUND;
        let n = shifted - ROUND;
        // n also sits in the low mantissa bits of `shifted`; reading it from there keeps the
        // loop vectorised, where `n as i32` (saturating, NaN-checked) would not.
        let ni = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
        let r = x - n * LN2_HI - n * LN2_LO;
        let p = 1.0
            + r * (1.0
                + r * (0.5
                    + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
        p * f32::from_bits(((ni + 127) << 23) as u32)
    }

    /// erf(x) to 1.5e-7 absolute error (Abramowitz & Stegun 7.1.26).
    #[inline(always)]
    pub(super) fn erf(x: f32) -> f32 {
        let a = x.abs();
        let t = 1.0 / (1.0 + 0.327_591_1 * a);
        let poly = t
            * (0.254_829_6
                + t * (-0.284_496_74 + t * (1.421_413_8 + t * (-1.453_152 + t * 1.061_405_4))));
        (1.0 - poly * exp(-a * a)).copysign(x)
    }

    dispatch! {
        /// `dst = a + b`.
        fn add2(dst: &mut [f32], a: &[f32], b: &[f32]) {
            for ((d, x), y) in dst.iter_mut().zip(a).zip(b) {
                *d = x + y;
            }
        }
    }

    dispatch! {
        /// `dst += a`.
        fn add(dst: &mut [f32], a: &[f32]) {
            for (d, x) in dst.iter_mut().zip(a) {
                *d += x;
            }
        }
    }

    dispatch! {
        /// Softmax of one row in place.
        fn softmax(row: &mut [f32]) {
            let m = max(row);
            for v in row.iter_mut() {
                *v = exp(*v - m);
            }
            let inv = 1.0 / sum(row);
            for v in row.iter_mut() {
                *v *= inv;
            }
        }
    }

    dispatch! {
        /// GELU, the exact (erf) form BERT's "gelu" names.
        fn gelu(x: &mut [f32]) {
            for v in x.iter_mut() {
                *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }

    dispatch! {
        /// LayerNorm of each `width`-wide row in place, two-pass for accuracy.
        fn layer_norm(x: &mut [f32], width: usize, w: &[f32], b: &[f32], eps: f32) {
            for row in x.chunks_exact_mut(width) {
                let mean = sum(row) / width as f32;
                for v in row.iter_mut() {
                    *v -= mean;
                }
                let mut sq = [0.0f32; LANES];
                let chunks = row.chunks_exact(LANES);
                let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
                for c in chunks {
                    for l in 0..LANES {
                        sq[l] += c[l] * c[l];
                    }
                }
                let var = (sq.iter().sum::<f32>() + tail) / width as f32;
                let inv = 1.0 / (var + eps).sqrt();
                for ((v, g), bb) in row.iter_mut().zip(w).zip(b) {
                    *v = *v * inv * g + bb;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::kernels;

    #[test]
    fn exp_matches_std_across_its_range() {
        let mut worst = 0.0f32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let rel = ((kernels::exp(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        // Clamped below: softmax of a -inf-like score is a tiny positive, never NaN.
        assert_eq!(kernels::exp(-1000.0), kernels::exp(-87.0));
    }

    #[test]
    fn erf_matches_a_double_precision_reference() {
        // erf from the series for small |x| and known values elsewhere.
        for (x, want) in [
            (0.0f32, 0.0f64),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (-1.0, -0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (-3.5, -0.999_999_256_901_627_7),
            (6.0, 1.0),
        ] {
            let got = kernels::erf(x) as f64;
            assert!((got - want).abs() < 3e-7, "erf({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn softmax_and_layer_norm_match_direct_formulas() {
        let row: Vec<f32> = (0..37).map(|i| (i as f32 * 0.37).sin() * 9.0).collect();
        let mut s = row.clone();
        kernels::softmax(&mut s);
        let m = row.iter().cloned().fold(f32::MIN, f32::max);
        let z: f32 = row.iter().map(|v| (v - m).exp()).sum();
        for (a, v) in s.iter().zip(&row) {
            assert!((a - (v - m).exp() / z).abs() < 1e-6);
        }
        let mut n = row.clone();
        let w: Vec<f32> = (0..37).map(|i| 1.0 + i as f32 / 10.0).collect();
        let b: Vec<f32> = (0..37).map(|i| i as f32 / 100.0).collect();
        kernels::layer_norm(&mut n, 37, &w, &b, 1e-12);
        let mean = row.iter().sum::<f32>() / 37.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 37.0;
        for i in 0..37 {
            let want = (row[i] - mean) / var.sqrt() * w[i] + b[i];
            assert!((n[i] - want).abs() < 1e-5, "{i}: {} vs {want}", n[i]);
        }
    }
}
