//! `arxrank learn` and a learned profile in `rank`: trained on a real labelled pool, stored
//! in the profile, used by the daily ranking, refused when it does not fit.

use crate::common;

use std::path::Path;

use serde_json::Value;

const POOL: &str = "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Ranks the example day with `profile` into `out`, against a history that holds only this
/// day (so no paper has novelty, as with no history at all): the first run stores the day's
/// vectors there, and the runs after it take them from there instead of embedding again.
fn rank(profile: &Path, out: &Path, history: &Path, extra: &[&str]) -> std::process::Output {
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
                "--history",
                s(history),
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
    common::copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
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
    assert_eq!(model["version"], 2);
    assert_eq!(
        model["fingerprint"],
        common::model_dir().fingerprint.as_str()
    );
    let ranker = &model["ranker"];
    assert_eq!(ranker["training"][0]["papers"], 916);
    assert_eq!(ranker["training"][0]["positives"], 54);
    assert_eq!(
        (ranker["first_day"].as_str(), ranker["last_day"].as_str()),
        (Some("2025-05-12"), Some("2025-05-13"))
    );
    assert_eq!(
        (ranker["folds"].as_u64(), ranker["fold_by"].as_str()),
        (Some(2), Some("days"))
    );
    // Five L2 strengths, each with the words left out and at three weights.
    assert_eq!(ranker["cv"].as_array().unwrap().len(), 20);
    assert_eq!(
        ranker["model"]["weights"].as_array().unwrap().len(),
        384 + 9
    );
    let held_out = ranker["cv"].as_array().unwrap()[0]["roc_auc"]
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

    // The reader's marks join the ranker and keep it: three papers the judge passed over
    // are liked, one pick is not for them. Their text comes from the listing.
    let example = common::root().join("examples/cs-2025-05-13.rss.xml");
    let pool = common::read_jsonl(&common::data(POOL));
    let on_13 = |selected: bool| {
        pool.iter()
            .filter(move |p| p["date"] == "2025-05-13" && p["label"]["selected"] == selected)
            .map(|p| p["id"].as_str().unwrap().to_owned())
    };
    let liked: Vec<String> = on_13(false).take(3).collect();
    let disliked = on_13(true).next().unwrap();
    let mut fb: String = liked
        .iter()
        .map(|id| format!("{{\"id\":\"{id}\",\"label\":1,\"date\":\"2025-05-13\"}}\n"))
        .collect();
    fb.push_str(&format!(
        "{{\"id\":\"{disliked}\",\"label\":-1,\"date\":\"2025-05-13\"}}\n"
    ));
    let feedback = tmp.path().join("feedback.jsonl");
    fs_err::write(&feedback, fb).unwrap();
    let out = common::arxrank(&[
        "learn",
        "--feedback",
        s(&feedback),
        "--listing",
        s(&example),
        "--history",
        s(&tmp.path().join("no-history")),
        "--topics",
        s(&profile),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("kept the ranker"), "{}", stderr(&out));
    let model: Value = serde_json::from_str(&fs_err::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(model["ranker"], *ranker, "the ranker is kept as it was");
    assert_eq!(model["marks"]["papers"].as_array().unwrap().len(), 4);

    // rank with the profile: the learned score orders the day and explains itself.
    let learned_out = tmp.path().join("learned");
    let history = tmp.path().join("history");
    let run = rank(&profile, &learned_out, &history, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("ranking with the learned model"),
        "{}",
        stderr(&run)
    );
    let digest: Value = serde_json::from_str(
        &fs_err::read_to_string(learned_out.join("2025-05-13/scores.json")).unwrap(),
    )
    .unwrap();
    let papers: Vec<&Value> = digest.as_object().unwrap().values().collect();
    assert!(papers.iter().all(|p| p["COMMENT"]
        .as_str()
        .unwrap()
        .starts_with("Learned from past picks: ")));
    // Each paper names the training pick it is closest to; the example day is one of the
    // training days, so its own picks find themselves.
    let comment = |id: &str| digest[id]["COMMENT"].as_str().unwrap().to_owned();
    assert!(papers.iter().all(|p| p["COMMENT"]
        .as_str()
        .unwrap()
        .contains("closest past pick: \"")));
    let pick = ranker["liked"][0]["id"].as_str().unwrap();
    let why = &digest[pick]["arxrank"]["learned"];
    assert_eq!(why["closest_pick"]["id"], pick);
    assert!(
        why["closest_pick"]["cosine"].as_f64().unwrap() > 0.99,
        "{why}"
    );
    // The words that raised a score, when cross-validation kept the word part.
    let words = ranker["model"]["text"]["weights"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(words > 1000, "the pool's vocabulary: {words} terms");
    assert!(!why["words"].as_array().unwrap().is_empty(), "{why}");
    assert!(why["push"].as_object().unwrap().len() >= 3, "{why}");
    // The marks moved the learned ranking: the liked papers are picks, the disliked one is
    // not, each saying so.
    for id in &liked {
        assert_eq!(digest[id]["arxrank"]["selected"], true, "{}", comment(id));
        assert!(
            comment(id).contains("You liked this paper"),
            "{}",
            comment(id)
        );
    }
    assert_eq!(digest[&disliked]["arxrank"]["selected"], false);
    assert!(
        comment(&disliked).contains("You marked this paper not for you"),
        "{}",
        comment(&disliked)
    );
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
    assert!(rank(&profile, &without, &history, &["--no-learned"])
        .status
        .success());
    assert!(rank(
        &common::root().join("topics/daizedong-2025-05"),
        &plain,
        &history,
        &[]
    )
    .status
    .success());
    let read = |d: &Path| fs_err::read_to_string(d.join("2025-05-13/scores.json")).unwrap();
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
    let run = rank(&profile, &tmp.path().join("x"), &history, &[]);
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
    let run = rank(&profile, &tmp.path().join("y"), &history, &[]);
    let err = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert!(err.contains("learned/model.json: not valid JSON"), "{err}");
}

#[test]
fn too_few_picks_to_learn_from_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    common::copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
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

/// The two days of [`POOL`] as listings, ranked once into a history (and digests), for the
/// label sources that join picks to a day's other papers.
struct Days {
    root: std::path::PathBuf,
    listings: Vec<std::path::PathBuf>,
    history: std::path::PathBuf,
    picks: Vec<Value>,
}

fn days() -> &'static Days {
    static D: std::sync::OnceLock<Days> = std::sync::OnceLock::new();
    D.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("learn-sources");
        let _ = fs_err::remove_dir_all(&root);
        fs_err::create_dir_all(&root).unwrap();
        let rows = common::read_jsonl(&common::data(POOL));
        let history = root.join("history");
        let mut listings = Vec::new();
        for day in ["2025-05-12", "2025-05-13"] {
            let listing = root.join(format!("{day}.jsonl"));
            let text: String = rows
                .iter()
                .filter(|r| r["date"] == day)
                .map(|r| format!("{r}\n"))
                .collect();
            fs_err::write(&listing, text).unwrap();
            let out = common::arxrank(&[
                "rank",
                s(&listing),
                "--out",
                s(&root.join("digests")),
                "--history",
                s(&history),
            ]);
            assert!(out.status.success(), "rank {day}: {}", stderr(&out));
            listings.push(listing);
        }
        let picks = rows
            .into_iter()
            .filter(|r| r["label"]["selected"] == true)
            .collect();
        Days {
            root,
            listings,
            history,
            picks,
        }
    })
}

