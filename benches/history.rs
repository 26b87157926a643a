//! The history part of a daily `rank` at all-of-arXiv scale: open, the nearest stored papers
//! of every paper of a 700-paper day, append the day. One table row per history size.
//!
//! Histories are synthetic (said so in the output): clustered 384-d unit vectors under the
//! default model's fingerprint, built once through the real `append` into
//! `target/bench-history/<N>-<precision>/` (reused by later runs; `scripts/synthetic-history`
//! builds one anywhere). Each size is measured in a child process of its own, so its peak
//! resident memory (VmHWM, which counts the mapped vector pages it touched) is its own.
//! Ground truth for recall and novelty is exact f32 search over the same vectors,
//! regenerated from the seed, so an f16 history's rounding is measured too.
//!
//! `cargo bench --bench history` (sizes 1M and 3M; `HISTORY_BENCH_SIZES=100000` to pick,
//! `HISTORY_BENCH_PRECISION=f32` for f32 storage, `HISTORY_BENCH_QUERIES` (700) per day;
//! `HISTORY_BENCH_REAL=<history root>` adds a row on real vectors, see `scripts/bench-history`).
//! `scripts/bench-history` runs it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use arxrank::embed::{ModelManifest, DEFAULT_MODEL};
use arxrank::history::synthetic::{fill, paper, Synthetic};
use arxrank::history::{History, StoragePrecision};
use ndarray::{Array2, Axis};

const DIM: usize = 384;
const SEED: u64 = 1;
const QUERY_SEED: u64 = 99;
const K: usize = 10;

fn fingerprint() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    ModelManifest::find(DEFAULT_MODEL, &root.join("models"))
        .expect("the default model's manifest")
        .fingerprint()
}

fn root_for(n: usize, precision: StoragePrecision) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-history")
        .join(format!("{n}-{precision}"))
}

