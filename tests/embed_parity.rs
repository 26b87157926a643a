//! Every engine must reproduce sentence-transformers' all-MiniLM-L6-v2 vectors
//! (tests/data/minilm-reference.jsonl, 118 texts incl. one-word, unicode and >256-token ones):
//! the native encoder and candle's to 1e-4, the int16 one to 1e-3.

mod common;

use arxrank::embed::{cosine, BertEmbedder, DeviceKind, Embedder, Engine, Precision, TextKind};

#[test]
fn native_f32_matches_sentence_transformers_reference_for_every_text() {
    let e = common::embedder();
    assert_eq!(e.engine(), Engine::Native(Precision::F32));
    assert_reference(e, 0.9999);
}

#[test]
fn candle_matches_sentence_transformers_reference_for_every_text() {
    // The engine CUDA runs on; on CPU it is also the bench's "stock candle" row.
    let e = BertEmbedder::load_with(&common::model_dir(), DeviceKind::Cpu, Engine::Candle).unwrap();
    assert_eq!(e.engine(), Engine::Candle);
    assert_reference(e, 0.9999);
}

#[test]
fn int16_stays_within_a_thousandth_of_the_reference() {
    let engine = Engine::Native(Precision::Int16);
    let e = BertEmbedder::load_with(&common::model_dir(), DeviceKind::Cpu, engine).unwrap();
    assert_eq!(e.engine(), engine);
    // Its vectors differ, so they must never share a history with f32 ones.
    assert_ne!(e.fingerprint(), common::embedder().fingerprint());
    assert_reference(e, 0.999);
}

fn assert_reference(mut e: BertEmbedder, min_cosine: f32) {
    let refs = common::read_jsonl(&common::data("minilm-reference.jsonl"));
    assert_eq!(refs.len(), 118);
    let texts: Vec<&str> = refs.iter().map(|r| r["text"].as_str().unwrap()).collect();
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
            c >= min_cosine,
            "{:?}, text {i} ({:?}...): cosine {c}",
            e.engine(),
            &texts[i].chars().take(40).collect::<String>()
        );
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(
            (norm - 1.0).abs() < 1e-4,
            "text {i} not unit length: {norm}"
        );
    }
    eprintln!(
        "{:?}: worst cosine 1 - {:.2e} on {:?}",
        e.engine(),
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
fn packing_texts_together_changes_nothing() {
    // The native encoder runs several texts as one token matrix; attention must still see
    // each text alone. One text per pack vs everything in one pack, bit for bit close.
    let refs = common::read_jsonl(&common::data("minilm-reference.jsonl"));
    let texts: Vec<&str> = refs.iter().map(|r| r["text"].as_str().unwrap()).collect();
    for precision in [Precision::F32, Precision::Int16] {
        let load = |tokens| {
            BertEmbedder::load_with(
                &common::model_dir(),
                DeviceKind::Cpu,
                Engine::Native(precision),
            )
            .unwrap()
            .with_batch_tokens(tokens)
        };
        let alone = load(1).embed(&texts, TextKind::Document).unwrap();
        let packed = load(1 << 20).embed(&texts, TextKind::Document).unwrap();
        for i in 0..texts.len() {
            let c = cosine(&alone.row(i).to_vec(), &packed.row(i).to_vec());
            assert!(
                c >= 0.999999,
                "{precision:?}, text {i}: alone vs packed cosine {c}"
            );
        }
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
