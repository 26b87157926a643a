//! The on-disk history: round trip, every way it can be wrong, the writer lock, the v1
//! fixture, and novelty over two real announcement days.

mod common;

use std::path::Path;

use arxrank::cli::rank::{embed_papers, score_embedded, Past};
use arxrank::history::{History, HistoryError, PastPaper};
use arxrank::ingest::{parse_json_line, Paper, PaperId};
use arxrank::score::Scorer;
use arxrank::topics::Profile;

fn past(id: &str, date: &str) -> PastPaper {
    PastPaper {
        id: PaperId::parse(id).unwrap(),
        title: format!("paper {id}"),
        date: Some(date.into()),
    }
}

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

fn filled(dir: &Path) -> History {
    let mut h = History::open(dir, "fp-a", 3).unwrap();
    let (a, b, c) = (
        unit(&[1.0, 0.0, 0.0]),
        unit(&[1.0, 1.0, 0.0]),
        unit(&[0.0, 0.0, 1.0]),
    );
    let rows = vec![
        (past("2505.00001", "2025-05-12"), a.as_slice()),
        (past("2505.00002", "2025-05-12"), b.as_slice()),
        (past("2505.00003v2", "2025-05-12"), c.as_slice()),
    ];
    assert_eq!(h.append(&rows).unwrap(), 3);
    // Already stored ids (any version) are not added twice.
    assert_eq!(h.append(&rows[..1]).unwrap(), 0);
    h
}

#[test]
fn appends_survive_reopening_and_search_excludes_the_paper_itself() {
    let dir = tempfile::tempdir().unwrap();
    let h = filled(dir.path());
    let again = History::open(dir.path(), "fp-a", 3).unwrap();
    assert_eq!(again.len(), 3);
    assert_eq!(
        again
            .get(&PaperId::parse("2505.00003").unwrap())
            .unwrap()
            .title,
        "paper 2505.00003v2"
    );
    let q = unit(&[1.0, 0.1, 0.0]);
    let me = PaperId::parse("2505.00001v4").unwrap();
    let near = again.nearest(&q, 2, |p| p.id != me);
    assert_eq!(near[0].paper.id.as_str(), "2505.00002");
    assert_eq!(near.len(), 2);
    assert!(near[0].cosine >= near[1].cosine);
    assert_eq!(
        h.nearest(&q, 1, |_| true)[0].paper.id.as_str(),
        "2505.00001"
    );
    // A second append makes a second segment; both load.
    let mut h = again;
    let d = unit(&[0.0, 1.0, 0.0]);
    h.append(&[(past("2505.00004", "2025-05-13"), d.as_slice())])
        .unwrap();
    assert_eq!(History::open(dir.path(), "fp-a", 3).unwrap().len(), 4);
}

#[test]
fn corrupt_foreign_and_mismatched_histories_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    filled(dir.path());
    let manifest = dir.path().join("manifest.json");
    let good = std::fs::read_to_string(&manifest).unwrap();

    let err = History::open(dir.path(), "fp-b", 3).unwrap_err();
    assert!(matches!(err, HistoryError::ModelMismatch { .. }), "{err}");
    assert!(err.to_string().contains("fp-a") && err.to_string().contains("fp-b"));

    std::fs::write(&manifest, &good[..good.len() / 2]).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json") && err.contains("corrupt"),
        "{err}"
    );

    std::fs::write(&manifest, r#"{"format": "something-else", "version": 1}"#).unwrap();
    let err = History::open(dir.path(), "fp-a", 3).unwrap_err();
    assert!(matches!(err, HistoryError::Foreign { .. }), "{err}");

    std::fs::write(&manifest, good.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let err = History::open(dir.path(), "fp-a", 3).unwrap_err();
    assert!(
        matches!(err, HistoryError::Version { found: 99, .. }),
        "{err}"
    );

    std::fs::write(&manifest, &good).unwrap();
    let seg = dir.path().join("seg-000001.f32");
    let bytes = std::fs::read(&seg).unwrap();
    std::fs::write(&seg, &bytes[..bytes.len() - 4]).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000001.f32") && err.contains("truncated"),
        "{err}"
    );

    let mut flipped = bytes.clone();
    flipped[5] ^= 0x40;
    std::fs::write(&seg, &flipped).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000001.f32") && err.contains("checksum"),
        "{err}"
    );
}

#[test]
fn a_held_lock_blocks_writers_and_says_when_it_is_safe_to_delete() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = filled(dir.path());
    std::fs::write(dir.path().join("LOCK"), "pid 4242\n").unwrap();
    let v = unit(&[0.0, 1.0, 1.0]);
    let err = h
        .append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("LOCK") && err.contains("pid 4242") && err.contains("safe to delete"),
        "{err}"
    );
    // Nothing changed on disk, and reading still works under the lock.
    assert_eq!(History::open(dir.path(), "fp-a", 3).unwrap().len(), 3);
    std::fs::remove_file(dir.path().join("LOCK")).unwrap();
    assert_eq!(
        h.append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
            .unwrap(),
        1
    );
}

