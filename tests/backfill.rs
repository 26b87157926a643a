//! `arxrank backfill` through the binary: kill -9 and resume, filters, bad lines, summary.

use crate::common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use arxrank::embed::Embedder;
use arxrank::history::History;

fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_arxrank"));
    c.args(args)
        .env("ARXRANK_MODELS_DIR", common::root().join("models"))
        .env("ARXRANK_THREADS", "2");
    c
}

fn arxrank(args: &[&str]) -> Output {
    cmd(args).output().expect("binary runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn kaggle() -> PathBuf {
    common::data("kaggle-arxiv-metadata-format-sample.jsonl")
}

/// The history a backfill wrote under `root`, opened with the model in use.
fn open(root: &Path) -> History {
    let m = common::model_dir();
    let dim = common::embedder().dim();
    History::open(&History::dir_for(root, &m.fingerprint), &m.fingerprint, dim).unwrap()
}

/// Starts a backfill and kills it (SIGKILL) once `lines` checkpoint lines have been printed
/// and `then` has passed: after a commit, or in the middle of embedding the next batch.
fn kill_after(args: &[&str], lines: usize, then: Duration) -> Vec<String> {
    let mut child: Child = cmd(args)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut seen = Vec::new();
    let mut checkpoints = 0;
    let stderr = BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        let line = line.unwrap();
        checkpoints += line.starts_with("checkpoint:") as usize;
        seen.push(line);
        if checkpoints == lines {
            break;
        }
    }
    std::thread::sleep(then);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the backfill finished before it was killed: {seen:?}"
    );
    seen
}

#[test]
fn kill_nine_then_resume_gives_the_same_history_as_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, killed) = (tmp.path().join("whole"), tmp.path().join("killed"));
    let input = kaggle();
    let args = |h: &Path| -> Vec<String> {
        [
            "backfill",
            s(&input),
            "--checkpoint",
            "16",
            "--history",
            s(h),
        ]
        .map(String::from)
        .to_vec()
    };
    let run = arxrank(&args(&whole).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let killed_args = args(&killed);
    let killed_args: Vec<&str> = killed_args.iter().map(String::as_str).collect();
    // Killed right after its second commit, then again mid-batch after one more commit.
    kill_after(&killed_args, 2, Duration::ZERO);
    let after_first = open(&killed).len();
    assert!(
        after_first >= 32,
        "{after_first} papers after two checkpoints"
    );
    let seen = kill_after(&killed_args, 1, Duration::from_millis(900));
    assert!(
        seen.iter()
            .any(|l| l.contains(&format!("({after_first} papers already,"))),
        "the resumed run did not start from the committed papers: {seen:?}"
    );
    // The killed runs could not clean up: `LOCK` is still there, naming a pid that is
    // gone. The kernel released the lock itself when the process died, so the next run
    // goes ahead without anyone deleting files.
    let hist_dir = History::dir_for(&killed, &common::model_dir().fingerprint);
    let lock = fs_err::read_to_string(hist_dir.join("LOCK")).unwrap();
    assert!(lock.starts_with("pid "), "{lock:?}");
    let partial = open(&killed).len();
    assert!(partial > after_first && partial < 200, "{partial}");
    let resumed = arxrank(&killed_args);
    let err = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{err}");
    let out = String::from_utf8_lossy(&resumed.stdout);
    assert!(
        out.contains(&format!("{partial} already stored")),
        "resume did not skip the stored papers: {out}"
    );

    let (a, b) = (open(&whole), open(&killed));
    assert_eq!(a.len(), 200, "every paper of the sample is stored once");
    let ids = |h: &History| h.papers().iter().map(|p| p.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&a),
        ids(&b),
        "same papers in the same order, none lost or doubled"
    );
    let mut worst = 0f32;
    for p in a.papers() {
        let (va, vb) = (a.vector(&p.id).unwrap(), b.vector(&p.id).unwrap());
        worst = va
            .iter()
            .zip(vb.iter())
            .map(|(x, y)| (x - y).abs())
            .fold(worst, f32::max);
    }
    eprintln!("kill/resume: {after_first} then {partial} papers committed before the kills; largest vector difference {worst:e}");
    // The resumed run embeds exactly the batches the uninterrupted one did.
    assert_eq!(worst, 0.0, "vectors differ by up to {worst}");
}

