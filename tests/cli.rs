//! The `arxrank` binary end to end: exit codes, what is (not) written, the digest's content.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::arxrank;

const HOSTILE: &str = r#"{"id": "2603.09999", "title": "Pwn <script>alert('t')</script> [x](javascript:alert(1))", "authors": ["Mallory <b>"], "abstract": "\"><img src=x onerror=alert(1)> We study sparse Mixture-of-Experts (MoE) transformers with post-training quantization, structured pruning & low-rank KV cache compression; see <a href=http://evil>here</a>.", "categories": ["cs.LG"]}"#;

/// The seed day's 30 GPT-5-selected papers plus one hostile entry, as a JSONL listing.
fn seed_listing(dir: &Path) -> PathBuf {
    let mut text = fs_err::read_to_string(common::data("digest-2026-03-06.jsonl")).unwrap();
    text.push_str(HOSTILE);
    text.push('\n');
    let p = dir.join("2026-03-06.jsonl");
    fs_err::write(&p, text).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn ranks_the_seed_day_into_a_digest_like_the_seed() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let out = dir.path().join("out");
    let topics = common::root().join("topics");
    let h1 = dir.path().join("h1");
    let run = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out),
        "--topics",
        s(&topics),
        "--date",
        "2026-03-06",
        "--history",
        s(&h1),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let day = out.join("2026-03-06");
    let md = fs_err::read_to_string(day.join("output.md")).unwrap();
    assert!(md.starts_with("# Personalized Daily ArXiv Papers 2026-03-06"));
    assert!(md.contains("Total arXiv papers: 31"));
    assert!(md.contains("Total scanned papers: 31"));
    assert!(md.contains("| $0 |"));
    assert!(md.contains("**Table of contents with paper titles:**"));
    // LeCun's two papers are author matches and come first, as in the seed digest.
    let first = md.find("## 1. ").unwrap();
    assert!(
        md[first..].starts_with("## 1. [The Spike, the Sparse and the Sink")
            || md[first..].starts_with("## 1. [AI+HW 2035"),
        "{}",
        &md[first..first + 120]
    );
    assert_eq!(
        md.matches("**Comment:** Author match: Yann LeCun").count(),
        2
    );
    assert!(md.contains("**Novelty:** unavailable"));
    // Hostile text is inert in the Markdown (which viewers render as HTML).
    assert!(
        !md.contains("<script>") && !md.contains("<img") && !md.contains("<a href"),
        "raw HTML leaked"
    );
    assert!(
        md.contains(
            "Pwn &lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; \\[x\\](javascript:alert(1))"
        ),
        "hostile title not selected or not escaped"
    );
    assert!(md.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(md.contains("Mallory &lt;b&gt;"));

    let json: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(day.join("output.json")).unwrap()).unwrap();
    let obj = json.as_object().unwrap();
    assert_eq!(obj.len(), 31, "every scanned paper is kept in output.json");
    for (id, v) in obj {
        assert_eq!(v["ARXIVID"].as_str(), Some(id.as_str()));
        for key in [
            "COMMENT",
            "RELEVANCE",
            "NOVELTY",
            "SCORE",
            "title",
            "authors",
            "abstract",
        ] {
            assert!(v.get(key).is_some(), "{id} lacks {key}");
        }
        assert!(v["NOVELTY"].is_null());
        let r = v["RELEVANCE"].as_u64().unwrap();
        assert!((1..=10).contains(&r));
        assert_eq!(
            v["arxrank"]["topic_similarity"].as_object().unwrap().len(),
            4
        );
    }
    // The seed's papers are GPT-5's picks for this profile: most reach the digest.
    let selected = obj
        .values()
        .filter(|v| v["arxrank"]["selected"] == true)
        .count();
    assert!(
        selected >= 15,
        "only {selected} of the seed's 30 papers selected"
    );

    // Same input, same scores: rerun and compare everything but timing.
    let out2 = dir.path().join("out2");
    // Same day again on the history the first run filled: only earlier days are the past,
    // so the digest is the same.
    let run2 = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out2),
        "--topics",
        s(&topics),
        "--date",
        "2026-03-06",
        "--history",
        s(&h1),
    ]);
    assert!(run2.status.success());
    assert_eq!(
        fs_err::read(day.join("output.json")).unwrap(),
        fs_err::read(out2.join("2026-03-06/output.json")).unwrap(),
        "scores are not deterministic"
    );
}

#[test]
fn reads_gpt_paper_assistant_config() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let out = dir.path().join("out");
    let run = arxrank(&[
        "rank",
        s(&listing),
        "--out",
        s(&out),
        "--date",
        "2026-03-06",
        "--topics",
        s(&common::data("paper_topics.txt")),
        "--authors",
        s(&common::data("authors.txt")),
        "--no-history",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("2026-03-06/output.json")).unwrap())
            .unwrap();
    let spike = &json["2603.05498"];
    assert_eq!(spike["arxrank"]["author_match"], "Yann LeCun");
    let topics: Vec<&String> = spike["arxrank"]["topic_similarity"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(
        topics,
        [
            "Model Architecture",
            "Model Compression and Efficiency",
            "High Performance Computing",
            "Representation Learning"
        ]
    );
}

#[test]
fn malformed_listing_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.jsonl");
    fs_err::write(&bad, "{\"id\":\"2505.00001\",\"title\":\"T\",\"authors\":[\"A\"],\"abstract\":\"x\"}\n{\"id\":\"2505.00002\",\"title\":\"T\"}\n").unwrap();
    let out = dir.path().join("out");
    let hist = dir.path().join("history");
    let run = arxrank(&["rank", s(&bad), "--out", s(&out), "--history", s(&hist)]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("broken.jsonl: line 2: missing or empty field `abstract`"),
        "{err}"
    );
    assert!(
        !out.exists() && !hist.exists(),
        "output written despite bad input"
    );

    let run = arxrank(&[
        "rank",
        s(&bad),
        "--out",
        s(&out),
        "--date",
        "13/05/2025",
        "--no-history",
    ]);
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn missing_model_says_how_to_install_it() {
    let dir = tempfile::tempdir().unwrap();
    let listing = seed_listing(dir.path());
    let run = Command::new(env!("CARGO_BIN_EXE_arxrank"))
        .args(["rank", s(&listing), "--topics"])
        .arg(common::root().join("topics"))
        .args([
            "--models-dir",
            s(dir.path()),
            "--out",
            s(&dir.path().join("out")),
        ])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("is not installed") && err.contains("arxrank model fetch all-MiniLM-L6-v2"),
        "{err}"
    );
}

#[test]
fn tampered_model_file_is_rejected_by_checksum() {
    let dir = tempfile::tempdir().unwrap();
    let src = common::model_dir().root;
    let dst = dir.path().join("all-MiniLM-L6-v2");
    fs_err::create_dir_all(dst.join("1_Pooling")).unwrap();
    for f in [
        "model.safetensors",
        "tokenizer.json",
        "1_Pooling/config.json",
    ] {
        fs_err::copy(src.join(f), dst.join(f)).unwrap();
    }
    let cfg = fs_err::read_to_string(src.join("config.json")).unwrap();
    fs_err::write(
        dst.join("config.json"),
        cfg.replace("\"num_hidden_layers\": 6", "\"num_hidden_layers\": 5"),
    )
    .unwrap();
    let err = arxrank::embed::ModelDir::resolve("all-MiniLM-L6-v2", dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("config.json") && err.contains("sha256"),
        "{err}"
    );
}
