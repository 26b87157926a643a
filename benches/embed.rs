//! Embedding throughput on the 112 fixture abstracts (30 from the seed digest, 82 HF Daily
//! Papers), CPU, f32: abstracts/s and tokens/s, printed as a Markdown table.
//!
//! `cargo bench --bench embed` (needs `arxrank model fetch`). Environment:
//! `BENCH_RUNS` (timed runs per row, default 3), `BENCH_BATCH_TOKENS` (comma-separated
//! padded-token budgets per forward pass, default 4096), `RAYON_NUM_THREADS` (threads,
//! default all logical CPUs).

use std::path::Path;
use std::time::Instant;

use arxrank::embed::{BertEmbedder, DeviceKind, Embedder, ModelDir, TextKind, DEFAULT_MODEL};

fn texts(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in [
        "tests/data/digest-2026-03-06.jsonl",
        "tests/data/hf-moe-papers.jsonl",
    ] {
        for line in std::fs::read_to_string(root.join(f)).unwrap().lines() {
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
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
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
    std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let budgets: Vec<usize> = std::env::var("BENCH_BATCH_TOKENS")
        .unwrap_or_else(|_| "4096".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let texts = texts(root);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let dir = ModelDir::resolve(DEFAULT_MODEL, &root.join("models"))
        .expect("run `arxrank model fetch` first");

    println!("all-MiniLM-L6-v2, f32, CPU: {} ({threads} threads), {} texts, best of {runs} runs after one warm-up\n", cpu_name(), texts.len());
    println!("| batch tokens | seconds | abstracts/s | tokens/s |");
    println!("|---:|---:|---:|---:|");
    for budget in budgets {
        let mut e = BertEmbedder::load(&dir, DeviceKind::Cpu)
            .unwrap()
            .with_batch_tokens(budget);
        e.embed(&refs, TextKind::Document).unwrap();
        let tokens_per_pass = e.tokens_processed();
        let best = (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(e.embed(&refs, TextKind::Document).unwrap());
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min);
        println!(
            "| {budget} | {best:.2} | {:.1} | {:.0} |",
            texts.len() as f64 / best,
            tokens_per_pass as f64 / best
        );
    }
}