#[test]
fn filters_by_date_and_category_and_writes_a_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let summary = tmp.path().join("summary.json");
    // Expected from the raw records, independently of arxrank's reader.
    let want: HashSet<String> = common::read_jsonl(&kaggle())
        .iter()
        .filter(|r| {
            r["versions"][0]["created"]
                .as_str()
                .unwrap()
                .contains(" 1 Apr 2007")
        })
        .filter(|r| {
            r["categories"]
                .as_str()
                .unwrap()
                .split(' ')
                .any(|c| c == "hep-ph" || c.starts_with("math."))
        })
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(want.len() > 5 && want.len() < 49, "{}", want.len());
    let run = arxrank(&[
        "backfill",
        s(&kaggle()),
        "--from",
        "2007-04-01",
        "--to",
        "2007-04-01",
        "--categories",
        "hep-ph,math",
        "--history",
        s(&tmp.path().join("h")),
        "--summary",
        s(&summary),
        // Index from the first paper, so the run's last step (the ANN build) is checked too.
        "--ann-min-rows",
        "1",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: HashSet<String> = open(&tmp.path().join("h"))
        .papers()
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(got, want);
    let sum: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(sum["read"], 200);
    assert_eq!(sum["added"], want.len());
    assert_eq!(sum["filtered"], 200 - want.len());
    assert!(sum["tokens"].as_u64().unwrap() > 100 * want.len() as u64);
    assert!(sum["abstracts_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(sum["history_papers"], want.len());
    assert_eq!(sum["indexed_papers"], want.len());
    assert!(String::from_utf8_lossy(&run.stderr).contains(&format!("ANN index: +{}", want.len())));
    assert!(sum["history_dir"]
        .as_str()
        .unwrap()
        .contains(&common::model_dir().fingerprint));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("abstracts/s") && stdout.contains(&format!("{} added", want.len())));
}

#[test]
fn a_bad_line_stops_the_run_keeping_what_came_before_or_is_skipped_on_request() {
    let tmp = tempfile::tempdir().unwrap();
    let good: Vec<String> = fs_err::read_to_string(kaggle())
        .unwrap()
        .lines()
        .take(6)
        .map(String::from)
        .collect();
    let input = tmp.path().join("dump.jsonl");
    let text = format!(
        "{}\n{{\"id\": \"0704.9999\", \"title\": \"no abstract\", \"authors\": \"A. B\"}}\n{}\n{{broken\n{}\n",
        good[..3].join("\n"),
        good[3],
        good[4..].join("\n")
    );
    fs_err::write(&input, text).unwrap();
    let hist = tmp.path().join("h");
    let args = [
        "backfill",
        s(&input),
        "--history",
        s(&hist),
        "--checkpoint",
        "2",
    ];
    let run = arxrank(&args);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("dump.jsonl: line 4: missing or empty field `abstract`"),
        "{err}"
    );
    assert_eq!(
        open(&hist).len(),
        3,
        "the papers before the bad line are kept"
    );

    let run = arxrank(&[&args[..], &["--skip-invalid"]].concat());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains("line 4") && err.contains("line 6: malformed JSON"),
        "{err}"
    );
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(
        out.contains("3 already stored, 3 added, 2 invalid skipped"),
        "{out}"
    );
    assert_eq!(open(&hist).len(), 6);
}

#[test]
fn a_history_of_another_model_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let fp = common::model_dir().fingerprint;
    let dir = History::dir_for(&tmp.path().join("h"), &fp);
    fs_err::create_dir_all(&dir).unwrap();
    let manifest = r#"{"format":"arxrank-history","version":1,"fingerprint":"e5-small-000000000000","dim":384,"count":0,"segments":[]}"#;
    fs_err::write(dir.join("manifest.json"), manifest).unwrap();
    let run = arxrank(&[
        "backfill",
        s(&kaggle()),
        "--history",
        s(&tmp.path().join("h")),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        err.contains("manifest.json") && err.contains("e5-small-000000000000") && err.contains(&fp),
        "{err}"
    );
    assert!(
        !err.contains("checkpoint"),
        "refused only after embedding: {err}"
    );
    assert_eq!(
        fs_err::read_to_string(dir.join("manifest.json")).unwrap(),
        manifest
    );
}

