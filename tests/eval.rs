//! `arxrank eval` end to end on the real labelled pools of labelled/ (copied to
//! tests/data): both sets with their own profiles, rankers side by side, tuning held out by
//! day, calibration written into a profile, external scores, and bad input.

use crate::common;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

const POOL: &str = "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl";
const GRADED: &str = "jackyfl-gpt41-labels_dwdengwei-pool_2025-10-22.jsonl";

fn arxrank(args: &[&str]) -> Output {
    common::arxrank(&[&["eval"], args].concat())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(run: &Output) {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// The metric named `name` of ranker `ranker` in set `set` of an eval.json.
fn metric(report: &Value, set: usize, ranker: &str, name: &str) -> (f64, f64, f64) {
    let col = report["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .position(|m| m == name)
        .unwrap();
    let r = report["sets"][set]["rankers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == ranker)
        .unwrap_or_else(|| panic!("no ranker {ranker}"));
    let e = &r["metrics"][col];
    (
        e["value"].as_f64().unwrap(),
        e["lo"].as_f64().unwrap(),
        e["hi"].as_f64().unwrap(),
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for e in fs_err::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        fs_err::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

#[test]
fn compares_rankers_on_both_labelled_sets_tunes_by_day_and_calibrates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let cache = dir.path().join("cache");
    // Profiles are copied: --calibrate writes into them.
    let p1 = dir.path().join("p-2025-05");
    let p2 = dir.path().join("p-2025-10");
    copy_dir(&common::root().join("topics/daizedong-2025-05"), &p1);
    copy_dir(&common::root().join("topics/jackyfl-2025-10"), &p2);
    let run = arxrank(&[
        s(&common::data(POOL)),
        s(&common::data(GRADED)),
        "--topics",
        s(&p1),
        "--topics",
        s(&p2),
        "--tune",
        "--calibrate",
        "--out",
        s(&out),
        "--cache",
        s(&cache),
    ]);
    ok(&run);
    let md = fs_err::read_to_string(out.join("eval.md")).unwrap();
    eprintln!("{md}");
    let report: Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    let sets = report["sets"].as_array().unwrap();
    assert_eq!(sets.len(), 2);
    // The pool: 916 rows, 54 selected; the graded set: only the 146 papers the judge saw.
    assert_eq!(
        (sets[0]["papers"].as_u64(), sets[0]["positives"].as_u64()),
        (Some(916), Some(54))
    );
    assert_eq!(
        (sets[1]["papers"].as_u64(), sets[1]["unjudged"].as_u64()),
        (Some(146), Some(70))
    );
    assert_eq!(sets[1]["graded"].as_u64(), Some(42));

    // The hybrid against the baselines on the six-topic pool, in the same run.
    let hybrid = metric(&report, 0, "hybrid", "ROC-AUC");
    for other in ["bm25", "keyword-only", "embedding-only", "random"] {
        let o = metric(&report, 0, other, "ROC-AUC");
        assert!(hybrid.0 > o.0, "hybrid AUC {hybrid:?} vs {other} {o:?}");
    }
    let ap = metric(&report, 0, "hybrid", "AP").0;
    assert!(ap > metric(&report, 0, "keyword-only", "AP").0);
    assert!(ap > metric(&report, 0, "bm25", "AP").0, "hybrid AP {ap}");
    // Random is no better than chance, and the hybrid's interval clears it.
    for set in 0..2 {
        let r = metric(&report, set, "random", "ROC-AUC");
        assert!((0.4..0.65).contains(&r.0), "random AUC {r:?}");
        assert!(r.1 <= r.0 && r.0 <= r.2);
    }
    assert!(hybrid.1 > metric(&report, 0, "random", "ROC-AUC").0);
    // Graded labels: rank correlations exist where grades do.
    let rho = metric(&report, 1, "hybrid", "Spearman");
    assert!(rho.0 > 0.3 && rho.1 <= rho.0 && rho.0 <= rho.2, "{rho:?}");

    // Tuning: two folds, each measured on the day it did not train on.
    let folds = sets[0]["tune"]["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 2);
    for f in folds {
        let test = f["test_day"].as_str().unwrap();
        let train: Vec<&str> = f["train_days"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        assert!(!train.contains(&test) && !train.is_empty());
        assert!(f["tuned"][0].as_f64().unwrap() > 0.5);
    }
    assert!(sets[1]["tune"].is_null(), "one day: nothing to hold out");
    assert!(md.contains("not tuned"), "the report says why");

    // Calibration: the fitted scale selects the judge's share, and the profile keeps it.
    for (set, dir, share) in [(0, &p1, 54), (1, &p2, 42)] {
        let c = &sets[set]["calibration"];
        assert_eq!(c["fitted_selection"]["selected"].as_u64(), Some(share));
        let stored = arxrank::topics::Profile::load(dir).unwrap();
        let fitted = c["fitted"]["raw_at_10"].as_f64().unwrap();
        assert!((stored.scale.raw_at_10 as f64 - fitted).abs() < 1e-3);
        assert!(stored.scale.calibrated.unwrap().contains("arxrank eval on"));
    }

    // Plots and per-paper scores for each set.
    for set in sets {
        let d = out.join(set["name"].as_str().unwrap());
        for svg in ["pr.svg", "scores.svg"] {
            let text = fs_err::read_to_string(d.join(svg)).unwrap();
            assert!(text.starts_with("<svg") && text.contains("hybrid") && text.contains("bm25"));
            assert!(
                text.matches("<polyline").count() >= 5,
                "{svg}: one curve per ranker"
            );
        }
        let rows = common::read_jsonl(&d.join("scores.jsonl"));
        assert_eq!(rows.len() as u64, set["papers"].as_u64().unwrap());
    }

    // External scores: the hybrid's own scores, read back as another tool's, measure the
    // same. No model is needed for this run, and the cache makes it embed nothing.
    let rows = common::read_jsonl(
        &out.join(sets[1]["name"].as_str().unwrap())
            .join("scores.jsonl"),
    );
    let ext: serde_json::Map<String, Value> = rows
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r["hybrid"].clone()))
        .collect();
    let ext_path = dir.path().join("ext.json");
    fs_err::write(&ext_path, Value::Object(ext).to_string()).unwrap();
    let out2 = dir.path().join("out2");
    let run = arxrank(&[
        s(&common::data(GRADED)),
        "--topics",
        s(&p2),
        "--rankers",
        "random",
        "--external",
        &format!("mine={}", s(&ext_path)),
        "--out",
        s(&out2),
    ]);
    ok(&run);
    let again: Value =
        serde_json::from_str(&fs_err::read_to_string(out2.join("eval.json")).unwrap()).unwrap();
    for m in ["ROC-AUC", "AP", "nDCG@10", "Kendall"] {
        assert_eq!(
            metric(&again, 0, "mine", m),
            metric(&report, 1, "hybrid", m),
            "{m}"
        );
    }
}

#[test]
fn output_json_labels_join_a_listing() {
    // Day 1 of the pool as a plain listing, and its selected papers as
    // ChatGPT-ArXiv-Paper-Assistant's output.json (object keyed by id, RELEVANCE, NOVELTY).
    let dir = tempfile::tempdir().unwrap();
    let rows = common::read_jsonl(&common::data(POOL));
    let day1: Vec<&Value> = rows.iter().filter(|r| r["date"] == "2025-05-12").collect();
    let mut listing = String::new();
    let mut output = serde_json::Map::new();
    for r in &day1 {
        let mut plain = r.as_object().unwrap().clone();
        plain.remove("label");
        listing += &Value::Object(plain).to_string();
        listing.push('\n');
        if r["label"]["selected"] == true {
            let id = r["id"].as_str().unwrap();
            output.insert(
                id.into(),
                serde_json::json!({"ARXIVID": id, "RELEVANCE": r["label"]["relevance"], "NOVELTY": r["label"]["novelty"], "title": r["title"]}),
            );
        }
    }
    let l = dir.path().join("2025-05-12.jsonl");
    let o = dir.path().join("2025-05-12-output.json");
    fs_err::write(&l, listing).unwrap();
    fs_err::write(&o, Value::Object(output).to_string()).unwrap();
    let out = dir.path().join("out");
    let run = arxrank(&[
        "--listing",
        s(&l),
        "--labels",
        s(&o),
        "--topics",
        s(&common::root().join("topics/daizedong-2025-05")),
        "--rankers",
        "keyword-only,bm25",
        "--bootstrap",
        "200",
        "--out",
        s(&out),
    ]);
    ok(&run);
    let report: Value =
        serde_json::from_str(&fs_err::read_to_string(out.join("eval.json")).unwrap()).unwrap();
    let set = &report["sets"][0];
    assert_eq!(set["papers"].as_u64(), Some(day1.len() as u64));
    assert_eq!(set["positives"].as_u64(), Some(18));
    assert_eq!(set["graded"].as_u64(), Some(18));
    assert!(set["unmatched"].as_array().unwrap().is_empty());
    assert!(metric(&report, 0, "bm25", "ROC-AUC").0 > 0.6);
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs_err::read_to_string(common::data(GRADED)).unwrap();
    let first = good.lines().next().unwrap();
    let bad = dir.path().join("bad.jsonl");
    fs_err::write(
        &bad,
        format!("{first}\n{{\"id\": \"2510.1\", \"label\": \n"),
    )
    .unwrap();
    let out = dir.path().join("out");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![s(&bad).into()], "bad.jsonl: line 2: malformed JSON"),
        (
            vec![
                s(&common::data(GRADED)).into(),
                "--topics".into(),
                "a".into(),
                "--topics".into(),
                "b".into(),
            ],
            "--topics given 2 times for 1 sets",
        ),
        (
            vec![
                s(&common::data(GRADED)).into(),
                "--listing".into(),
                s(&bad).into(),
            ],
            "--listing and --labels go in pairs",
        ),
        (vec![], "no labelled sets"),
    ];
    for (args, want) in cases {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend(["--rankers", "random", "--out", s(&out)]);
        let run = arxrank(&a);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
    }
    assert!(!out.exists(), "nothing written on bad input");
}

#[test]
fn int16_ranks_the_labelled_pool_like_f32() {
    // The reduced-precision engine is accepted only if it orders a real day's papers as f32
    // does and scores the same against the judge.
    let dir = tempfile::tempdir().unwrap();
    let run = |precision: &str| {
        let out = dir.path().join(precision);
        ok(&arxrank(&[
            s(&common::data(POOL)),
            "--topics",
            s(&common::root().join("topics/daizedong-2025-05")),
            "--rankers",
            "hybrid",
            "--bootstrap",
            "100",
            "--no-cache",
            "--compute",
            precision,
            "--out",
            s(&out),
        ]));
        let report: Value =
            serde_json::from_str(&fs_err::read_to_string(out.join("eval.json")).unwrap()).unwrap();
        let set = report["sets"][0]["name"].as_str().unwrap().to_owned();
        let scores: Vec<(String, f64)> = common::read_jsonl(&out.join(set).join("scores.jsonl"))
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_owned(),
                    r["hybrid"].as_f64().unwrap(),
                )
            })
            .collect();
        (report, scores)
    };
    let (f32_report, f32_scores) = run("f32");
    let (int_report, int_scores) = run("int16");
    assert_eq!(f32_scores.len(), 916);
    let ids = |v: &[(String, f64)]| v.iter().map(|r| r.0.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&f32_scores),
        ids(&int_scores),
        "same papers, same order"
    );
    let a: Vec<f64> = f32_scores.iter().map(|r| r.1).collect();
    let b: Vec<f64> = int_scores.iter().map(|r| r.1).collect();
    let rho = arxrank::eval::metrics::spearman(&a, &b).unwrap();
    eprintln!("hybrid scores, int16 vs f32: Spearman {rho:.5}");
    assert!(rho >= 0.99, "Spearman {rho}");
    for m in ["ROC-AUC", "AP", "nDCG@10", "R@30"] {
        let (x, y) = (
            metric(&f32_report, 0, "hybrid", m).0,
            metric(&int_report, 0, "hybrid", m).0,
        );
        eprintln!("{m}: f32 {x:.4}, int16 {y:.4}");
        assert!(y >= x - 0.01, "{m} dropped: f32 {x}, int16 {y}");
    }
}

