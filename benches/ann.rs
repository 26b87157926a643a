//! ANN index vs exact search over a history, through the `History` API that `rank` uses.
//!
//! Prints one table row per history size: index build time, the cost of opening the history
//! with and without its index, per-query latency of exact and ANN search, and the ANN's
//! recall@10 against exact search, and how far the mean cosine of the 3 nearest papers (what
//! novelty is computed from) moves. Vectors are synthetic (said so in the output): clustered
//! 384-dimensional unit vectors whose nearest-neighbour cosines (about 0.6-0.7) resemble
//! MiniLM's on arXiv abstracts; recall on real embeddings is tested in tests/history.rs.
//!
//! `cargo bench --bench ann` (sizes 10k, 100k, 1M; `ANN_BENCH_SIZES=10000,100000` to pick,
//! `ANN_BENCH_QUERIES` queries per size, default 200; `ANN_BENCH_EF` search widths, default
//! 32,64,128).

use std::time::Instant;

use arxrank::history::synthetic::{self, Synthetic, CLUSTERS};
use arxrank::history::History;

const DIM: usize = 384;

fn fill(dir: &std::path::Path, gen: &mut Synthetic, n: usize) -> History {
    let mut h = History::open(dir, "synthetic", DIM).unwrap();
    synthetic::fill(&mut h, gen, 0, n, 50_000, |_| {}).unwrap();
    h
}

fn main() {
    let sizes: Vec<usize> = std::env::var("ANN_BENCH_SIZES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("ANN_BENCH_SIZES: comma-separated sizes")
        })
        .collect();
    let queries: usize = std::env::var("ANN_BENCH_QUERIES")
        .ok()
        .and_then(|q| q.parse().ok())
        .unwrap_or(200);
    let widths: Vec<usize> = std::env::var("ANN_BENCH_EF")
        .unwrap_or_else(|_| "32,64,128".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("ANN_BENCH_EF: comma-separated widths")
        })
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "# ANN (hnsw_rs, 16 links, ef_construction 100) vs exact search, k = 10; ef = candidates examined per query"
    );
    println!(
        "# synthetic vectors: {CLUSTERS} clusters of 384-d unit vectors (not real embeddings); {queries} held-out queries per size; {threads} threads"
    );
    println!("| papers | ef | index build s | open, no index s | open with index s | exact ms/query | ANN ms/query | speed-up | recall@10 | top-3 mean cosine error | day of 700 queries, exact s | day of 700, open index + ANN s |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in &sizes {
        let tmp = tempfile::tempdir().unwrap();
        let mut gen = Synthetic::new(42, DIM);
        let mut h = fill(tmp.path(), &mut gen, n);
        let qs: Vec<Vec<f32>> = (0..queries).map(|_| gen.vector()).collect();

        let t = Instant::now();
        h.build_index(0).unwrap();
        let build = t.elapsed().as_secs_f64();

        // Opening without the index: the same history with ann.json moved aside.
        let meta = tmp.path().join("ann.json");
        let aside = tmp.path().join("ann.json.aside");
        fs_err::rename(&meta, &aside).unwrap();
        let t = Instant::now();
        let plain = History::open(tmp.path(), "synthetic", DIM).unwrap();
        let open_plain = t.elapsed().as_secs_f64();
        drop(plain);
        fs_err::rename(&aside, &meta).unwrap();
        drop(h);
        let t = Instant::now();
        let mut h = History::open(tmp.path(), "synthetic", DIM).unwrap();
        let open_ann = t.elapsed().as_secs_f64();
        assert_eq!(h.indexed(), n);

        let t = Instant::now();
        let exact: Vec<_> = qs
            .iter()
            .map(|q| h.nearest_exact(q, 10, |_| true))
            .collect();
        let exact_ms = t.elapsed().as_secs_f64() * 1e3 / queries as f64;
        for &ef in &widths {
            h.set_search_width(ef);
            let t = Instant::now();
            let approx: Vec<_> = qs.iter().map(|q| h.nearest(q, 10, |_| true)).collect();
            let ann_ms = t.elapsed().as_secs_f64() * 1e3 / queries as f64;
            let hits: usize = exact
                .iter()
                .zip(&approx)
                .map(|(e, a)| {
                    e.iter()
                        .filter(|x| a.iter().any(|y| y.paper.id == x.paper.id))
                        .count()
                })
                .sum();
            let recall = hits as f64 / (10 * queries) as f64;
            // What novelty reads: the mean cosine of the 3 nearest papers.
            let top3 = |ns: &[arxrank::history::Neighbour]| {
                ns.iter().take(3).map(|n| n.cosine as f64).sum::<f64>() / 3.0
            };
            let novelty_err = exact
                .iter()
                .zip(&approx)
                .map(|(e, a)| (top3(e) - top3(a)).abs())
                .sum::<f64>()
                / queries as f64;
            println!(
                "| {n} | {ef} | {build:.1} | {open_plain:.2} | {open_ann:.2} | {exact_ms:.2} | {ann_ms:.3} | {:.1}x | {recall:.3} | {novelty_err:.4} | {:.1} | {:.1} |",
                exact_ms / ann_ms,
                open_plain + 700.0 * exact_ms / 1e3,
                open_ann + 700.0 * ann_ms / 1e3,
            );
        }
    }
}
