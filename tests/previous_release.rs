//! Behaviour unchanged across releases: files written by the previous release
//! (`tests/data/previous-release/`, written by arxrank at commit bec40c1, before the
//! pipeline moved into the library) are what this build writes, byte for byte where no
//! clock is involved, and this build reads the digests that release wrote.

use crate::common;

use std::path::Path;

use arxrank::render::{read_run_json, read_scores_json, scores_json, SCHEMA_VERSION};
use serde_json::Value;

fn previous(name: &str) -> std::path::PathBuf {
    common::data("previous-release").join(name)
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first line where two texts differ, for a readable failure.
fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  previous: {x}\n  now:      {y}", i + 1);
        }
    }
    format!(
        "lengths differ: {} vs {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn the_example_days_scores_json_is_the_previous_releases_output_json_but_for_the_help_block() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::arxrank(&[
        "rank",
        common::root()
            .join("examples/cs-2025-05-13.rss.xml")
            .to_str()
            .unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
        "--no-history",
    ]);
    ok(&out);
    let now = fs_err::read_to_string(dir.path().join("2025-05-13/scores.json")).unwrap();
    let before = fs_err::read_to_string(previous("example-2025-05-13.output.json")).unwrap();
    // Issue 27 marks the papers of the "Help arxrank learn" block (`"ask": true`, five by
    // default, none of them picks); everything else is as the previous release wrote it.
    let mut parsed: Value = serde_json::from_str(&now).unwrap();
    let mut asked = 0;
    for p in parsed.as_object_mut().unwrap().values_mut() {
        let a = p["arxrank"].as_object_mut().unwrap();
        if a.remove("ask") == Some(Value::Bool(true)) {
            asked += 1;
            assert_eq!(a["selected"], false, "a question is never a pick");
        }
    }
    assert_eq!(asked, 5);
    let without = serde_json::to_string_pretty(&parsed).unwrap() + "\n";
    assert!(without == before, "{}", first_difference(&before, &without));
}

/// eval.json without what the clock and the command line put in it, and without the
/// per-day P@10 and R@10 issue 15 added (every figure the previous release wrote must be
/// the same).
fn timeless(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            for key in [
                "seconds",
                "papers_per_second",
                "embed_seconds",
                "command",
                "source",
                "per_day",
                "day_metrics",
            ] {
                map.remove(key);
            }
            for x in map.values_mut() {
                *x = timeless(x.take());
            }
        }
        Value::Array(items) => {
            for x in items {
                *x = timeless(x.take());
            }
        }
        _ => {}
    }
    v
}

#[test]
fn eval_json_of_the_2025_05_pool_is_the_previous_releases() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::arxrank(&[
        "eval",
        common::data("daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl")
            .to_str()
            .unwrap(),
        "--topics",
        common::root()
            .join("topics/daizedong-2025-05")
            .to_str()
            .unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
        // A fresh cache, as the previous release ran: through a cache a paper listed on two
        // days is embedded once, which packs the batches differently than --no-cache.
        "--cache",
        dir.path().join("cache").to_str().unwrap(),
    ]);
    ok(&out);
    let read =
        |p: &Path| -> Value { serde_json::from_str(&fs_err::read_to_string(p).unwrap()).unwrap() };
    let now = timeless(read(&dir.path().join("out/eval.json")));
    let before = timeless(read(&previous("eval-2025-05-pool.json")));
    // The timings are gone, every metric, interval and count is left.
    assert!(before["sets"][0]["rankers"].as_array().unwrap().len() >= 5);
    let (a, b) = (
        serde_json::to_string_pretty(&before).unwrap(),
        serde_json::to_string_pretty(&now).unwrap(),
    );
    assert!(a == b, "{}", first_difference(&a, &b));
}

#[test]
fn the_previous_releases_digests_read_back_through_the_typed_schema() {
    for day in ["2025-05-12", "2025-05-13"] {
        let dir = previous("digests").join(day);
        let run = read_run_json(&dir.join("run.json")).unwrap();
        // Written before the version was recorded: read as the first version.
        assert_eq!((run.schema_version, SCHEMA_VERSION), (1, 2));
        assert_eq!(run.date.to_string(), day);
        let papers = read_scores_json(&dir.join("output.json"), |_| true).unwrap();
        assert!(papers.len() >= 60, "{day}: {}", papers.len());
        // Every field survives the round trip: the types hold all that release wrote.
        let file: Value =
            serde_json::from_str(&fs_err::read_to_string(dir.join("output.json")).unwrap())
                .unwrap();
        let again: Value = serde_json::from_str(&scores_json(&papers)).unwrap();
        assert_eq!(file, again, "{day}");
        if day == "2025-05-13" {
            assert!(papers.iter().any(|p| p.arxrank.nearest_past.is_some()));
            assert!(papers.iter().any(|p| p.arxrank.repeat_of.is_some()));
            assert!(papers.iter().all(|p| p.arxrank.topic_similarity.len() == 6));
        }
    }
}

#[test]
fn the_site_builds_from_the_previous_releases_digests_and_refuses_a_newer_schema() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    let digests = previous("digests");
    let out = common::arxrank(&["site", digests.to_str().unwrap(), site.to_str().unwrap()]);
    ok(&out);
    let page = fs_err::read_to_string(site.join("days/2025-05-13.html")).unwrap();
    let papers = read_scores_json(&digests.join("2025-05-13/output.json"), |_| true).unwrap();
    let picks: Vec<_> = papers.iter().filter(|p| p.arxrank.selected).collect();
    assert_eq!(
        page.matches("<article class=\"paper\" ").count(),
        picks.len()
    );
    for p in &picks {
        assert!(page.contains(&format!("id=\"paper-{}\"", p.id)), "{}", p.id);
    }
    // Nearest past papers link to their cards on the day before.
    assert!(page.contains("class=\"on-site\" href=\"2025-05-12.html#paper-"));

    // A digest from a newer arxrank is refused, not misread.
    let newer = tmp.path().join("newer");
    let day = newer.join("2025-05-13");
    fs_err::create_dir_all(&day).unwrap();
    fs_err::copy(
        digests.join("2025-05-13/output.json"),
        day.join("output.json"),
    )
    .unwrap();
    let mut run: Value =
        serde_json::from_str(&fs_err::read_to_string(digests.join("2025-05-13/run.json")).unwrap())
            .unwrap();
    run["schema_version"] = (SCHEMA_VERSION + 1).into();
    fs_err::write(day.join("run.json"), run.to_string()).unwrap();
    let out = common::arxrank(&[
        "site",
        newer.to_str().unwrap(),
        tmp.path().join("site2").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("run.json") && err.contains("newer than this arxrank reads"),
        "{err}"
    );
    assert!(!tmp.path().join("site2/index.html").exists());
}
