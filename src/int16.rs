//! Integer GEMM: the reduced-precision path of the native encoder's linear layers, and the
//! history's batched search, which scores a day against millions of stored vectors with it.
//!
//! Why 16-bit lanes and not int8: on AVX2 without VNNI (this project's reference machine is
//! Zen 3), the int8 instruction `vpmaddubsw` must be widened by a second multiply before it
//! can accumulate in 32 bits, so it performs no more multiply-adds per cycle than `vpmaddwd`
//! on 16-bit lanes, which is twice f32 FMA. With 16-bit lanes the operands can carry far more
//! than 8 bits: weights and activations get as many bits as keep every dot product inside
//! i32 (`K · qmax_w · qmax_a < 2^31`), about 11 bits each for K = 1536 and 12 for K = 384.
//! Weights are quantised once per output channel, activations per row on the fly. Where the
//! CPU has AVX-512 VNNI (Zen 4, Ice Lake and later), the micro-tile is one `vpdpwssd` per row
//! and 16 columns instead of AVX2's two multiplies and two adds, with the same integer sums.

/// Columns per packed weight panel: two AVX2 registers of eight i32 accumulators.
const PANEL: usize = 16;
/// Rows per micro-tile: 6 rows × 2 registers = 12 accumulators, plus 2 for the weights
/// and 1 for the broadcast, fit AVX2's 16 registers.
const TILE_ROWS: usize = 6;
/// Rows quantised and kept in cache while every panel passes over them.
const ROW_BLOCK: usize = 48;
/// Inputs per pass (even): a panel's slice of 512 inputs is 16 KiB and stays in L1 while
/// the tiles of a row block run over it.
const K_BLOCK: usize = 512;

/// Whether the integer kernels run in AVX2 here; without it the f32 GEMM is faster.
pub(crate) fn int16_is_fast() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The largest quantised magnitude for each operand of a K-long dot product.
fn qmax(k: usize) -> i32 {
    let budget = (i32::MAX as f64) / k.max(1) as f64;
    (budget.sqrt().floor() as i32).min(i16::MAX as i32)
}

/// A linear layer's weights quantised per output channel and packed in panels of 16
/// columns: for each pair of input rows (2q, 2q+1) and each column j of the panel, the two
/// values side by side, which is the operand order of `vpmaddwd`.
pub(crate) struct QuantLinear {
    packed: Vec<i16>,
    scale: Vec<f32>,
    inputs: usize,
    outputs: usize,
    /// Input rows rounded up to even; the extra row is zero.
    k_even: usize,
    qmax: i32,
}

impl QuantLinear {
    /// Quantises `w`, stored input-major (`inputs × outputs`).
    pub fn new(w: &[f32], inputs: usize, outputs: usize) -> Self {
        let q = qmax(inputs);
        let k_even = inputs.next_multiple_of(2);
        let panels = outputs.div_ceil(PANEL);
        let scale: Vec<f32> = (0..outputs)
            .map(|j| {
                let amax = (0..inputs)
                    .map(|k| w[k * outputs + j].abs())
                    .fold(0.0, f32::max);
                if amax > 0.0 {
                    amax / q as f32
                } else {
                    1.0
                }
            })
            .collect();
        let mut packed = vec![0i16; panels * k_even * PANEL];
        for p in 0..panels {
            for k in 0..inputs {
                for c in 0..PANEL {
                    let j = p * PANEL + c;
                    if j >= outputs {
                        continue;
                    }
                    let v = (w[k * outputs + j] / scale[j]).round() as i16;
                    packed[p * k_even * PANEL + (k / 2) * 2 * PANEL + c * 2 + k % 2] = v;
                }
            }
        }
        Self {
            packed,
            scale,
            inputs,
            outputs,
            k_even,
            qmax: q,
        }
    }

