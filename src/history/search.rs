//! Searching the history: one query through the ANN index and an exact scan of the rows it
//! does not cover, and a day's queries at once (`nearest_many`): the ANN pass, the block
//! scan (int16 where the CPU is fast at it, re-scored exactly), and the re-score.

use ndarray::ArrayView2;
use rayon::prelude::*;

use super::{History, Mapped, Neighbour, PastPaper};

/// Rows scored by one matrix product in a batched search: 8,192 rows of 384 dims are 12 MB
/// of f32, with the day's 700 × 8,192 scores another 23 MB per worker.
const BLOCK_ROWS: usize = 8192;
/// Rows a single query decodes at a time: 256 × 384 f32 is 384 KiB, which stays in a
/// core's L2 cache between the decode and the dot products, where a whole block's 12 MiB
/// went out to memory and came back.
const SCAN_ROWS: usize = 256;

/// A search worker's state: each query's best rows so far and the score to beat, and
/// buffers reused from block to block.
struct Found {
    best: Vec<Vec<(f32, usize)>>,
    floor: Vec<f32>,
    scores: Vec<f32>,
    scratch: Vec<i16>,
}

impl History {
    /// The `k` stored papers most similar to `query` (a unit vector), best first, among
    /// those `keep` accepts (callers exclude the paper itself, and with version-less ids
    /// that excludes its other versions too). Uses the ANN index for the rows it covers.
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&PastPaper) -> bool + Sync,
    ) -> Vec<Neighbour> {
        self.check_query(query);
        let (mut best, tail) = self.ann_best(query, k, |row| keep(&self.papers[row]));
        self.scan(tail, query, k, &keep, &mut best);
        self.neighbours(best)
    }

    /// The ANN index's `k` best rows for `query` among those `keep_row` accepts, and the
    /// first row it does not cover (0 without an index), from which callers scan exactly.
    /// The index gives rows; each cosine is recomputed from the stored vector.
    fn ann_best(
        &self,
        query: &[f32],
        k: usize,
        keep_row: impl Fn(usize) -> bool,
    ) -> (Vec<(f32, usize)>, usize) {
        let mut best = Vec::with_capacity(k + 1);
        let Some(ann) = &self.ann else {
            return (best, 0);
        };
        for row in ann.search(query, k, &keep_row) {
            push_best(&mut best, k, dot(&self.row(row), query), row);
        }
        (best, ann.count())
    }

    /// As [`nearest`](Self::nearest), always scanning every row: the ground truth the ANN
    /// index is measured against.
    pub fn nearest_exact(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&PastPaper) -> bool + Sync,
    ) -> Vec<Neighbour> {
        self.check_query(query);
        let mut best = Vec::with_capacity(k + 1);
        self.scan(0, query, k, &keep, &mut best);
        self.neighbours(best)
    }

    fn check_query(&self, query: &[f32]) {
        assert_eq!(query.len(), self.dim, "query of the wrong dimension");
        assert!(
            self.keep_vectors,
            "history opened for appending only cannot be searched"
        );
    }

    fn scan(
        &self,
        from: usize,
        query: &[f32],
        k: usize,
        keep: &(impl Fn(&PastPaper) -> bool + Sync),
        best: &mut Vec<(f32, usize)>,
    ) {
        // Blocks in parallel, each keeping its own best; one query reads every stored
        // vector, so a search alone (`arxrank search`, not a day's batch) is bound by how
        // fast the cores decode and multiply, and every core helps. The merge keeps the
        // order `push_best` keeps, so the result is the sequential scan's.
        let found: Vec<Vec<(f32, usize)>> = self
            .blocks(from)
            .into_par_iter()
            .map(|(m, lo, hi)| {
                let mut local = Vec::with_capacity(k + 1);
                let mut buf = Vec::new();
                for start in (lo..hi).step_by(SCAN_ROWS) {
                    let end = (start + SCAN_ROWS).min(hi);
                    let rows = self.rows_in(m, start, end, &mut buf);
                    for (j, v) in rows.chunks_exact(self.dim).enumerate() {
                        let row = m.first_row + start + j;
                        let c = dot(v, query);
                        if local.len() == k && local.last().is_some_and(|&(w, _)| c <= w) {
                            continue;
                        }
                        if keep(&self.papers[row]) {
                            push_best(&mut local, k, c, row);
                        }
                    }
                }
                self.release(m, lo, hi);
                local
            })
            .collect();
        for (c, row) in found.into_iter().flatten() {
            push_best(best, k, c, row);
        }
    }

    /// Tells the kernel a search is done with rows `lo..hi` of `m`: their pages leave this
    /// process's resident memory (they stay in the page cache, so touching them again costs a
    /// page fault, not a disk read). A scan of a 3-million-paper history otherwise ends with
    /// all 2.3 GB of its f16 vectors counted as resident.
    fn release(&self, m: &Mapped, lo: usize, hi: usize) {
        #[cfg(unix)]
        {
            let width = self.dim * self.precision.bytes();
            // SAFETY: the map is a read-only shared mapping of a file nobody writes to (see
            // `map_segment`): dropping its pages loses nothing, the next read refaults
            // them from the file. `release` is called once a block's scores are computed;
            // a later `row()` on those rows reads them back.
            let r = unsafe {
                m.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    lo * width,
                    (hi - lo) * width,
                )
            };
            let _ = r;
        }
        #[cfg(not(unix))]
        let _ = (m, lo, hi);
    }

    /// The rows from `from` on, as (segment, first, end) blocks of at most `BLOCK_ROWS`.
    fn blocks(&self, from: usize) -> Vec<(&Mapped, usize, usize)> {
        let mut out = Vec::new();
        for m in &self.vectors {
            let start = from.saturating_sub(m.first_row).min(m.rows);
            let mut lo = start;
            while lo < m.rows {
                let hi = (lo + BLOCK_ROWS).min(m.rows);
                out.push((m, lo, hi));
                lo = hi;
            }
        }
        out
    }

    /// [`nearest`](Self::nearest) for many queries at once (the rows of `queries`): each
    /// query's `k` best papers among those `keep(query, paper)` accepts. Rows the ANN index
    /// covers are searched through it, query by query; every other row is scored exactly,
    /// a block of stored rows against all queries in one matrix product, blocks in
    /// parallel. A day's 700 queries read each stored vector once instead of 700 times.
    pub fn nearest_many(
        &self,
        queries: ArrayView2<'_, f32>,
        k: usize,
        keep: impl Fn(usize, &PastPaper) -> bool + Sync,
    ) -> Vec<Vec<Neighbour>> {
        assert_eq!(queries.ncols(), self.dim, "queries of the wrong dimension");
        assert!(
            self.keep_vectors,
            "history opened for appending only cannot be searched"
        );
        let n = queries.nrows();
        if n == 0 || k == 0 {
            return vec![Vec::new(); n];
        }
        let queries = queries.as_standard_layout();
        let q = queries.as_slice().expect("standard layout");
        let mut best = self.ann_pass(q, k, &keep);
        // With AVX2, blocks are scored in 16-bit integer lanes (twice f32's multiply-adds
        // per cycle; the queries quantised once, each stored row on the fly) and each
        // query's best `wide` candidates are re-scored exactly, so what comes back is exact
        // unless a true neighbour fell out of the wider list: its integer score would have
        // to be off by more than the gap, about 1e-4 against cosines' spread of 0.1.
        let quant = crate::int16::int16_is_fast().then(|| self.quantised(q));
        let wide = if quant.is_some() {
            (2 * k).max(k + 8)
        } else {
            k
        };
        let exact = self.block_scan(q, wide, quant.as_ref(), &keep);
        self.rescore(&mut best, exact, q, k, quant.is_some());
        best.into_iter().map(|b| self.neighbours(b)).collect()
    }

    /// Each query's best rows among those the ANN index covers.
    fn ann_pass(
        &self,
        q: &[f32],
        k: usize,
        keep: &(impl Fn(usize, &PastPaper) -> bool + Sync),
    ) -> Vec<Vec<(f32, usize)>> {
        let n = q.len() / self.dim;
        (0..n)
            .into_par_iter()
            .map(|i| {
                let qi = &q[i * self.dim..(i + 1) * self.dim];
                self.ann_best(qi, k, |row| keep(i, &self.papers[row])).0
            })
            .collect()
    }

    /// The queries (rows of `q`) as the int16 GEMM's weights: one column per query.
    fn quantised(&self, q: &[f32]) -> crate::int16::QuantLinear {
        let n = q.len() / self.dim;
        let mut qt = vec![0f32; self.dim * n];
        for (j, qrow) in q.chunks_exact(self.dim).enumerate() {
            for (d, &v) in qrow.iter().enumerate() {
                qt[d * n + j] = v;
            }
        }
        crate::int16::QuantLinear::new(&qt, self.dim, n)
    }

    /// Each query's best `wide` rows among those the index does not cover: a block of
    /// stored rows against all queries at once, blocks in parallel.
    fn block_scan(
        &self,
        q: &[f32],
        wide: usize,
        quant: Option<&crate::int16::QuantLinear>,
        keep: &(impl Fn(usize, &PastPaper) -> bool + Sync),
    ) -> Vec<Vec<(f32, usize)>> {
        let n = q.len() / self.dim;
        let empty = || Found {
            best: vec![Vec::new(); n],
            floor: vec![f32::NEG_INFINITY; n],
            scores: Vec::new(),
            scratch: Vec::new(),
        };
        // Query `i`'s candidate `row` scored `c`: kept if it beats the query's floor and its
        // filter, and the floor rises once `wide` candidates are held. The floors are passed
        // apart from the lists because the integer scan holds them while it calls back.
        let offer =
            |best: &mut [Vec<(f32, usize)>], floor: &mut [f32], i: usize, c: f32, row: usize| {
                if c >= floor[i] && keep(i, &self.papers[row]) {
                    let found = &mut best[i];
                    push_best(found, wide, c, row);
                    if found.len() == wide {
                        floor[i] = found[wide - 1].0;
                    }
                }
            };
        self.blocks(self.indexed())
            .into_par_iter()
            .fold(empty, |mut acc, (m, lo, hi)| {
                let block = self.rows_of(m, lo, hi);
                let width = hi - lo;
                // One buffer per worker, reused: a fresh 23 MB per block cost page faults.
                let mut scores = std::mem::take(&mut acc.scores);
                match quant {
                    Some(ql) => {
                        let best = &mut acc.best;
                        ql.for_each_above(
                            &block,
                            width,
                            &mut acc.scratch,
                            &mut acc.floor,
                            |floor, r, i, c| offer(best, floor, i, c, m.first_row + lo + r),
                        );
                    }
                    None => {
                        scores.clear();
                        scores.resize(n * width, 0.0);
                        crate::linalg::matmul_nt(q, &block, self.dim, &mut scores);
                        for (i, line) in scores.chunks_exact(width).enumerate() {
                            for (r, &c) in line.iter().enumerate() {
                                offer(&mut acc.best, &mut acc.floor, i, c, m.first_row + lo + r);
                            }
                        }
                    }
                }
                acc.scores = scores;
                drop(block);
                self.release(m, lo, hi);
                acc
            })
            .map(|acc| acc.best)
            .reduce(
                || vec![Vec::new(); n],
                |mut a, b| {
                    for (i, y) in b.into_iter().enumerate() {
                        for (c, row) in y {
                            push_best(&mut a[i], wide, c, row);
                        }
                    }
                    a
                },
            )
    }

    /// Merges the block scan's candidates into each query's best `k`, re-scoring them
    /// exactly when they were scored in integers.
    fn rescore(
        &self,
        best: &mut [Vec<(f32, usize)>],
        exact: Vec<Vec<(f32, usize)>>,
        q: &[f32],
        k: usize,
        quantised: bool,
    ) {
        for ((i, b), e) in best.iter_mut().enumerate().zip(exact) {
            let qi = &q[i * self.dim..(i + 1) * self.dim];
            for (c, row) in e {
                // Read with pread, not through the map: faulting a candidate's page in would
                // map its neighbours too, and they would stay resident.
                let c = if quantised {
                    dot(&self.read_row(row), qi)
                } else {
                    c
                };
                push_best(b, k, c, row);
            }
        }
    }

    fn neighbours(&self, best: Vec<(f32, usize)>) -> Vec<Neighbour> {
        best.into_iter()
            .map(|(cosine, row)| Neighbour {
                paper: self.papers[row].clone(),
                cosine,
            })
            .collect()
    }
}

/// Best-first insert into a list kept at `k` entries, ties broken by the earlier row, so
/// the result does not depend on the order blocks were searched in. Callers never offer a
/// row twice: the index's rows and the exactly scanned tail are disjoint.
fn push_best(best: &mut Vec<(f32, usize)>, k: usize, cosine: f32, row: usize) {
    let pos = best.partition_point(|&(b, r)| b > cosine || (b == cosine && r < row));
    best.insert(pos, (cosine, row));
    best.truncate(k);
}

/// Dot product in eight independent lanes, so the compiler can keep them in one SIMD
/// register; a single running sum would serialise on each addition.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}
