//! `arxrank learn` and a learned profile in `rank`: trained on a real labelled pool, stored
//! in the profile, used by the daily ranking, refused when it does not fit.

mod common;

use std::path::Path;

use serde_json::Value;

const POOL: &str = "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    fs_err::create_dir_all(to).unwrap();
    for e in fs_err::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            fs_err::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn rank(profile: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let example = common::root().join("examples/cs-2025-05-13.rss.xml");
    common::arxrank(
        &[
            &[
                "rank",
                s(&example),
                "--topics",
                s(profile),
                "--out",
                s(out),
                "--no-history",
            ][..],
            extra,
        ]
        .concat(),
    )
}

#[test]
fn learn_stores_a_model_in_the_profile_and_rank_uses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
    let cache = tmp.path().join("cache");
    let learn = || {
        common::arxrank(&[
            "learn",
            s(&common::data(POOL)),
            "--topics",
            s(&profile),
            "--cache",
            s(&cache),
        ])
    };
    let out = learn();
    assert!(out.status.success(), "{}", stderr(&out));
    let path = profile.join("learned/model.json");
    let first = fs_err::read_to_string(&path).unwrap();
    let model: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(model["format"], "arxrank-learned");
    assert_eq!(
        model["fingerprint"],
        common::model_dir().fingerprint.as_str()
    );
    assert_eq!(model["training"][0]["papers"], 916);
    assert_eq!(model["training"][0]["positives"], 54);
    assert_eq!(
        (model["first_day"].as_str(), model["last_day"].as_str()),
        (Some("2025-05-12"), Some("2025-05-13"))
    );
    assert_eq!(model["folds"], 2);
    assert_eq!(model["cv"].as_array().unwrap().len(), 5);
    assert_eq!(model["model"]["weights"].as_array().unwrap().len(), 384 + 9);
    let held_out = model["cv"].as_array().unwrap()[0]["roc_auc"]
        .as_f64()
        .unwrap();
    assert!(held_out > 0.6, "held-out ROC-AUC {held_out}");
    assert!(
        stderr(&out).contains("held-out ROC-AUC"),
        "{}",
        stderr(&out)
    );
    // Same inputs, same bytes.
    assert!(learn().status.success());
    assert_eq!(fs_err::read_to_string(&path).unwrap(), first);

    // rank with the profile: the learned score orders the day and explains itself.
    let learned_out = tmp.path().join("learned");
    let run = rank(&profile, &learned_out, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("using the learned model"),
        "{}",
        stderr(&run)
    );
    let digest: Value = serde_json::from_str(
        &fs_err::read_to_string(learned_out.join("2025-05-13/output.json")).unwrap(),
    )
    .unwrap();
    let papers: Vec<&Value> = digest.as_object().unwrap().values().collect();
    assert!(papers
        .iter()
        .all(|p| p["COMMENT"].as_str().unwrap().starts_with("Learned score")));
    let picks = papers
        .iter()
        .filter(|p| p["arxrank"]["selected"] == true)
        .count();
    assert!((10..=120).contains(&picks), "{picks} picks of 644");
    // The learned score is the raw score, and the digest is in its order.
    let raws: Vec<f64> = papers
        .iter()
        .filter(|p| p["arxrank"]["author_match"].is_null())
        .map(|p| p["arxrank"]["raw_score"].as_f64().unwrap())
        .collect();
    assert!(raws.windows(2).all(|w| w[0] >= w[1]));

    // --no-learned is the hand-set profile, byte for byte.
    let (plain, without) = (tmp.path().join("plain"), tmp.path().join("without"));
    assert!(rank(&profile, &without, &["--no-learned"]).status.success());
    assert!(rank(
        &common::root().join("topics/daizedong-2025-05"),
        &plain,
        &[]
    )
    .status
    .success());
    let read = |d: &Path| fs_err::read_to_string(d.join("2025-05-13/output.json")).unwrap();
    assert_eq!(read(&without), read(&plain));
    assert_ne!(read(&without), read(&learned_out));

    // eval measures a profile with its stored model, and says which days it trained on.
    let ev = tmp.path().join("eval");
    let out = common::arxrank(&[
        "eval",
        s(&common::data(POOL)),
        "--topics",
        s(&profile),
        "--rankers",
        "hybrid",
        "--bootstrap",
        "50",
        "--cache",
        s(&cache),
        "--out",
        s(&ev),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value =
        serde_json::from_str(&fs_err::read_to_string(ev.join("eval.json")).unwrap()).unwrap();
    let learned = report["sets"][0]["rankers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "learned")
        .expect("a learned row");
    assert!(
        learned["notes"].to_string().contains("in-sample"),
        "{}",
        learned["notes"]
    );

    // A model of another embedding model is refused, naming the file and both models.
    let mut foreign = model.clone();
    foreign["fingerprint"] = "other-model-0123".into();
    fs_err::write(&path, foreign.to_string()).unwrap();
    let run = rank(&profile, &tmp.path().join("x"), &[]);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(
        err.contains("learned/model.json")
            && err.contains("other-model-0123")
            && err.contains("--no-learned"),
        "{err}"
    );
    assert!(!tmp.path().join("x/2025-05-13").exists());
    // And a damaged one.
    fs_err::write(&path, &first[..first.len() / 2]).unwrap();
    let run = rank(&profile, &tmp.path().join("y"), &[]);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("learned/model.json: not valid JSON"), "{err}");
}

#[test]
fn too_few_picks_to_learn_from_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
    // The first day alone: 18 picks.
    let day: String = fs_err::read_to_string(common::data(POOL))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"date\": \"2025-05-12\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let set = tmp.path().join("one-day.jsonl");
    fs_err::write(&set, day).unwrap();
    let out = common::arxrank(&["learn", s(&set), "--topics", s(&profile), "--no-cache"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("18 positive papers") && err.contains("at least 20"),
        "{err}"
    );
    assert!(!profile.join("learned").exists());
}
