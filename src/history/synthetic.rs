//! Synthetic histories, for measuring search at sizes no labelled set reaches: clustered
//! unit vectors whose nearest-neighbour cosines (about 0.6-0.7 within a cluster) resemble
//! MiniLM's on arXiv abstracts, stored through the real `append`, so the result is a history
//! `rank` opens like any backfill. Everything that reports on one says the vectors are
//! synthetic.

use super::{History, HistoryError, PastPaper};
use crate::ingest::PaperId;

/// Clusters of the generator: topics, roughly.
pub const CLUSTERS: usize = 2000;
/// Per-dimension noise around a cluster centre: two papers of one cluster meet at cosine
/// about 1 / (1 + dim × NOISE²) = 0.65 for 384 dims.
pub const NOISE: f32 = 0.037;

/// xorshift64: fast, seeded, the same stream on every platform.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 + 0.5) / (1u64 << 24) as f32
    }

    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
}

/// A seeded stream of clustered unit vectors.
pub struct Synthetic {
    rng: Rng,
    dim: usize,
    centres: Vec<Vec<f32>>,
}

impl Synthetic {
    pub fn new(seed: u64, dim: usize) -> Self {
        let mut rng = Rng(seed.max(1));
        let centres = (0..CLUSTERS)
            .map(|_| {
                let mut c: Vec<f32> = (0..dim).map(|_| rng.normal()).collect();
                normalise(&mut c);
                c
            })
            .collect();
        Self { rng, dim, centres }
    }

    pub fn vector(&mut self) -> Vec<f32> {
        let c = (self.rng.uniform() * CLUSTERS as f32) as usize % CLUSTERS;
        let mut v: Vec<f32> = (0..self.dim)
            .map(|d| self.centres[c][d] + NOISE * self.rng.normal())
            .collect();
        normalise(&mut v);
        v
    }
}

/// The `i`-th synthetic paper: an id of the new arXiv scheme (`YYMM.NNNNN`, 100,000 a month
/// from 07.04 on) and a day in that month, so the history spans real-looking dates and every
/// real listing's day comes after it.
pub fn paper(i: usize) -> PastPaper {
    let month = 2007 * 12 + 3 + i / 100_000;
    let (year, mon) = (month / 12, month % 12 + 1);
    let id = PaperId::parse(&format!("{:02}{:02}.{:05}", year % 100, mon, i % 100_000))
        .expect("a new-style id");
    PastPaper {
        id,
        title: format!("Synthetic paper {i}"),
        date: crate::ingest::Day::parse(&format!(
            "{year}-{mon:02}-{:02}",
            1 + (i % 100_000) / 3704
        )),
    }
}

/// Appends papers `start..start + n` of the synthetic stream to `history`, in segments of
/// `chunk` rows; `progress` is told the rows stored so far. Deterministic: the same seed
/// gives the same vectors.
pub fn fill(
    history: &mut History,
    gen: &mut Synthetic,
    start: usize,
    n: usize,
    chunk: usize,
    mut progress: impl FnMut(usize),
) -> Result<(), HistoryError> {
    let chunk = chunk.max(1);
    let mut done = 0;
    while done < n {
        let m = chunk.min(n - done);
        let vectors: Vec<Vec<f32>> = (0..m).map(|_| gen.vector()).collect();
        let rows: Vec<(PastPaper, &[f32])> = vectors
            .iter()
            .enumerate()
            .map(|(j, v)| (paper(start + done + j), v.as_slice()))
            .collect();
        history.append(&rows)?;
        done += m;
        progress(done);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_days_are_real_looking_and_distinct() {
        let a = paper(0);
        assert_eq!(a.id.as_str(), "0704.00000");
        assert_eq!(a.date.map(|d| d.to_string()).as_deref(), Some("2007-04-01"));
        let b = paper(3_000_000 - 1);
        assert_eq!(b.id.as_str(), "0909.99999");
        assert_eq!(b.date.map(|d| d.to_string()).as_deref(), Some("2009-09-27"));
        assert_ne!(paper(99_999).id, paper(100_000).id);
    }

    #[test]
    fn vectors_are_unit_and_seeded() {
        let mut g = Synthetic::new(7, 384);
        let v = g.vector();
        assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-5);
        assert_eq!(Synthetic::new(7, 384).vector(), v);
    }
}