/// A gpt_paper_assistant `output.json` of these picks, as that tool writes it.
fn output_json(picks: &[&Value]) -> String {
    let mut out = serde_json::Map::new();
    for p in picks {
        let id = p["id"].as_str().unwrap();
        out.insert(
            id.to_owned(),
            serde_json::json!({
                "authors": p["authors"],
                "title": p["title"],
                "abstract": p["abstract"],
                "arxiv_id": id,
                "COMMENT": "Matches criterion 1.",
                "RELEVANCE": p["label"]["relevance"],
                "NOVELTY": p["label"]["novelty"],
            }),
        );
    }
    serde_json::to_string_pretty(&out).unwrap()
}

fn learned_model(profile: &Path) -> Value {
    serde_json::from_str(&fs_err::read_to_string(profile.join("learned/model.json")).unwrap())
        .unwrap()
}

#[test]
fn a_gpt_paper_assistant_archive_learns_against_listings_or_the_history() {
    let d = days();
    let tmp = tempfile::tempdir().unwrap();
    // Two layouts people keep their daily outputs in.
    let archive = tmp.path().join("archive");
    for (day, file) in [
        ("2025-05-12", "2025-05-12/output.json"),
        ("2025-05-13", "out/output_2025-05-13.json"),
    ] {
        let picks: Vec<&Value> = d.picks.iter().filter(|p| p["date"] == day).collect();
        let path = archive.join(file);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, output_json(&picks)).unwrap();
    }
    let cache = d.root.join("cache");
    let learn = |profile: &Path, extra: &[&str]| {
        common::copy_dir(&common::root().join("topics/daizedong-2025-05"), profile);
        common::arxrank(
            &[
                &[
                    "learn",
                    "--archive",
                    s(&archive),
                    "--topics",
                    s(profile),
                    "--cache",
                    s(&cache),
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    // Negatives from the days' listings: the same 916 papers and 54 picks as the pool.
    let with_listings = tmp.path().join("p1");
    let out = learn(
        &with_listings,
        &[
            "--listing",
            s(&d.listings[0]),
            "--listing",
            s(&d.listings[1]),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let m = &learned_model(&with_listings)["ranker"];
    assert_eq!(m["training"][0]["name"], "archive");
    assert_eq!(m["training"][0]["papers"], 916);
    assert_eq!(m["training"][0]["positives"], 54);
    assert!(
        m["cv"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["roc_auc"].as_f64().unwrap() > 0.85),
        "{}",
        m["cv"]
    );

    // Negatives from the history alone: its rows of those days, vectors only.
    let with_history = tmp.path().join("p2");
    let out = learn(&with_history, &["--history", s(&d.history)]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("vector-only"), "{err}");
    let m = &learned_model(&with_history)["ranker"];
    assert_eq!(m["training"][0]["name"], "archive (history)");
    assert_eq!(m["training"][0]["positives"], 54);
    // A paper listed on both days has one history row, under its first day.
    let rows = m["training"][0]["papers"].as_u64().unwrap();
    assert!((900..=916).contains(&rows), "{rows}");

    // Without any source of negatives: a clear error, nothing written.
    let none = tmp.path().join("p3");
    let out = learn(&none, &["--history", s(&tmp.path().join("no-history"))]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("archive") && err.contains("no negatives"),
        "{err}"
    );
    assert!(!none.join("learned/model.json").exists());
}

#[test]
fn a_library_of_ids_or_bibtex_learns_against_the_history() {
    let d = days();
    let tmp = tempfile::tempdir().unwrap();
    // 30 of the judge's picks by id, and two later papers the history has never seen,
    // with their text, in BibTeX.
    let ids: String = d.picks[..30]
        .iter()
        .map(|p| format!("https://arxiv.org/abs/{}v1\n", p["id"].as_str().unwrap()))
        .collect();
    let list = tmp.path().join("reading-list.txt");
    fs_err::write(&list, format!("# my reading list\n{ids}")).unwrap();
    let later = common::read_jsonl(&common::data(
        "jackyfl-gpt41-labels_dwdengwei-pool_2025-10-22.jsonl",
    ));
    let bib: String = later[..2]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "@misc{{paper{i},\n  title = {{{}}},\n  abstract = {{{}}},\n  eprint = {{{}}},\n  archivePrefix = {{arXiv}}\n}}\n",
                p["title"].as_str().unwrap().replace(['{', '}'], ""),
                p["abstract"].as_str().unwrap().replace(['{', '}'], ""),
                p["id"].as_str().unwrap()
            )
        })
        .collect();
    let bibfile = tmp.path().join("library.bib");
    fs_err::write(&bibfile, format!("{bib}@book{{b, title = {{A Book}}}}\n")).unwrap();
    // Ten more picks kept in Zotero, read from its own database.
    let zotero = tmp.path().join("zotero.sqlite");
    let works: Vec<common::zotero::Work> = d.picks[30..40]
        .iter()
        .map(|p| common::zotero::Work::preprint(p["id"].as_str().unwrap(), "", ""))
        .collect();
    drop(common::zotero::create(&zotero, &works));
    let profile = tmp.path().join("profile");
    common::copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
    let cache = d.root.join("cache");
    let out = common::arxrank(&[
        "learn",
        "--library",
        s(&list),
        "--library",
        s(&bibfile),
        "--library",
        s(&zotero),
        "--history",
        s(&d.history),
        "--topics",
        s(&profile),
        "--cache",
        s(&cache),
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("library.bib: 1 entries without an arXiv id"),
        "{err}"
    );
    let m = &learned_model(&profile)["ranker"];
    let t = &m["training"];
    assert_eq!(
        (t[0]["name"].as_str(), t[0]["positives"].as_u64()),
        (Some("reading-list"), Some(30))
    );
    assert_eq!(t[0]["papers"], 30 + 30 * 20);
    assert_eq!(
        (t[1]["name"].as_str(), t[1]["positives"].as_u64()),
        (Some("library"), Some(2))
    );
    assert_eq!(
        (t[2]["name"].as_str(), t[2]["positives"].as_u64()),
        (Some("zotero"), Some(10))
    );
    // The comment's closest pick comes from these.
    assert_eq!(m["liked"].as_array().unwrap().len(), 42);

    // Ids the history does not hold and the file carries no text for: named, exit 2.
    let unknown = tmp.path().join("unknown.txt");
    fs_err::write(&unknown, format!("{ids}2401.04088\n")).unwrap();
    let out = common::arxrank(&[
        "learn",
        "--library",
        s(&unknown),
        "--history",
        s(&d.history),
        "--topics",
        s(&profile),
        "--no-cache",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown.txt") && err.contains("1 of its 31") && err.contains("2401.04088"),
        "{err}"
    );
}

#[test]
fn bad_label_sources_fail_early_with_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    common::copy_dir(&common::root().join("topics/daizedong-2025-05"), &profile);
    // No history and no digests but those given: the checkout's own (if a run left any)
    // must not answer for the papers below.
    let nothing = tmp.path().join("nothing");
    let config = tmp.path().join("arxrank.toml");
    fs_err::write(&config, "out = \"no-digests\"\nhistory = \"no-history\"\n").unwrap();
    let run = |args: &[&str]| {
        let out = common::arxrank(
            &[
                &[
                    "learn",
                    "--topics",
                    s(&profile),
                    "--no-cache",
                    "--history",
                    s(&nothing),
                    "--config",
                    s(&config),
                ][..],
                args,
            ]
            .concat(),
        );
        (out.status.code(), stderr(&out))
    };
    // A feedback file with a bad line.
    let fb = tmp.path().join("feedback.jsonl");
    fs_err::write(
        &fb,
        "{\"id\":\"2505.05648\",\"label\":1,\"date\":\"2025-05-12\"}\n{\"id\":\"2505.05648\",\"label\":\"yes\"}\n",
    )
    .unwrap();
    let (code, err) = run(&["--feedback", s(&fb)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("feedback.jsonl: line 2") && err.contains("not 1, -1 or 0"),
        "{err}"
    );
    // Feedback on papers no digest holds.
    fs_err::write(
        &fb,
        "{\"id\":\"2505.05648\",\"label\":1,\"date\":\"2025-05-12\"}\n",
    )
    .unwrap();
    let (code, err) = run(&["--feedback", s(&fb)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("feedback.jsonl") && err.contains("2505.05648") && err.contains("--digests"),
        "{err}"
    );
    // A Zotero file that is not one.
    let fake = tmp.path().join("zotero.sqlite");
    fs_err::write(&fake, "SQLite format 2\n").unwrap();
    let (code, err) = run(&["--library", s(&fake)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("zotero.sqlite: not a Zotero database"),
        "{err}"
    );
    // A pool without a single pick.
    let none: String = fs_err::read_to_string(common::data(POOL))
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"selected\": false"))
        .map(|l| format!("{l}\n"))
        .collect();
    let set = tmp.path().join("no-picks.jsonl");
    fs_err::write(&set, none).unwrap();
    let (code, err) = run(&[s(&set)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no-picks.jsonl") && err.contains("both selected and unselected"),
        "{err}"
    );
    // No labels at all.
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--archive") || err.contains("SETS"), "{err}");
    assert!(!profile.join("learned/model.json").exists());

    // A profile the model cannot be written into is refused before any training. (Tests
    // may run as root, whom permissions do not stop, so the folder's place is taken by a
    // file instead.)
    let blocked = tmp.path().join("blocked");
    common::copy_dir(&common::root().join("topics/daizedong-2025-05"), &blocked);
    fs_err::write(blocked.join("learned"), "not a folder").unwrap();
    let out = common::arxrank(&[
        "learn",
        s(&common::data(POOL)),
        "--topics",
        s(&blocked),
        "--no-cache",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("blocked/learned: cannot write the learned model there"),
        "{err}"
    );
}

/// A reader whose marks in one interest go against the profile there (the papers it ranks
/// last in Representation Learning liked, its first disliked), and with it elsewhere, on
/// three days: that interest earns a model of its own, stored beside the model of all the
/// marks, and a day ranked with it says which papers that model ordered.
#[test]
fn an_interest_the_profile_gets_wrong_earns_a_model_of_its_own() {
    const TOPIC: &str = "Representation Learning";
    let f = crate::site::fixture();
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("topics");
    common::copy_dir(&common::root().join("topics"), &profile);
    let mut fb = String::new();
    for day in ["2025-05-12", "2025-05-13", "2025-10-22"] {
        let text = fs_err::read_to_string(f.digests.join(day).join("scores.json")).unwrap();
        let scores: Value = serde_json::from_str(&text).unwrap();
        let mut papers: Vec<&Value> = scores.as_object().unwrap().values().collect();
        papers.sort_by_key(|p| p["arxrank"]["rank"].as_u64());
        let of = |t: &str| -> Vec<&Value> {
            let t = t.to_owned();
            (papers.iter().copied())
                .filter(|p| p["arxrank"]["best_topic"] == t.as_str())
                .collect()
        };
        let mut mark = |p: &Value, label: i8| {
            fb.push_str(&format!(
                "{{\"id\":{},\"label\":{label},\"date\":\"{day}\"}}\n",
                p["ARXIVID"]
            ));
        };
        let ours = of(TOPIC);
        ours.iter().take(6).for_each(|p| mark(p, -1));
        ours.iter().rev().take(8).for_each(|p| mark(p, 1));
        for other in [
            "High Performance Computing",
            "Model Compression and Efficiency",
        ] {
            of(other).iter().take(2).for_each(|p| mark(p, 1));
        }
    }
    let feedback = tmp.path().join("feedback.jsonl");
    fs_err::write(&feedback, fb).unwrap();
    let history = f.digests.parent().unwrap().join("history");
    let out = common::arxrank(&[
        "learn",
        "--feedback",
        s(&feedback),
        "--digests",
        s(&f.digests),
        "--history",
        s(&history),
        "--topics",
        s(&profile),
    ]);
    let e = stderr(&out);
    assert!(out.status.success(), "{e}");
    let model = learned_model(&profile);
    let interests: Vec<&str> = model["reader"]["interests"]
        .as_array()
        .unwrap_or_else(|| panic!("no interest earned a model: {e}"))
        .iter()
        .map(|i| i["topic"].as_str().unwrap())
        .collect();
    assert!(interests.contains(&TOPIC), "{interests:?}");
    // The day ranked with it: the interest's papers not marked say what ordered them.
    let listing = f.digests.parent().unwrap().join("2025-10-22.jsonl");
    let ranked = tmp.path().join("ranked");
    let run = common::arxrank(&[
        "rank",
        s(&listing),
        "--topics",
        s(&profile),
        "--out",
        s(&ranked),
        "--no-history",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let text = fs_err::read_to_string(ranked.join("2025-10-22/scores.json")).unwrap();
    let scores: Value = serde_json::from_str(&text).unwrap();
    let said = format!("Among the {TOPIC} papers, ordered by that interest's own marks.");
    let ordered = (scores.as_object().unwrap().values())
        .filter(|p| p["COMMENT"].as_str().unwrap().contains(&said))
        .count();
    let ours = (scores.as_object().unwrap().values())
        .filter(|p| p["arxrank"]["best_topic"] == TOPIC)
        .count();
    // Every paper of the interest but the fourteen marked on that day.
    assert_eq!(ordered, ours - 14, "{said}");
}