    /// `out += x·W` for `rows` rows of `x` (`rows × inputs`); `out` already holds the bias
    /// (and residual), which is how the f32 path fuses them too.
    pub fn accumulate(&self, x: &[f32], rows: usize, out: &mut [f32], scratch: &mut Vec<i16>) {
        let mut row_scale = [0.0f32; ROW_BLOCK];
        for block in (0..rows).step_by(ROW_BLOCK) {
            let n = ROW_BLOCK.min(rows - block);
            let xq = self.quantize_block(x, block, n, scratch, &mut row_scale);
            let dst = &mut out[block * self.outputs..(block + n) * self.outputs];
            self.block(xq, n, &row_scale[..n], dst);
        }
    }

    /// Quantises rows `block..block + n` of `x` into `scratch` (each padded to even length),
    /// their scales into `row_scale`; returns the quantised rows.
    fn quantize_block<'s>(
        &self,
        x: &[f32],
        block: usize,
        n: usize,
        scratch: &'s mut Vec<i16>,
        row_scale: &mut [f32; ROW_BLOCK],
    ) -> &'s [i16] {
        let k2 = self.k_even;
        if scratch.len() < n * k2 {
            scratch.resize(n * k2, 0);
        }
        let xq = &mut scratch[..n * k2];
        for r in 0..n {
            let src = &x[(block + r) * self.inputs..(block + r + 1) * self.inputs];
            row_scale[r] = quantize_row(src, &mut xq[r * k2..(r + 1) * k2], self.qmax);
        }
        xq
    }

    /// Calls `visit(floor, row, column, score)` for every score of `x·W` (`rows` rows of
    /// `x`) that is at least `floor[column]`; `visit` may raise the floors as it goes. For a
    /// search that keeps each column's best rows: the scores are compared as each tile
    /// leaves the registers, so the `rows × outputs` matrix is never written out and read
    /// back, which for a day's 700 queries against millions of stored rows cost more than
    /// the multiply-adds.
    pub fn for_each_above(
        &self,
        x: &[f32],
        rows: usize,
        scratch: &mut Vec<i16>,
        floor: &mut [f32],
        mut visit: impl FnMut(&mut [f32], usize, usize, f32),
    ) {
        assert_eq!(floor.len(), self.outputs);
        if self.k_even > K_BLOCK {
            // Several K blocks: the sums are only complete at the end.
            let mut out = vec![0f32; rows * self.outputs];
            self.accumulate(x, rows, &mut out, scratch);
            for (r, line) in out.chunks_exact(self.outputs).enumerate() {
                for (c, &v) in line.iter().enumerate() {
                    if v >= floor[c] {
                        visit(floor, r, c, v);
                    }
                }
            }
            return;
        }
        let k2 = self.k_even;
        let panels = self.outputs.div_ceil(PANEL);
        let mut row_scale = [0.0f32; ROW_BLOCK];
        for block in (0..rows).step_by(ROW_BLOCK) {
            let n = ROW_BLOCK.min(rows - block);
            let xq = self.quantize_block(x, block, n, scratch, &mut row_scale);
            for p in 0..panels {
                let b = &self.packed[p * k2 * PANEL..][..k2 * PANEL];
                let col0 = p * PANEL;
                let cols = PANEL.min(self.outputs - col0);
                let col_scale = &self.scale[col0..col0 + cols];
                for r0 in (0..n).step_by(TILE_ROWS) {
                    let tr = TILE_ROWS.min(n - r0);
                    let mut acc = [[0i32; PANEL]; TILE_ROWS];
                    tile(&xq[r0 * k2..], k2, k2, tr, b, &mut acc);
                    for (r, acc_row) in acc.iter().enumerate().take(tr) {
                        let s = row_scale[r0 + r];
                        let mut mask = above(acc_row, s, col_scale, &floor[col0..col0 + cols]);
                        while mask != 0 {
                            let c = mask.trailing_zeros() as usize;
                            mask &= mask - 1;
                            // The same product as `dequantize_add`, so both paths agree.
                            let v = acc_row[c] as f32 * (s * col_scale[c]);
                            if v >= floor[col0 + c] {
                                visit(floor, block + r0 + r, col0 + c, v);
                            }
                        }
                    }
                }
            }
        }
    }

    fn block(&self, xq: &[i16], rows: usize, row_scale: &[f32], dst: &mut [f32]) {
        let panels = self.outputs.div_ceil(PANEL);
        let panel_len = self.k_even * PANEL;
        for k0 in (0..self.k_even).step_by(K_BLOCK) {
            let klen = K_BLOCK.min(self.k_even - k0);
            for p in 0..panels {
                let b = &self.packed[p * panel_len + k0 * PANEL..][..klen * PANEL];
                let col0 = p * PANEL;
                let cols = PANEL.min(self.outputs - col0);
                for r0 in (0..rows).step_by(TILE_ROWS) {
                    let tr = TILE_ROWS.min(rows - r0);
                    let mut acc = [[0i32; PANEL]; TILE_ROWS];
                    tile(
                        &xq[r0 * self.k_even + k0..],
                        self.k_even,
                        klen,
                        tr,
                        b,
                        &mut acc,
                    );
                    // Dequantising each K block's partial sums on its own is exact in the
                    // integers and linear in the scales, so blocks simply add up.
                    let rs = &row_scale[r0..r0 + tr];
                    let out = &mut dst[r0 * self.outputs + col0..];
                    dequantize_add(&acc, rs, &self.scale[col0..col0 + cols], out, self.outputs);
                }
            }
        }
    }
}