fn peak_rss_mb() -> f64 {
    let status = fs_err::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn queries(n: usize) -> Array2<f32> {
    let mut gen = Synthetic::new(QUERY_SEED, DIM);
    let mut q = Array2::zeros((n, DIM));
    for mut row in q.axis_iter_mut(Axis(0)) {
        row.assign(&ndarray::ArrayView1::from(&gen.vector()));
    }
    q
}

/// Builds the synthetic history of `n` papers, unless a run before did.
fn ensure(n: usize, precision: StoragePrecision) -> PathBuf {
    let fp = fingerprint();
    let root = root_for(n, precision);
    let dir = History::dir_for(&root, &fp);
    let mut h = History::open(&dir, &fp, DIM).unwrap();
    if h.len() >= n {
        return root;
    }
    assert!(
        h.is_empty(),
        "{}: a partial history; delete it",
        dir.display()
    );
    h.set_precision(precision).unwrap();
    let start = Instant::now();
    let mut gen = Synthetic::new(SEED, DIM);
    fill(&mut h, &mut gen, 0, n, 100_000, |done| {
        eprint!("\rbuilding {n}: {done}");
    })
    .unwrap();
    eprintln!(
        "\rbuilt {} synthetic papers ({precision}) in {:.0} s",
        n,
        start.elapsed().as_secs_f64()
    );
    root
}

/// Exact f32 top-K of every query over the first `n` vectors of the seeded stream.
fn ground_truth(n: usize, q: &Array2<f32>) -> Vec<Vec<(f32, usize)>> {
    let mut gen = Synthetic::new(SEED, DIM);
    let mut best: Vec<Vec<(f32, usize)>> = vec![Vec::new(); q.nrows()];
    let chunk = 50_000;
    let mut start = 0;
    while start < n {
        let m = chunk.min(n - start);
        let mut block = Array2::zeros((m, DIM));
        for mut row in block.axis_iter_mut(Axis(0)) {
            row.assign(&ndarray::ArrayView1::from(&gen.vector()));
        }
        let scores = q.dot(&block.t());
        for (b, line) in best.iter_mut().zip(scores.axis_iter(Axis(0))) {
            for (j, &c) in line.iter().enumerate() {
                if b.len() < K || c > b[K - 1].0 {
                    let pos = b.partition_point(|&(x, _)| x >= c);
                    b.insert(pos, (c, start + j));
                    b.truncate(K);
                }
            }
        }
        start += m;
    }
    best
}

/// The child: one size, measured from a cold start of this process.
fn measure(root: &Path, n_queries: usize) {
    let fp = fingerprint();
    let dir = History::dir_for(root, &fp);
    let q = queries(n_queries);
    let t = Instant::now();
    let mut h = History::open(&dir, &fp, DIM).unwrap();
    let open = t.elapsed().as_secs_f64();
    let rows = h.len();
    let t = Instant::now();
    let found = h.nearest_many(q.view(), K, |_, _| true);
    let search = t.elapsed().as_secs_f64();
    // One query at a time, as `arxrank search` (and the search before batching) asks: the
    // history's `nearest` (the ANN index where it has one, an exact scan otherwise), each of
    // 20 queries timed on its own; their mean, scaled to the day, is the unbatched cost.
    let mut one: Vec<f64> = (0..20.min(n_queries))
        .map(|i| {
            let qi = q.row(i);
            let t = Instant::now();
            h.nearest(qi.as_slice().unwrap(), K, |_| true);
            t.elapsed().as_secs_f64()
        })
        .collect();
    let one_by_one = one.iter().sum::<f64>() / one.len() as f64 * n_queries as f64;
    one.sort_by(f64::total_cmp);
    let pct = |p: usize| one[(one.len() * p / 100).min(one.len() - 1)];
    let (one_p50, one_p95) = (pct(50), pct(95));
    // Append the day: 700 new papers after the history's rows. The history is put back
    // as it was afterwards (its manifest restored, the new segment deleted), so every run
    // measures the same history.
    let saved: Vec<(PathBuf, Vec<u8>)> = ["manifest.json", "verified.json"]
        .iter()
        .map(|f| dir.join(f))
        .filter_map(|p| fs_err::read(&p).ok().map(|b| (p, b)))
        .collect();
    let before: std::collections::HashSet<PathBuf> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let t = Instant::now();
    let mut gen = Synthetic::new(QUERY_SEED, DIM);
    let day: Vec<Vec<f32>> = (0..n_queries).map(|_| gen.vector()).collect();
    let rows_in: Vec<_> = day
        .iter()
        .enumerate()
        .map(|(i, v)| (paper(rows + i), v.as_slice()))
        .collect();
    h.append(&rows_in).unwrap();
    let index = h.build_index(usize::MAX).unwrap();
    let append = t.elapsed().as_secs_f64();
    let rss = peak_rss_mb();
    drop(h);
    for (p, b) in saved {
        fs_err::write(p, b).unwrap();
    }
    for e in fs_err::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if !before.contains(&p) && p.is_file() {
            fs_err::remove_file(p).unwrap();
        }
    }
    let found: Vec<Vec<(f32, String)>> = found
        .iter()
        .map(|f| {
            f.iter()
                .map(|n| (n.cosine, n.paper.id.to_string()))
                .collect()
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "rows": rows, "open": open, "search": search, "append": append,
            "one_by_one": one_by_one, "one_p50": one_p50, "one_p95": one_p95,
            "index_rows_added": index, "peak_rss_mb": rss, "found": found,
        })
    );
}

