//! The candle embedder must reproduce sentence-transformers' all-MiniLM-L6-v2 vectors
//! (tests/data/minilm-reference.jsonl, 118 texts incl. one-word, unicode and >256-token ones).

mod common;

use arxrank::embed::{cosine, Embedder, TextKind};

#[test]
fn matches_sentence_transformers_reference_for_every_text() {
    let refs = common::read_jsonl(&common::data("minilm-reference.jsonl"));
    assert_eq!(refs.len(), 118);
    let texts: Vec<&str> = refs.iter().map(|r| r["text"].as_str().unwrap()).collect();
    let mut e = common::embedder();
    let batch = e.embed(&texts, TextKind::Document).unwrap();
    assert_eq!(batch.dim(), (118, 384));
    let mut worst = (1.0f32, "");
    for (i, r) in refs.iter().enumerate() {
        let want: Vec<f32> = r["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap() as f32)
            .collect();
        let got = batch.row(i).to_vec();
        let c = cosine(&got, &want);
        if c < worst.0 {
            worst = (c, texts[i]);
        }
        assert!(
            c >= 0.9999,
            "text {i} ({:?}...): cosine {c}",
            &texts[i].chars().take(40).collect::<String>()
        );
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "text {i} not unit length: {norm}"
        );
    }
    eprintln!(
        "worst cosine 1 - {:.2e} on {:?}",
        1.0 - worst.0,
        worst.1.chars().take(40).collect::<String>()
    );
}

#[test]
fn batch_result_equals_single_results() {
    let refs = common::read_jsonl(&common::data("minilm-reference.jsonl"));
    // Short, unicode, one-word and the longest (truncated) texts, mixed in one padded batch.
    let mut texts: Vec<&str> = refs.iter().map(|r| r["text"].as_str().unwrap()).collect();
    texts.sort_by_key(|t| t.len());
    let pick: Vec<&str> = texts
        .iter()
        .take(6)
        .chain(texts.iter().rev().take(6))
        .copied()
        .collect();
    let mut e = common::embedder();
    let batch = e.embed(&pick, TextKind::Document).unwrap();
    for (i, t) in pick.iter().enumerate() {
        let single = e.embed(&[t], TextKind::Document).unwrap();
        let c = cosine(&batch.row(i).to_vec(), &single.row(0).to_vec());
        assert!(c >= 0.99999, "text {i}: batch vs single cosine {c}");
    }
}

#[test]
fn long_texts_are_truncated_at_256_tokens_not_128() {
    // tokenizer.json ships with a 128-token truncation; the model's limit is 256. Two texts
    // that differ only after token 128 (but before 256) must embed differently. "model" is
    // one wordpiece, so the suffix starts at token 151.
    let base = "model ".repeat(150);
    let a = format!("{base} quantization pruning sparsity");
    let b = format!("{base} astronomy galaxies telescopes");
    let mut e = common::embedder();
    let v = e.embed(&[&a, &b], TextKind::Document).unwrap();
    let c = cosine(&v.row(0).to_vec(), &v.row(1).to_vec());
    assert!(
        c < 0.9999,
        "texts differing after token 128 embed the same: cosine {c}"
    );
}
