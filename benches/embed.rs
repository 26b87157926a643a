//! Embedding throughput on the 112 fixture abstracts (30 from the seed digest, 82 HF Daily
//! Papers), CPU: abstracts/s and tokens/s for each engine, printed as a Markdown table.
//!
//! `cargo bench --bench embed` (needs `arxrank model fetch`); `scripts/bench-embed` runs it
//! side by side with sentence-transformers and passes that run in through `BENCH_PEER`.
//! Environment:
//! - `BENCH_RUNS`: timed runs per row, default 3 (the best is reported).
//! - `BENCH_ENGINES`: comma-separated rows out of `f32`, `int16` (the native encoder at each
//!   precision) and `candle` (candle-transformers' stock `BertModel`); default all three.
//! - `BENCH_PACK_TOKENS`: comma-separated pack sizes for the native rows, default the
//!   built-in one.
//! - `BENCH_PEER`: JSON lines from `benches/st_embed.py` (`seconds`, `tokens`, `torch`);
//!   `BENCH_PEER_EMBEDDINGS`: its vectors, for the agreement column.
//! - `RAYON_NUM_THREADS`: threads, default all logical CPUs.

use std::path::Path;
use std::time::Instant;

use arxrank::embed::{
    cosine, BertEmbedder, ComputePrecision, DeviceKind, Embedder, Engine, ModelDir, TextKind,
    DEFAULT_MODEL,
};
use ndarray::Array2;

fn texts(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in [
        "tests/data/digest-2026-03-06.jsonl",
        "tests/data/hf-moe-papers.jsonl",
    ] {
        for line in fs_err::read_to_string(root.join(f)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            out.push(format!(
                "{}\n{}",
                v["title"].as_str().unwrap(),
                v["abstract"].as_str().unwrap()
            ));
        }
    }
    out
}

fn cpu_name() -> String {
    fs_err::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The peer's best run: (seconds, tokens, label).
fn peer() -> Option<(f64, u64, String)> {
    let path = std::env::var("BENCH_PEER").ok()?;
    let text = fs_err::read_to_string(&path).expect("BENCH_PEER is readable");
    let runs: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("BENCH_PEER holds JSON lines"))
        .collect();
    let best = runs.iter().min_by(|a, b| {
        a["seconds"]
            .as_f64()
            .partial_cmp(&b["seconds"].as_f64())
            .unwrap()
    })?;
    Some((
        best["seconds"].as_f64()?,
        best["tokens"].as_u64()?,
        format!(
            "sentence-transformers {} (PyTorch {}, batch {})",
            best["st"].as_str().unwrap_or("?"),
            best["torch"].as_str().unwrap_or("?"),
            best["batch_size"]
        ),
    ))
}

fn peer_vectors(texts: &[String]) -> Option<Vec<Vec<f32>>> {
    let path = std::env::var("BENCH_PEER_EMBEDDINGS").ok()?;
    let text = fs_err::read_to_string(path).expect("BENCH_PEER_EMBEDDINGS is readable");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), texts.len(), "peer embedded other texts");
    Some(
        rows.iter()
            .zip(texts)
            .map(|(r, t)| {
                assert_eq!(
                    r["text"].as_str(),
                    Some(t.as_str()),
                    "peer text order differs"
                );
                serde_json::from_value(r["embedding"].clone()).unwrap()
            })
            .collect(),
    )
}

fn worst_cosine(a: &Array2<f32>, b: &[Vec<f32>]) -> f32 {
    a.rows()
        .into_iter()
        .zip(b)
        .map(|(x, y)| cosine(x.as_slice().unwrap(), y))
        .fold(f32::MAX, f32::min)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        });
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let engines = env_list("BENCH_ENGINES", "f32,int16,candle");
    let packs = env_list("BENCH_PACK_TOKENS", "");
    let texts = texts(root);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let dir = ModelDir::resolve(DEFAULT_MODEL, &root.join("models"))
        .expect("run `arxrank model fetch` first");
    let peer = peer();
    let peer_vecs = peer_vectors(&texts);

    println!(
        "all-MiniLM-L6-v2 on CPU: {} ({threads} threads), {} texts, best of {runs} runs after one warm-up\n",
        cpu_name(),
        texts.len()
    );
    println!("| engine | seconds | abstracts/s | tokens/s | vs sentence-transformers | worst cosine vs sentence-transformers |");
    println!("|---|---:|---:|---:|---:|---:|");
    if let Some((secs, tokens, label)) = &peer {
        println!(
            "| {label} | {secs:.2} | {:.1} | {:.0} | 1.00x | 1 |",
            texts.len() as f64 / secs,
            *tokens as f64 / secs
        );
    }
    for name in &engines {
        let (engine, label) = match name.as_str() {
            "f32" => (Engine::Native(ComputePrecision::F32), "arxrank native, f32"),
            "int16" => (
                Engine::Native(ComputePrecision::Int16),
                "arxrank native, int16",
            ),
            "candle" => (Engine::Candle, "candle BertModel, f32"),
            other => panic!("unknown engine {other:?} in BENCH_ENGINES"),
        };
        let sizes: Vec<Option<usize>> = if packs.is_empty() || engine == Engine::Candle {
            vec![None]
        } else {
            packs.iter().map(|p| p.parse().ok()).collect()
        };
        for size in sizes {
            let mut e = BertEmbedder::load_with(&dir, DeviceKind::Cpu, engine).unwrap();
            assert_eq!(e.engine(), engine, "{name} fell back to another engine");
            if let Some(s) = size {
                e = e.with_batch_tokens(s);
            }
            let first = e.embed(&refs, TextKind::Document).unwrap();
            let tokens = e.tokens_processed();
            let best = (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(e.embed(&refs, TextKind::Document).unwrap());
                    t.elapsed().as_secs_f64()
                })
                .fold(f64::MAX, f64::min);
            let label = match size {
                Some(s) => format!("{label} ({s}-token packs)"),
                None => label.to_owned(),
            };
            let ratio = peer
                .as_ref()
                .map(|(s, ..)| format!("{:.2}x", s / best))
                .unwrap_or_else(|| "–".into());
            let agree = peer_vecs
                .as_ref()
                .map(|v| format!("{:.7}", worst_cosine(&first, v)))
                .unwrap_or_else(|| "–".into());
            println!(
                "| {label} | {best:.2} | {:.1} | {:.0} | {ratio} | {agree} |",
                texts.len() as f64 / best,
                tokens as f64 / best
            );
        }
    }
}