#[test]
fn format_v1_fixture_still_opens() {
    let dir = common::data("history-v1/fixture-model-000000000000");
    let h = History::open(&dir, "fixture-model-000000000000", 4).unwrap();
    assert_eq!(h.len(), 3);
    let old = PaperId::parse("hep-th/9901001").unwrap();
    assert_eq!(h.get(&old).unwrap().date.as_deref(), Some("2025-05-13"));
    assert_eq!(h.vector(&old).unwrap(), &[0.0, 0.0, 0.0, 1.0]);
    let near = h.nearest(&[1.0, 0.0, 0.0, 0.0], 2, |_| true);
    assert_eq!(near[0].paper.id.as_str(), "2505.00001");
    assert!((near[1].cosine - 0.6).abs() < 1e-6);
}

fn day(date: &str) -> Vec<Paper> {
    let path = common::data("daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let papers = text.lines().enumerate().filter_map(|(i, l)| {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        (v["date"] == date).then(|| parse_json_line(&path, i + 1, l).unwrap().unwrap())
    });
    arxrank::ingest::dedupe(papers)
}

#[test]
fn two_days_of_the_pool_catch_repeats_and_near_duplicates() {
    let day1 = day("2025-05-12");
    let mut day2 = day("2025-05-13");
    let repeats: Vec<PaperId> = day2
        .iter()
        .filter(|p| day1.iter().any(|q| q.id == p.id))
        .map(|p| p.id.clone())
        .collect();
    assert_eq!(repeats.len(), 10);
    // A resubmission under a new id: a day-1 paper with its first sentence dropped.
    let src = day1
        .iter()
        .find(|p| p.abstract_text.len() > 800)
        .unwrap()
        .clone();
    let mut dup = src.clone();
    dup.id = PaperId::parse("2505.99999").unwrap();
    dup.abstract_text = dup.abstract_text.split_once(". ").unwrap().1.to_owned();
    day2.push(dup);

    let profile = Profile::load(&common::root().join("topics")).unwrap();
    let scorer = Scorer::new(&profile);
    let mut e = common::embedder();
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), "minilm", 384).unwrap();
    let v1 = embed_papers(&mut e, &day1).unwrap();
    let rows: Vec<(PastPaper, &[f32])> = day1
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                PastPaper {
                    id: p.id.clone(),
                    title: p.title.clone(),
                    date: Some("2025-05-12".into()),
                },
                v1.row(i).to_slice().unwrap(),
            )
        })
        .collect();
    assert_eq!(h.append(&rows).unwrap(), day1.len());

    let v2 = embed_papers(&mut e, &day2).unwrap();
    let entries = score_embedded(
        &mut e,
        &scorer,
        &day2,
        &v2,
        Some(&Past {
            history: &h,
            today: "2025-05-13",
        }),
    )
    .unwrap();
    for id in &repeats {
        let x = entries.iter().find(|x| &x.paper.id == id).unwrap();
        assert_eq!(
            x.repeat_of.as_deref(),
            Some("2025-05-12"),
            "{id} not caught as a repeat"
        );
        assert!(x.novelty.is_none() && !x.scored.selected);
        assert!(x
            .scored
            .comment
            .starts_with("Repeat: in the history since 2025-05-12"));
    }
    let fresh: Vec<_> = entries.iter().filter(|x| x.repeat_of.is_none()).collect();
    assert_eq!(fresh.len(), day2.len() - 10);
    let dup = fresh
        .iter()
        .find(|x| x.paper.id.as_str() == "2505.99999")
        .unwrap();
    let nearest = dup.nearest.as_ref().unwrap();
    assert_eq!(
        nearest.paper.id, src.id,
        "the near-duplicate's nearest past paper is its source"
    );
    assert!(
        dup.scored
            .comment
            .contains(&format!("nearest past paper: {}", src.id)),
        "{}",
        dup.scored.comment
    );
    let mut novelty: Vec<u8> = fresh.iter().map(|x| x.novelty.unwrap()).collect();
    novelty.sort();
    let median = novelty[novelty.len() / 2];
    let hist: Vec<usize> = (1..=10)
        .map(|n| novelty.iter().filter(|&&v| v == n).count())
        .collect();
    eprintln!("near-duplicate: novelty {:?}, nearest cosine {:.3}; day-2 novelty 1..10: {hist:?}, median {median}", dup.novelty, nearest.cosine);
    assert!(
        dup.novelty.unwrap() <= 2,
        "near-duplicate novelty {:?}",
        dup.novelty
    );
    assert!(median >= 5, "median day-2 novelty {median}");
    assert!(
        novelty.iter().filter(|&&n| n <= 2).count() * 20 < novelty.len(),
        "too many papers look like duplicates"
    );
}