/// `out[r][c] += acc[r][c] · row_scale[r] · col_scale[c]` for the tile's rows and columns,
/// `out` at row stride `ldo`.
fn dequantize_add(
    acc: &[[i32; PANEL]; TILE_ROWS],
    row_scale: &[f32],
    col_scale: &[f32],
    out: &mut [f32],
    ldo: usize,
) {
    let cols = col_scale.len();
    assert!(row_scale.len() <= TILE_ROWS && cols <= PANEL);
    assert!(row_scale.is_empty() || out.len() >= (row_scale.len() - 1) * ldo + cols);
    #[cfg(target_arch = "x86_64")]
    if cols == PANEL && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the asserts above bound every access.
        unsafe { avx2::dequantize_add(acc, row_scale, col_scale.as_ptr(), out.as_mut_ptr(), ldo) };
        return;
    }
    for (r, (acc_row, &s)) in acc.iter().zip(row_scale).enumerate() {
        let o = &mut out[r * ldo..r * ldo + cols];
        for ((o, &a), &ws) in o.iter_mut().zip(acc_row).zip(col_scale) {
            // Associated as the AVX2 kernel does, so partial panels round like full ones.
            *o += a as f32 * (s * ws);
        }
    }
}

/// Bit `c` set where the dequantised score of column `c` (of a tile row with row scale
/// `s`) is at least `floor[c]`. A bit may be a false alarm, never a miss: callers check
/// the score again.
fn above(acc_row: &[i32; PANEL], s: f32, col_scale: &[f32], floor: &[f32]) -> u32 {
    let cols = col_scale.len();
    assert!(cols <= PANEL && floor.len() == cols);
    #[cfg(target_arch = "x86_64")]
    if cols == PANEL && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present; the slices hold 16 values each (asserted above).
        return unsafe { avx2::above(acc_row, s, col_scale.as_ptr(), floor.as_ptr()) };
    }
    let mut mask = 0;
    for c in 0..cols {
        if acc_row[c] as f32 * (s * col_scale[c]) >= floor[c] {
            mask |= 1 << c;
        }
    }
    mask
}

/// Quantises one row to `[-q, q]` into `dst` (zero-padded to even length); returns its scale.
fn quantize_row(src: &[f32], dst: &mut [i16], q: i32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present.
        let scale = unsafe { avx2::quantize_row(src, dst, q as f32) };
        dst[src.len()..].fill(0);
        return scale;
    }
    let amax = src.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let scale = if amax > 0.0 { amax / q as f32 } else { 1.0 };
    let inv = 1.0 / scale;
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = (v * inv).round_ties_even() as i16;
    }
    dst[src.len()..].fill(0);
    scale
}