#[test]
fn storage_precision_and_compute_precision_are_separate_flags() {
    // `--precision` is how the history stores vectors; `--compute` is the encoder's
    // arithmetic. Both on one command line must each do their own job.
    let tmp = tempfile::tempdir().unwrap();
    let run = arxrank(&[
        "backfill",
        s(&kaggle()),
        "--from",
        "2007-04-01",
        "--to",
        "2007-04-01",
        "--categories",
        "hep-ph",
        "--history",
        s(&tmp.path().join("h")),
        "--precision",
        "f16",
        "--compute",
        "int16",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let h = open(&tmp.path().join("h"));
    assert!(!h.papers().is_empty());
    assert_eq!(h.precision(), arxrank::history::StoragePrecision::F16);
    // int16 on CUDA is refused by name, whatever else is on the line.
    let bad = arxrank(&[
        "backfill",
        s(&kaggle()),
        "--device",
        "cuda",
        "--compute",
        "int16",
    ]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

fn cosine(a: &serde_json::Value, b: &serde_json::Value) -> f32 {
    let v = |x: &serde_json::Value| -> Vec<f32> {
        x.as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_f64().unwrap() as f32)
            .collect()
    };
    arxrank::embed::cosine(&v(a), &v(b))
}

#[test]
fn embed_writes_reference_vectors_and_history_export_gives_back_what_backfill_stored() {
    let tmp = tempfile::tempdir().unwrap();
    // Texts as they are: every vector is sentence-transformers' (the GPU check's parity step).
    let reference = common::data("minilm-reference.jsonl");
    let out = tmp.path().join("vectors.jsonl");
    let run = arxrank(&["embed", s(&reference), "--out", s(&out)]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("embedded 118 texts"));
    let want = common::read_jsonl(&reference);
    let got = common::read_jsonl(&out);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!(cosine(&g["embedding"], &w["embedding"]) > 0.9999);
    }

    // Papers: title and abstract, as backfill embeds them; export returns the ids in the
    // order they were added, each with the vector that `embed` gives for its paper.
    let h = tmp.path().join("h");
    let run = arxrank(&[
        "backfill",
        s(&kaggle()),
        "--history",
        s(&h),
        "--checkpoint",
        "64",
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let exported = tmp.path().join("export.jsonl");
    let run = arxrank(&[
        "history",
        "export",
        "--history",
        s(&h),
        "--out",
        s(&exported),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let papers = tmp.path().join("papers.jsonl");
    let run = arxrank(&["embed", s(&kaggle()), "--out", s(&papers)]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stored = common::read_jsonl(&exported);
    let embedded = common::read_jsonl(&papers);
    let ids = |rows: &[serde_json::Value]| -> Vec<String> {
        rows.iter()
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let raw: Vec<String> = common::read_jsonl(&kaggle())
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&stored), raw);
    assert_eq!(ids(&embedded), raw);
    for (a, b) in stored.iter().zip(&embedded) {
        assert!(cosine(&a["embedding"], &b["embedding"]) > 0.9999);
        assert!(!a["title"].as_str().unwrap().is_empty());
    }

    // Search by meaning: a paraphrase, not the title, finds the paper among the 200; a line
    // per paper, the id first, the cosine falling; an empty query is refused.
    for (query, want) in [
        ("silicon nanowires that are half-metallic", "0704.0109"),
        ("how the topology of a black hole can change", "0704.0100"),
    ] {
        let run = arxrank(&["search", query, "--k", "3", "--history", s(&h)]);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let out = String::from_utf8_lossy(&run.stdout);
        let lines: Vec<Vec<&str>> = out.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(lines[0][0], want, "{out}");
        let cosines: Vec<f32> = lines.iter().map(|l| l[1].parse().unwrap()).collect();
        assert!(cosines.windows(2).all(|w| w[0] >= w[1]), "{out}");
        assert!(
            raw.iter().any(|id| id == lines[1][0]) && lines[0].len() == 4,
            "{out}"
        );
    }
    let run = arxrank(&["search", "  ", "--history", s(&h)]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("the query is empty"));

    // A malformed line names the file and the line, exit 2, and nothing is written.
    let bad = tmp.path().join("bad.jsonl");
    fs_err::write(&bad, "{\"text\": \"fine\"}\n{\"text\": 3}\n").unwrap();
    let out = tmp.path().join("never.jsonl");
    let run = arxrank(&["embed", s(&bad), "--out", s(&out)]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("bad.jsonl") && err.contains("line 2"), "{err}");
    assert!(!out.exists());
}