/// Recall on real vectors: a history backfilled from the labelled pools (`HISTORY_BENCH_REAL`,
/// a history root under the default model), its last `n_queries` papers as the day, each
/// query's own row left out. Ground truth is one-query-at-a-time exact search over the same
/// stored vectors, so this measures the batched search's integer filter alone.
fn measure_real(root: &Path, n_queries: usize) {
    let fp = fingerprint();
    let dir = History::dir_for(root, &fp);
    let t = Instant::now();
    let h = History::open(&dir, &fp, DIM).unwrap();
    let open = t.elapsed().as_secs_f64();
    let rows = h.len();
    let day = &h.papers()[rows.saturating_sub(n_queries)..];
    let mut q = Array2::<f32>::zeros((day.len(), DIM));
    for (mut row, p) in q.axis_iter_mut(Axis(0)).zip(day) {
        row.assign(&ndarray::ArrayView1::from(&*h.vector(&p.id).unwrap()));
    }
    let t = Instant::now();
    let found = h.nearest_many(q.view(), K, |i, p| p.id != day[i].id);
    let search = t.elapsed().as_secs_f64();
    let (mut hits, mut total, mut deltas) = (0, 0, Vec::new());
    for (i, f) in found.iter().enumerate() {
        let qi = q.row(i);
        let want = h.nearest_exact(qi.as_slice().unwrap(), K, |p| p.id != day[i].id);
        total += want.len();
        hits += want
            .iter()
            .filter(|w| f.iter().any(|n| n.paper.id == w.paper.id))
            .count();
        let mean = |xs: &[arxrank::history::Neighbour]| {
            xs.iter().take(3).map(|n| n.cosine).sum::<f32>() / 3.0
        };
        deltas.push((mean(f) - mean(&want)).abs());
    }
    deltas.sort_by(f32::total_cmp);
    let p99 = deltas[(deltas.len() * 99 / 100).min(deltas.len() - 1)];
    println!(
        "\nREAL vectors: the labelled pools backfilled into {} ({}), the last {} papers as the day.\n",
        root.display(),
        h.precision(),
        day.len()
    );
    println!("| papers | stored | open s | search {n}, batched s | recall@10 | novelty error p99 | novelty error max |", n = day.len());
    println!("|---:|---|---:|---:|---:|---:|---:|");
    println!(
        "| {rows} | {} | {open:.2} | {search:.2} | {:.4} | {p99:.5} | {:.5} |",
        h.precision(),
        hits as f64 / total as f64,
        deltas.last().unwrap()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_queries: usize = std::env::var("HISTORY_BENCH_QUERIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(700);
    if let Some(i) = args.iter().position(|a| a == "--measure") {
        measure(Path::new(&args[i + 1]), n_queries);
        return;
    }
    if args.iter().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let precision = match std::env::var("HISTORY_BENCH_PRECISION").as_deref() {
        Ok("f32") => StoragePrecision::F32,
        _ => StoragePrecision::F16,
    };
    let sizes: Vec<usize> = std::env::var("HISTORY_BENCH_SIZES")
        .unwrap_or_else(|_| "1000000,3000000".into())
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().expect("a size"))
        .collect();
    let threads = rayon::current_num_threads();
    println!(
        "History search at scale: SYNTHETIC clustered 384-d vectors ({precision}), exact batched \
         search (one matrix product per block of 8,192 stored rows against the day's {n_queries} \
         queries), {threads} threads; ground truth: exact f32 over the same vectors regenerated \
         from the seed.\n"
    );
    println!("| papers | stored | open s | search {n_queries}, batched s | the same one query at a time s | one query (`search`) p50 / p95 ms | append + index s | history part s | peak RSS MB | recall@10 | novelty error p99 | novelty error max |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let root = ensure(n, precision);
        let exe = std::env::current_exe().unwrap();
        // Drop the page cache's copy? Not possible unprivileged; the child starts warm if
        // `ensure` just wrote the files, as a daily run right after a backfill would.
        let out = std::process::Command::new(exe)
            .arg("--measure")
            .arg(&root)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rows = m["rows"].as_u64().unwrap() as usize;
        let q = queries(n_queries);
        let truth = ground_truth(rows, &q);
        let mut hits = 0;
        let mut deltas = Vec::new();
        for (f, t) in m["found"].as_array().unwrap().iter().zip(&truth) {
            let f = f.as_array().unwrap();
            let ids: Vec<String> = f
                .iter()
                .map(|x| x[1].as_str().unwrap().to_owned())
                .collect();
            hits += t
                .iter()
                .filter(|(_, r)| ids.contains(&paper(*r).id.to_string()))
                .count();
            let mean = |xs: &[f32]| xs.iter().take(3).sum::<f32>() / 3.0;
            let got: Vec<f32> = f.iter().map(|x| x[0].as_f64().unwrap() as f32).collect();
            let want: Vec<f32> = t.iter().map(|x| x.0).collect();
            deltas.push((mean(&got) - mean(&want)).abs());
        }
        deltas.sort_by(f32::total_cmp);
        let p99 = deltas[(deltas.len() * 99 / 100).min(deltas.len() - 1)];
        let max = *deltas.last().unwrap();
        let recall = hits as f64 / (truth.len() * K) as f64;
        let (open, search, append) = (
            m["open"].as_f64().unwrap(),
            m["search"].as_f64().unwrap(),
            m["append"].as_f64().unwrap(),
        );
        println!(
            "| {rows} | {precision} | {open:.2} | {search:.2} | {:.1} | {:.0} / {:.0} | {append:.2} | {:.2} | {:.0} | {recall:.4} | {p99:.5} | {max:.5} |",
            m["one_by_one"].as_f64().unwrap(),
            m["one_p50"].as_f64().unwrap() * 1e3,
            m["one_p95"].as_f64().unwrap() * 1e3,
            open + search + append,
            m["peak_rss_mb"].as_f64().unwrap()
        );
    }
    if let Some(real) = std::env::var_os("HISTORY_BENCH_REAL") {
        measure_real(Path::new(&real), n_queries);
    }
}