/// One micro-tile: `acc[r][c] = Σ_k a[r][k] · b[k][c]` over `klen` (even) inputs, for
/// `rows` ≤ 6 rows of `a` at row stride `lda`, against a packed panel slice.
fn tile(
    a: &[i16],
    lda: usize,
    klen: usize,
    rows: usize,
    b: &[i16],
    acc: &mut [[i32; PANEL]; TILE_ROWS],
) {
    assert!((1..=TILE_ROWS).contains(&rows) && klen.is_multiple_of(2));
    assert!(a.len() >= (rows - 1) * lda + klen && b.len() >= klen * PANEL);
    #[cfg(target_arch = "x86_64")]
    if let Some(kernel) = Kernel::detect() {
        // SAFETY: `detect` found the kernel's features; the asserts above bound every read.
        unsafe { kernel.tile(a.as_ptr(), lda, klen, rows, b.as_ptr(), acc) };
        return;
    }
    for (r, acc_row) in acc.iter_mut().enumerate().take(rows) {
        for q in 0..klen / 2 {
            let (a0, a1) = (a[r * lda + 2 * q] as i32, a[r * lda + 2 * q + 1] as i32);
            for (c, out) in acc_row.iter_mut().enumerate() {
                let w = &b[q * 2 * PANEL + 2 * c..];
                *out += a0 * w[0] as i32 + a1 * w[1] as i32;
            }
        }
    }
}

/// The SIMD micro-tiles. AVX-512 VNNI does in one fused multiply-add instruction per 16
/// columns (`vpdpwssd`) what AVX2 needs two multiplies and two adds for.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Avx512Vnni,
    Avx2,
}

#[cfg(target_arch = "x86_64")]
impl Kernel {
    /// The fastest kernel this CPU runs, once per process. `ARXRANK_NO_AVX512=1` picks AVX2
    /// where both run, to measure one against the other on the same machine.
    fn detect() -> Option<Self> {
        static KERNEL: std::sync::OnceLock<Option<Kernel>> = std::sync::OnceLock::new();
        *KERNEL.get_or_init(|| {
            let vnni = std::env::var_os("ARXRANK_NO_AVX512").is_none()
                && std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni");
            if vnni {
                Some(Kernel::Avx512Vnni)
            } else if std::arch::is_x86_feature_detected!("avx2") {
                Some(Kernel::Avx2)
            } else {
                None
            }
        })
    }