/// The notes of ranker `ranker` in set `set`.
fn notes(report: &Value, set: usize, ranker: &str) -> String {
    report["sets"][set]["rankers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == ranker)
        .unwrap_or_else(|| panic!("no ranker {ranker}"))["notes"]
        .to_string()
}

#[test]
fn the_learned_ranker_trains_on_earlier_days_only_and_keeps_the_hybrid_on_a_cold_start() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let read = |out: &Path| -> Value {
        serde_json::from_str(&fs_err::read_to_string(out.join("eval.json")).unwrap()).unwrap()
    };

    // Time-forward on the two-day pool: 2025-05-12 trains, 2025-05-13 tests. Its 18 picks
    // are too few to learn from, so `learned` is the hybrid and says why.
    let out = dir.path().join("cold");
    let run = arxrank(&[
        s(&common::data(POOL)),
        "--topics",
        s(&common::root().join("topics/daizedong-2025-05")),
        "--split-date",
        "2025-05-13",
        "--rankers",
        "hybrid,random",
        "--bootstrap",
        "100",
        "--out",
        s(&out),
        "--cache",
        s(&cache),
    ]);
    ok(&run);
    let report = read(&out);
    let set = &report["sets"][0];
    assert_eq!(set["days"], serde_json::json!(["2025-05-13"]));
    assert_eq!(
        (set["papers"].as_u64(), set["positives"].as_u64()),
        (Some(644), Some(36))
    );
    let note = notes(&report, 0, "learned");
    assert!(
        note.contains("18 positive papers") && note.contains("hybrid"),
        "{note}"
    );
    for m in ["ROC-AUC", "AP", "R@30"] {
        assert_eq!(
            metric(&report, 0, "learned", m),
            metric(&report, 0, "hybrid", m)
        );
    }
    assert!(
        set.get("learned_selection").is_none(),
        "no model, no learned digest"
    );

    // Day-grouped cross-validation on the pool itself: the fold that trains on 2025-05-13
    // (36 picks) learns; the one that trains on 2025-05-12 (18) keeps the hybrid. Every paper
    // is scored by a fold that never saw its day, on one 1-10 scale.
    let out = dir.path().join("cv");
    let run = arxrank(&[
        s(&common::data(POOL)),
        "--topics",
        s(&common::root().join("topics/daizedong-2025-05")),
        "--cv-folds",
        "2",
        "--rankers",
        "hybrid",
        "--bootstrap",
        "100",
        "--out",
        s(&out),
        "--cache",
        s(&cache),
    ]);
    ok(&run);
    let report = read(&out);
    let set = &report["sets"][0];
    assert_eq!(set["papers"], 916);
    let note = notes(&report, 0, "learned");
    assert!(
        note.contains("fold 1 of 2: 1 held-out days (2025-05-12 to 2025-05-12), the other 1 days trained on (644 papers, 36 picks)")
            && note.contains("fold 2 of 2: 1 held-out days (2025-05-13 to 2025-05-13), the other 1 days: 18 positive papers"),
        "{note}"
    );
    let (auc, _, _) = metric(&report, 0, "learned", "ROC-AUC");
    assert!(
        auc > 0.8 && auc != metric(&report, 0, "hybrid", "ROC-AUC").0,
        "{auc}"
    );
    let selection = &set["learned_selection"];
    assert_eq!(selection["judge_selected"], 54, "{selection}");
    let learned = set["rankers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "learned")
        .unwrap();
    assert!(
        learned["per_day"][0]["value"].as_f64().unwrap() > 0.3,
        "{}",
        learned["per_day"]
    );

    // Trained on the 916-paper GPT-4o pool of May (54 picks), tested on the GPT-4.1 day of
    // October with that profile: only --train's days, all before the test day.
    let profile = common::root().join("topics/jackyfl-2025-10");
    let args = |out: &Path| -> Vec<String> {
        [
            common::data(GRADED).to_str().unwrap(),
            "--topics",
            profile.to_str().unwrap(),
            "--train",
            common::data(POOL).to_str().unwrap(),
            "--test-from",
            "2025-10-22",
            "--bootstrap",
            "100",
            "--out",
            out.to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ]
        .map(String::from)
        .to_vec()
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let args = args(out);
        ok(&arxrank(
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        ));
    }
    let report = read(&a);
    let note = notes(&report, 0, "learned");
    assert!(
        note.contains("916 papers, 54 picks, 2025-05-12 to 2025-05-13")
            && note.contains("day-grouped CV"),
        "{note}"
    );
    let auc = metric(&report, 0, "learned", "ROC-AUC");
    assert!(
        auc.0.is_finite() && auc.1 <= auc.0 && auc.0 <= auc.2,
        "{auc:?}"
    );
    // Its digest picks at the scale fitted on the training days, against the judge's.
    let sel = &report["sets"][0]["learned_selection"];
    assert_eq!(sel["papers"], 146);
    assert_eq!(sel["judge_selected"], 42);
    assert!(sel["both"].as_u64().unwrap() <= sel["selected"].as_u64().unwrap());
    // Deterministic: a second run (from the cache) scores every paper the same.
    let scores = |out: &Path| {
        fs_err::read_to_string(
            out.join("jackyfl-gpt41-labels_dwdengwei-pool_2025-10-22_from_2025-10-22/scores.jsonl"),
        )
        .unwrap()
    };
    assert_eq!(scores(&a), scores(&b));

    // Nothing before the first test day to learn from, or no training data at all: exit 2.
    let run = arxrank(&[
        s(&common::data(POOL)),
        "--topics",
        s(&common::root().join("topics/daizedong-2025-05")),
        "--split-date",
        "2025-05-12",
        "--no-cache",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("no labelled day before 2025-05-12"), "{err}");
    let run = arxrank(&[s(&common::data(POOL)), "--rankers", "learned", "--no-cache"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("give --train SET or --split-date DAY"),
        "{err}"
    );
}

/// `--simulate-reader` on twelve days made of the labelled pool's first 480 papers (40 a
/// day, in file order): the curve's points, what each holds, and the hand-set profile's
/// figures checked against its own scores in scores.jsonl.
#[test]
fn a_simulated_reader_replays_the_days_and_the_curve_is_measured_on_later_days() {
    let dir = tempfile::tempdir().unwrap();
    let rows = common::read_jsonl(&common::data(POOL));
    let start = chrono::NaiveDate::from_ymd_opt(2025, 6, 2).unwrap();
    let mut text = String::new();
    let mut order = Vec::new();
    // The rest of the pool, on its own days (May), is a judge's archive before them.
    let archive = dir.path().join("archive.jsonl");
    let rest: String = rows.iter().skip(480).map(|r| format!("{r}\n")).collect();
    fs_err::write(&archive, rest).unwrap();
    for (i, mut r) in rows.into_iter().take(480).enumerate() {
        let day = (start + chrono::Days::new((i / 40) as u64)).to_string();
        order.push(r["id"].as_str().unwrap().to_owned());
        r["date"] = day.into();
        text += &format!("{r}\n");
    }
    let set = dir.path().join("pool-12-days.jsonl");
    fs_err::write(&set, text).unwrap();
    let cache = dir.path().join("cache");
    let topics = common::root().join("topics/daizedong-2025-05");
    let run = |out: &Path, ask: &[&str]| {
        let mut args = vec![
            s(&set),
            "--topics",
            s(&topics),
            "--rankers",
            "hybrid",
            "--simulate-reader",
            "--bootstrap",
            "100",
            "--out",
            s(out),
            "--cache",
            s(&cache),
        ];
        args.extend_from_slice(ask);
        ok(&arxrank(&args));
        let json: Value =
            serde_json::from_str(&fs_err::read_to_string(out.join("eval.json")).unwrap()).unwrap();
        json["sets"][0]["simulation"].as_array().unwrap().clone()
    };
    let plain = run(&dir.path().join("plain"), &["--interests"]);
    let asked = run(&dir.path().join("asked"), &["--ask", "3"]);

    // Points at 5 and 10 days of marks (20 and 40 need later days to test on).
    for curve in [&plain, &asked] {
        let days: Vec<u64> = curve.iter().map(|p| p["days"].as_u64().unwrap()).collect();
        assert_eq!(days, [5, 10]);
        for p in curve.iter() {
            let seen = p["days"].as_u64().unwrap();
            assert_eq!(p["test_days"].as_u64(), Some(12 - seen));
            assert_eq!(p["test_papers"].as_u64(), Some((12 - seen) * 40));
            let names: Vec<&String> = p["rankers"].as_object().unwrap().keys().collect();
            assert_eq!(names, ["simulated", "full_labels", "hybrid", "anchors"]);
            for f in p["rankers"].as_object().unwrap().values() {
                for m in ["roc_auc", "ap", "r10_per_day"] {
                    let (v, lo, hi) = (
                        f[m]["value"].as_f64().unwrap(),
                        f[m]["lo"].as_f64().unwrap(),
                        f[m]["hi"].as_f64().unwrap(),
                    );
                    assert!((0.0..=1.0).contains(&v) && lo <= v && v <= hi, "{m}: {f}");
                }
            }
        }
    }
    // Each day the reader marks at least one pick; with --ask 3, three questions more.
    for (p, a) in plain.iter().zip(&asked) {
        let seen = p["days"].as_u64().unwrap();
        assert_eq!(p["asked"].as_u64(), Some(0));
        assert_eq!(a["asked"].as_u64(), Some(3 * seen));
        assert!(p["marks"].as_u64().unwrap() >= seen);
        assert!(a["marks"].as_u64().unwrap() >= a["asked"].as_u64().unwrap() + seen);
        // The hand-set profile is the same ranker in both runs.
        assert_eq!(p["rankers"]["hybrid"], a["rankers"]["hybrid"]);
    }

    // The hand-set profile's ROC-AUC at 5 days is its scores' on days 6 to 12.
    let scores = common::read_jsonl(&dir.path().join("plain/pool-12-days/scores.jsonl"));
    // scores.jsonl is in the set's order: 40 papers a day.
    let ids: Vec<&str> = scores.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, order);
    let later: Vec<&Value> = scores[200..].iter().collect();
    assert_eq!(later.len(), 280);
    let hybrid: Vec<(f64, bool)> = later
        .iter()
        .map(|r| (r["hybrid"].as_f64().unwrap(), r["selected"] == true))
        .collect();
    let auc = pairwise_auc(&hybrid);
    let simulated = plain[0]["rankers"]["hybrid"]["roc_auc"]["value"]
        .as_f64()
        .unwrap();
    assert!((auc - simulated).abs() < 1e-3, "{auc} vs {simulated}");

    // --interests: a row per hand-set topic, trained on days 1 to 6 and measured on 7 to
    // 12; each picked paper belongs to exactly one topic.
    let json: Value =
        serde_json::from_str(&fs_err::read_to_string(dir.path().join("plain/eval.json")).unwrap())
            .unwrap();
    let rows = json["sets"][0]["interests"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{rows:?}");
    let count = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    let picks = |from: usize, to: usize| {
        scores[from..to]
            .iter()
            .filter(|r| r["selected"] == true)
            .count() as u64
    };
    assert_eq!(count("train_picks"), picks(0, 240));
    assert_eq!(count("test_picks"), picks(240, 480));
    for r in rows {
        assert!(r["test_days"].as_u64().unwrap() <= 6, "{r}");
        for k in ["mixed", "per_topic", "over_mixed", "hybrid"] {
            if r["test_picks"] == 0 {
                assert!(r[k]["value"].is_null(), "{r}");
                continue;
            }
            let v = r[k]["value"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{r}");
        }
        // `chosen` is one of the two it chooses between.
        let took = if r["own_chosen"] == true {
            "over_mixed"
        } else {
            "mixed"
        };
        assert_eq!(r["chosen"], r[took], "{r}");
    }
    let md = fs_err::read_to_string(dir.path().join("plain/eval.md")).unwrap();
    assert!(
        md.contains("### Interests: one model per topic against one for all"),
        "{md}"
    );
    assert!(md.contains("| Model Compression | "), "{md}");

    let md = fs_err::read_to_string(dir.path().join("asked/eval.md")).unwrap();
    assert!(
        md.contains("### Learning curve: a simulated reader's marks"),
        "{md}"
    );
    assert!(md.contains("| 10 | "), "{md}");
    let svg =
        fs_err::read_to_string(dir.path().join("asked/pool-12-days/learning-curve.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("full_labels"));
    // With a judge's archive (--train), its learned ranker is the prior the marks start
    // from, and a fourth ranker on the curve: its figures are its own scores'.
    let judged = run(&dir.path().join("archive"), &["--train", s(&archive)]);
    let names: Vec<&String> = judged[0]["rankers"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        ["simulated", "full_labels", "hybrid", "learned", "anchors"]
    );
    assert_eq!(
        judged[0]["rankers"]["hybrid"],
        plain[0]["rankers"]["hybrid"]
    );
    let scores = common::read_jsonl(&dir.path().join("archive/pool-12-days/scores.jsonl"));
    let learned: Vec<(f64, bool)> = scores[200..]
        .iter()
        .map(|r| (r["learned"].as_f64().unwrap(), r["selected"] == true))
        .collect();
    let auc = pairwise_auc(&learned);
    let simulated = judged[0]["rankers"]["learned"]["roc_auc"]["value"]
        .as_f64()
        .unwrap();
    assert!((auc - simulated).abs() < 1e-3, "{auc} vs {simulated}");
}

/// ROC-AUC by counting pairs: a positive above a negative wins, a tie counts half.
fn pairwise_auc(scored: &[(f64, bool)]) -> f64 {
    let pos: Vec<f64> = scored.iter().filter(|s| s.1).map(|s| s.0).collect();
    let neg: Vec<f64> = scored.iter().filter(|s| !s.1).map(|s| s.0).collect();
    let wins: f64 = pos
        .iter()
        .flat_map(|p| {
            neg.iter().map(move |n| match p.partial_cmp(n) {
                Some(std::cmp::Ordering::Greater) => 1.0,
                Some(std::cmp::Ordering::Equal) => 0.5,
                _ => 0.0,
            })
        })
        .sum();
    wins / (pos.len() * neg.len()) as f64
}