    /// One micro-tile of `rows` (1 to 6) rows, as the scalar loop in [`tile`] computes it.
    ///
    /// # Safety
    /// The kernel's CPU features must be present; `a` must hold `rows` rows of `klen` (even)
    /// i16 values at stride `lda`, and `b` a panel slice of `klen · 16` values.
    unsafe fn tile(
        self,
        a: *const i16,
        lda: usize,
        klen: usize,
        rows: usize,
        b: *const i16,
        acc: &mut [[i32; PANEL]; TILE_ROWS],
    ) {
        macro_rules! by_rows {
            ($kernel:ident) => {
                match rows {
                    1 => $kernel::tile::<1>(a, lda, klen, b, acc),
                    2 => $kernel::tile::<2>(a, lda, klen, b, acc),
                    3 => $kernel::tile::<3>(a, lda, klen, b, acc),
                    4 => $kernel::tile::<4>(a, lda, klen, b, acc),
                    5 => $kernel::tile::<5>(a, lda, klen, b, acc),
                    _ => $kernel::tile::<6>(a, lda, klen, b, acc),
                }
            };
        }
        match self {
            Kernel::Avx512Vnni => by_rows!(avx512),
            Kernel::Avx2 => by_rows!(avx2),
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{PANEL, TILE_ROWS};

    /// The AVX2 tile's arithmetic in one 512-bit register per row: a packed pair of panel
    /// rows is 32 i16 (16 columns × 2 inputs), exactly `vpdpwssd`'s operand, and its 16 i32
    /// lanes are the 16 columns. The integer sums are the same as AVX2's, bit for bit.
    ///
    /// # Safety
    /// AVX-512 F, BW and VNNI must be available; `a` must hold `R` rows of `klen` (even) i16
    /// values at stride `lda`, and `b` a panel slice of `klen · 16` values.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub unsafe fn tile<const R: usize>(
        a: *const i16,
        lda: usize,
        klen: usize,
        b: *const i16,
        out: &mut [[i32; PANEL]; TILE_ROWS],
    ) {
        let mut acc = [_mm512_setzero_si512(); R];
        for q in 0..klen / 2 {
            let bv = _mm512_loadu_si512(b.add(q * 2 * PANEL) as *const _);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let pair = (a.add(r * lda + 2 * q) as *const i32).read_unaligned();
                *acc_r = _mm512_dpwssd_epi32(*acc_r, _mm512_set1_epi32(pair), bv);
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            _mm512_storeu_si512(out[r].as_mut_ptr() as *mut _, *acc_r);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{PANEL, TILE_ROWS};

    /// # Safety
    /// AVX2 must be available; `a` must hold `R` rows of `klen` (even) i16 values at stride
    /// `lda`, and `b` a panel slice of `klen · 16` values.
    #[target_feature(enable = "avx2")]
    pub unsafe fn tile<const R: usize>(
        a: *const i16,
        lda: usize,
        klen: usize,
        b: *const i16,
        out: &mut [[i32; PANEL]; TILE_ROWS],
    ) {
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        for q in 0..klen / 2 {
            let b0 = _mm256_loadu_si256(b.add(q * 2 * PANEL) as *const __m256i);
            let b1 = _mm256_loadu_si256(b.add(q * 2 * PANEL + PANEL) as *const __m256i);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let pair = (a.add(r * lda + 2 * q) as *const i32).read_unaligned();
                let av = _mm256_set1_epi32(pair);
                acc_r[0] = _mm256_add_epi32(acc_r[0], _mm256_madd_epi16(av, b0));
                acc_r[1] = _mm256_add_epi32(acc_r[1], _mm256_madd_epi16(av, b1));
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            _mm256_storeu_si256(out[r].as_mut_ptr() as *mut __m256i, acc_r[0]);
            _mm256_storeu_si256(out[r][8..].as_mut_ptr() as *mut __m256i, acc_r[1]);
        }
    }

    /// # Safety
    /// AVX2 must be available; `col_scale` must hold 16 values and `out` 16 at each of
    /// `row_scale.len()` rows of stride `ldo`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn dequantize_add(
        acc: &[[i32; PANEL]; TILE_ROWS],
        row_scale: &[f32],
        col_scale: *const f32,
        out: *mut f32,
        ldo: usize,
    ) {
        let ws = [
            _mm256_loadu_ps(col_scale),
            _mm256_loadu_ps(col_scale.add(8)),
        ];
        for (r, &s) in row_scale.iter().enumerate() {
            let s = _mm256_set1_ps(s);
            for (h, &w) in ws.iter().enumerate() {
                let a = _mm256_loadu_si256(acc[r][h * 8..].as_ptr() as *const __m256i);
                let o = out.add(r * ldo + h * 8);
                let v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_mul_ps(s, w));
                _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), v));
            }
        }
    }

    /// # Safety
    /// AVX2 must be available; `col_scale` and `floor` must hold 16 values.
    #[target_feature(enable = "avx2")]
    pub unsafe fn above(
        acc: &[i32; PANEL],
        s: f32,
        col_scale: *const f32,
        floor: *const f32,
    ) -> u32 {
        let s = _mm256_set1_ps(s);
        let mut mask = 0u32;
        for h in 0..2 {
            let a = _mm256_loadu_si256(acc[h * 8..].as_ptr() as *const __m256i);
            let w = _mm256_loadu_ps(col_scale.add(h * 8));
            let v = _mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_mul_ps(s, w));
            let ge = _mm256_cmp_ps::<_CMP_GE_OQ>(v, _mm256_loadu_ps(floor.add(h * 8)));
            mask |= (_mm256_movemask_ps(ge) as u32) << (h * 8);
        }
        mask
    }

    /// `dst[i] = round(src[i] · q / max|src|)`, ties to even (the MXCSR default); returns
    /// the scale `max|src| / q`.
    ///
    /// # Safety
    /// AVX2 must be available.
    #[target_feature(enable = "avx2")]
    pub unsafe fn quantize_row(src: &[f32], dst: &mut [i16], q: f32) -> f32 {
        assert!(dst.len() >= src.len());
        let abs = _mm256_castsi256_ps(_mm256_set1_epi32(i32::MAX));
        let mut m = _mm256_setzero_ps();
        let chunks = src.len() / 8;
        for c in 0..chunks {
            let v = _mm256_loadu_ps(src.as_ptr().add(c * 8));
            m = _mm256_max_ps(m, _mm256_and_ps(v, abs));
        }
        let mut lanes = [0.0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), m);
        let amax = lanes
            .iter()
            .chain(&src[chunks * 8..])
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let scale = if amax > 0.0 { amax / q } else { 1.0 };
        let inv = _mm256_set1_ps(1.0 / scale);
        let pairs = src.len() / 16;
        for c in 0..pairs {
            let lo = _mm256_cvtps_epi32(_mm256_mul_ps(
                _mm256_loadu_ps(src.as_ptr().add(c * 16)),
                inv,
            ));
            let hi = _mm256_cvtps_epi32(_mm256_mul_ps(
                _mm256_loadu_ps(src.as_ptr().add(c * 16 + 8)),
                inv,
            ));
            // packs interleaves 128-bit lanes (lo0 hi0 lo1 hi1); the permute restores order.
            let packed = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0b11_01_10_00);
            _mm256_storeu_si256(dst.as_mut_ptr().add(c * 16) as *mut __m256i, packed);
        }
        for i in pairs * 16..src.len() {
            dst[i] = (src[i] / scale).round_ties_even() as i16;
        }
        scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(x: &[f32], w: &[f32], rows: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; rows * n];
        for r in 0..rows {
            for j in 0..n {
                out[r * n + j] = (0..k)
                    .map(|i| x[r * k + i] as f64 * w[i * n + j] as f64)
                    .sum::<f64>() as f32;
            }
        }
        out
    }

    #[test]
    fn integer_gemm_tracks_f32_on_odd_shapes() {
        // Odd K, N not a multiple of the panel, rows not a multiple of the tile or block.
        for (rows, k, n) in [(1, 3, 5), (7, 33, 17), (53, 384, 40), (50, 1536, 16)] {
            let x: Vec<f32> = (0..rows * k)
                .map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 3.0)
                .collect();
            let w: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104_729 % 1000) as f32 / 500.0 - 1.0) * 0.1)
                .collect();
            let want = reference(&x, &w, rows, k, n);
            let layer = QuantLinear::new(&w, k, n);
            let mut got = vec![1.0f32; rows * n]; // accumulates onto what is there
            layer.accumulate(&x, rows, &mut got, &mut Vec::new());
            let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!(
                    (g - 1.0 - w).abs() <= 2e-3 * scale,
                    "{rows}x{k}x{n}: {g} vs {}",
                    w + 1.0
                );
            }
        }
    }

    #[test]
    fn scores_above_the_floor_are_the_gemm_scores_and_floors_can_rise() {
        // K within one block (the fused path) and K over several blocks (the fallback);
        // columns not a multiple of the panel.
        for (rows, k, n) in [(101, 384, 40), (30, 1100, 21)] {
            let x: Vec<f32> = (0..rows * k)
                .map(|i| (i * 7919 % 1000) as f32 / 500.0 - 1.0)
                .collect();
            let w: Vec<f32> = (0..k * n)
                .map(|i| (i * 104_729 % 1000) as f32 / 500.0 - 1.0)
                .collect();
            let layer = QuantLinear::new(&w, k, n);
            let mut all = vec![0f32; rows * n];
            layer.accumulate(&x, rows, &mut all, &mut Vec::new());
            // Every score, with no floor.
            let mut seen = vec![f32::NAN; rows * n];
            let mut floor = vec![f32::NEG_INFINITY; n];
            layer.for_each_above(&x, rows, &mut Vec::new(), &mut floor, |_, r, c, v| {
                seen[r * n + c] = v;
            });
            for (i, (a, b)) in seen.iter().zip(&all).enumerate() {
                assert_eq!(a, b, "{rows}x{k}x{n} at row {} col {}", i / n, i % n);
            }
            // Each column's maximum, the floor raised to every score offered.
            let mut floor = vec![f32::NEG_INFINITY; n];
            layer.for_each_above(&x, rows, &mut Vec::new(), &mut floor, |floor, _, c, v| {
                floor[c] = floor[c].max(v);
            });
            for c in 0..n {
                let max = (0..rows).map(|r| all[r * n + c]).fold(f32::MIN, f32::max);
                assert_eq!(floor[c], max, "column {c}");
            }
        }
    }

    /// The scalar tile, the arithmetic every SIMD kernel must reproduce exactly.
    fn scalar_tile(a: &[i16], lda: usize, klen: usize, rows: usize, b: &[i16]) -> Vec<i32> {
        let mut out = vec![0i32; rows * PANEL];
        for r in 0..rows {
            for c in 0..PANEL {
                out[r * PANEL + c] = (0..klen)
                    .map(|k| a[r * lda + k] as i32 * b[(k / 2) * 2 * PANEL + 2 * c + k % 2] as i32)
                    .sum();
            }
        }
        out
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn simd_tiles_give_the_scalar_integer_sums_bit_for_bit() {
        // Full-range operands (|v| up to qmax(384)), odd strides, every row count.
        let (lda, klen) = (391, 384);
        let q = qmax(klen) as i64;
        let a: Vec<i16> = (0..TILE_ROWS * lda)
            .map(|i| ((i as i64 * 7919 % (2 * q + 1)) - q) as i16)
            .collect();
        let b: Vec<i16> = (0..klen * PANEL)
            .map(|i| ((i as i64 * 104_729 % (2 * q + 1)) - q) as i16)
            .collect();
        let simd = [
            (
                Kernel::Avx512Vnni,
                Kernel::detect() == Some(Kernel::Avx512Vnni),
            ),
            (Kernel::Avx2, std::arch::is_x86_feature_detected!("avx2")),
        ];
        for rows in 1..=TILE_ROWS {
            let want = scalar_tile(&a, lda, klen, rows, &b);
            for (kernel, present) in simd {
                if !present {
                    continue;
                }
                let mut got = [[0i32; PANEL]; TILE_ROWS];
                // SAFETY: the kernel's features were detected; `a` and `b` hold what it reads.
                unsafe { kernel.tile(a.as_ptr(), lda, klen, rows, b.as_ptr(), &mut got) };
                let got: Vec<i32> = got[..rows].iter().flatten().copied().collect();
                assert_eq!(got, want, "{kernel:?}, {rows} rows");
            }
        }
    }

    #[test]
    fn operand_range_keeps_every_dot_product_inside_i32() {
        for k in [1, 2, 384, 1536, 4096, 1 << 20] {
            let q = qmax(k) as i64;
            assert!(k as i64 * q * q <= i32::MAX as i64, "k = {k}");
            assert!(q >= 1);
        }
        assert_eq!(qmax(1536), 1182);
    }
}
