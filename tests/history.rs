//! The on-disk history: round trip, every way it can be wrong, the writer lock, the v1
//! fixture, and novelty over two real announcement days.

use crate::common;

use std::path::Path;

use arxrank::history::{History, HistoryError, PastPaper, StoragePrecision};
use arxrank::ingest::{parse_json_line, Day, Paper, PaperId};
use arxrank::pipeline::{embed_papers, history_rows, score_embedded, Past};
use arxrank::score::Scorer;
use arxrank::topics::Profile;

fn past(id: &str, date: &str) -> PastPaper {
    PastPaper {
        id: PaperId::parse(id).unwrap(),
        title: format!("paper {id}"),
        date: Day::parse(date),
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
    let good = fs_err::read_to_string(&manifest).unwrap();

    let err = History::open(dir.path(), "fp-b", 3).unwrap_err();
    assert!(matches!(err, HistoryError::ModelMismatch { .. }), "{err}");
    assert!(err.to_string().contains("fp-a") && err.to_string().contains("fp-b"));

    fs_err::write(&manifest, &good[..good.len() / 2]).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json") && err.contains("corrupt"),
        "{err}"
    );

    fs_err::write(&manifest, r#"{"format": "something-else", "version": 1}"#).unwrap();
    let err = History::open(dir.path(), "fp-a", 3).unwrap_err();
    assert!(matches!(err, HistoryError::Foreign { .. }), "{err}");

    fs_err::write(&manifest, good.replace("\"version\": 1", "\"version\": 99")).unwrap();
    let err = History::open(dir.path(), "fp-a", 3).unwrap_err();
    assert!(
        matches!(err, HistoryError::Version { found: 99, .. }),
        "{err}"
    );

    fs_err::write(&manifest, &good).unwrap();
    let seg = dir.path().join("seg-000001.f32");
    let bytes = fs_err::read(&seg).unwrap();
    fs_err::write(&seg, &bytes[..bytes.len() - 4]).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000001.f32") && err.contains("truncated"),
        "{err}"
    );

    let mut flipped = bytes.clone();
    flipped[5] ^= 0x40;
    fs_err::write(&seg, &flipped).unwrap();
    let err = History::open(dir.path(), "fp-a", 3)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000001.f32") && err.contains("checksum"),
        "{err}"
    );
}

#[test]
fn a_held_lock_blocks_writers_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = filled(dir.path());
    // Another open file description holds the kernel's lock, as a second arxrank would.
    let me = format!("pid {}", std::process::id());
    let holder = fs_err::OpenOptions::new()
        .write(true)
        .open(dir.path().join("LOCK"))
        .unwrap();
    holder.try_lock().unwrap();
    fs_err::write(dir.path().join("LOCK"), format!("{me}\n")).unwrap();
    let v = unit(&[0.0, 1.0, 1.0]);
    let err = h
        .append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
        .unwrap_err();
    assert!(matches!(err, HistoryError::Locked { .. }), "{err}");
    let err = err.to_string();
    assert!(
        err.contains("LOCK") && err.contains(&me) && err.contains("wait for it to finish"),
        "{err}"
    );
    // Nothing changed on disk, and reading still works under the lock.
    assert_eq!(History::open(dir.path(), "fp-a", 3).unwrap().len(), 3);
    drop(holder);
    assert_eq!(
        h.append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
            .unwrap(),
        1
    );
    // The lock file stays (it is only a name to lock), and names the last writer.
    let text = fs_err::read_to_string(dir.path().join("LOCK")).unwrap();
    assert_eq!(text.trim(), me);
}

/// A writer in another process that holds the lock until it is killed: Python's `flock` is
/// the same system call Rust's `File::try_lock` makes on Linux.
#[cfg(target_os = "linux")]
fn hold_lock_in_another_process(lock: &Path) -> std::process::Child {
    use std::io::BufRead;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import fcntl, os, sys, time\n\
             f = open(sys.argv[1], 'a')\n\
             fcntl.flock(f, fcntl.LOCK_EX)\n\
             f.truncate(0); f.write('pid %d\\n' % os.getpid()); f.flush()\n\
             print('locked', flush=True)\n\
             time.sleep(120)",
        ])
        .arg(lock)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "locked");
    child
}

#[test]
#[cfg(target_os = "linux")]
fn the_lock_of_a_killed_writer_is_released_by_the_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = filled(dir.path());
    let mut writer = hold_lock_in_another_process(&dir.path().join("LOCK"));
    let v = unit(&[0.0, 1.0, 1.0]);
    let err = h
        .append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("pid {}", writer.id())), "{err}");
    // kill -9: the process cannot clean up; its lock file stays, its lock does not.
    writer.kill().unwrap();
    writer.wait().unwrap();
    assert!(dir.path().join("LOCK").exists());
    assert_eq!(
        h.append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
            .unwrap(),
        1
    );
    assert_eq!(History::open(dir.path(), "fp-a", 3).unwrap().len(), 4);
}

#[test]
fn a_segment_written_before_a_crash_but_never_committed_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = filled(dir.path());
    // The crash came between writing segment 2 and renaming the manifest.
    fs_err::write(dir.path().join("seg-000002.f32"), [7u8; 5]).unwrap();
    fs_err::write(dir.path().join("seg-000002.jsonl"), "{\"half\":").unwrap();
    let reopened = History::open(dir.path(), "fp-a", 3).unwrap();
    assert_eq!(reopened.len(), 3);
    let v = unit(&[0.0, 1.0, 1.0]);
    h.append(&[(past("2505.00009", "2025-05-13"), v.as_slice())])
        .unwrap();
    let again = History::open(dir.path(), "fp-a", 3).unwrap();
    assert_eq!(again.len(), 4);
    assert_eq!(
        again
            .vector(&PaperId::parse("2505.00009").unwrap())
            .unwrap(),
        v.as_slice()
    );
}

/// Deterministic pseudo-random unit vectors (xorshift), for structure-only index tests.
fn random_units(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut x = seed;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..n)
        .map(|_| unit(&(0..dim).map(|_| next()).collect::<Vec<_>>()))
        .collect()
}

fn rows_of(vs: &[Vec<f32>], from: usize) -> Vec<(PastPaper, &[f32])> {
    vs.iter()
        .enumerate()
        .map(|(i, v)| {
            (
                past(&format!("2501.{:05}", from + i), "2025-01-01"),
                v.as_slice(),
            )
        })
        .collect()
}

#[test]
fn a_damaged_or_misplaced_ann_index_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let vs = random_units(300, 8, 7);
    let mut h = History::open(dir.path(), "fp-a", 8).unwrap();
    h.append(&rows_of(&vs[..200], 0)).unwrap();
    // Below the threshold nothing is built; at it, every row is indexed.
    assert_eq!(h.build_index(1000).unwrap(), 0);
    assert_eq!(h.build_index(200).unwrap(), 200);
    h.append(&rows_of(&vs[200..], 200)).unwrap();
    assert_eq!(
        h.build_index(1000).unwrap(),
        100,
        "an index, once built, is kept up to date"
    );
    let h = History::open(dir.path(), "fp-a", 8).unwrap();
    assert_eq!(h.indexed(), 300);
    let files: Vec<String> = fs_err::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("ann-") || n.starts_with(".ann-"))
        .collect();
    assert_eq!(files.len(), 2, "only the current dump is kept: {files:?}");
    let graph = files.iter().find(|f| f.ends_with(".graph")).unwrap();

    // Another history of the same model: the index is not a prefix of it.
    let other = tempfile::tempdir().unwrap();
    let mut o = History::open(other.path(), "fp-a", 8).unwrap();
    o.append(&rows_of(&vs[100..], 100)).unwrap();
    for f in [
        "ann.json",
        graph.as_str(),
        &graph.replace(".graph", ".data"),
    ] {
        fs_err::copy(dir.path().join(f), other.path().join(f)).unwrap();
    }
    let err = History::open(other.path(), "fp-a", 8)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ann.json") && err.contains("not a prefix of this history"),
        "{err}"
    );

    let path = dir.path().join(graph);
    let mut bytes = fs_err::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    fs_err::write(&path, bytes).unwrap();
    let err = History::open(dir.path(), "fp-a", 8)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(graph.as_str()) && err.contains("checksum"),
        "{err}"
    );
    fs_err::write(dir.path().join("ann.json"), "{\"format\": \"faiss\"}").unwrap();
    let err = History::open(dir.path(), "fp-a", 8)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an arxrank history"), "{err}");
    // Deleting the description is the documented way out: the index is rebuilt.
    fs_err::remove_file(dir.path().join("ann.json")).unwrap();
    let mut h = History::open(dir.path(), "fp-a", 8).unwrap();
    assert_eq!(h.build_index(0).unwrap(), 300);
}

#[test]
fn f16_histories_take_half_the_disk_and_keep_their_precision() {
    let (d32, d16) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let vs = random_units(100, 384, 11);
    let mut a = History::open(d32.path(), "fp-a", 384).unwrap();
    a.append(&rows_of(&vs, 0)).unwrap();
    let mut b = History::open(d16.path(), "fp-a", 384).unwrap();
    b.set_precision(StoragePrecision::F16).unwrap();
    b.append(&rows_of(&vs, 0)).unwrap();
    let size = |d: &Path, f: &str| fs_err::metadata(d.join(f)).unwrap().len();
    assert_eq!(size(d32.path(), "seg-000001.f32"), 100 * 384 * 4);
    assert_eq!(size(d16.path(), "seg-000001.f16"), 100 * 384 * 2);
    let manifest = fs_err::read_to_string(d16.path().join("manifest.json")).unwrap();
    assert!(manifest.contains("\"version\": 2") && manifest.contains("\"precision\": \"f16\""));
    let manifest = fs_err::read_to_string(d32.path().join("manifest.json")).unwrap();
    assert!(
        manifest.contains("\"version\": 1"),
        "f32 stays readable by v1 readers"
    );

    let (a, mut b) = (
        History::open(d32.path(), "fp-a", 384).unwrap(),
        History::open(d16.path(), "fp-a", 384).unwrap(),
    );
    assert_eq!(b.precision(), StoragePrecision::F16);
    let mut worst = 0f32;
    for (i, q) in vs.iter().enumerate().take(20) {
        let me = PaperId::parse(&format!("2501.{i:05}")).unwrap();
        let (x, y) = (
            a.nearest(q, 5, |p| p.id != me),
            b.nearest(q, 5, |p| p.id != me),
        );
        assert_eq!(x[0].paper.id, y[0].paper.id);
        for (u, v) in x.iter().zip(&y) {
            worst = worst.max((u.cosine - v.cosine).abs());
        }
    }
    assert!(worst < 2e-3, "f16 moved a cosine by {worst}");
    let err = b
        .set_precision(StoragePrecision::F32)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json") && err.contains("stores f16 vectors, f32 was asked for"),
        "{err}"
    );
}

#[test]
fn format_v1_fixture_still_opens() {
    let dir = common::data("history-v1/fixture-model-000000000000");
    let h = History::open(&dir, "fixture-model-000000000000", 4).unwrap();
    assert_eq!(h.len(), 3);
    let old = PaperId::parse("hep-th/9901001").unwrap();
    assert_eq!(h.get(&old).unwrap().date, Day::parse("2025-05-13"));
    assert_eq!(&*h.vector(&old).unwrap(), &[0.0, 0.0, 0.0, 1.0]);
    let near = h.nearest(&[1.0, 0.0, 0.0, 0.0], 2, |_| true);
    assert_eq!(near[0].paper.id.as_str(), "2505.00001");
    assert!((near[1].cosine - 0.6).abs() < 1e-6);
}

fn day(date: &str) -> Vec<Paper> {
    let path = common::data("daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl");
    let text = fs_err::read_to_string(&path).unwrap();
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
    let rows = history_rows(&day1, &v1, Day::parse("2025-05-12"));
    assert_eq!(h.append(&rows).unwrap(), day1.len());

    let v2 = embed_papers(&mut e, &day2).unwrap();
    let entries = score_embedded(
        &mut e,
        &scorer,
        &day2,
        &v2,
        Some(&Past {
            history: &h,
            today: Day::parse("2025-05-13").unwrap(),
        }),
    )
    .unwrap();
    for id in &repeats {
        let x = entries.iter().find(|x| &x.paper.id == id).unwrap();
        assert_eq!(
            x.repeat_of,
            Day::parse("2025-05-12"),
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

    // The ANN index on both days' real embeddings against exact search: built on day 1,
    // reloaded from disk, extended with day 2.
    let adir = tempfile::tempdir().unwrap();
    let mut a = History::open(adir.path(), "minilm", 384).unwrap();
    a.append(&rows).unwrap();
    assert_eq!(a.build_index(0).unwrap(), day1.len());
    let rows2 = history_rows(&day2, &v2, Day::parse("2025-05-13"));
    let mut a = History::open(adir.path(), "minilm", 384).unwrap();
    let added = a.append(&rows2).unwrap();
    assert_eq!(a.build_index(0).unwrap(), added);
    let a = History::open(adir.path(), "minilm", 384).unwrap();
    assert_eq!(
        (a.indexed(), a.len()),
        (day1.len() + added, day1.len() + added)
    );
    let (mut hits, mut total) = (0, 0);
    for (i, p) in day2.iter().enumerate() {
        let q = v2.row(i).to_slice().unwrap();
        let approx = a.nearest(q, 10, |x| x.id != p.id);
        let exact = a.nearest_exact(q, 10, |x| x.id != p.id);
        assert_eq!(approx.len(), 10);
        assert!(
            approx.iter().all(|n| n.paper.id != p.id),
            "the paper itself is excluded"
        );
        total += exact.len();
        hits += exact
            .iter()
            .filter(|e| approx.iter().any(|n| n.paper.id == e.paper.id))
            .count();
    }
    let recall = hits as f64 / total as f64;
    eprintln!(
        "ANN recall@10 vs exact, {} day-2 queries over {} real vectors: {recall:.4}",
        day2.len(),
        a.len()
    );
    assert!(recall >= 0.95, "recall@10 {recall}");
    assert!(
        novelty.iter().filter(|&&n| n <= 2).count() * 20 < novelty.len(),
        "too many papers look like duplicates"
    );
}

/// The batched search a day uses gives what one-query-at-a-time exact search gives: the
/// same papers in the same order with the same cosines (integer scoring is only a filter),
/// across segments and blocks, with per-query filters, in f32 and f16, and with an ANN index
/// over a prefix of the rows.
#[test]
fn batched_search_matches_one_query_at_a_time() {
    use arxrank::history::synthetic::{fill, Synthetic};
    for precision in [StoragePrecision::F32, StoragePrecision::F16] {
        let dir = tempfile::tempdir().unwrap();
        let mut h = History::open(dir.path(), "fp-synth", 384).unwrap();
        h.set_precision(precision).unwrap();
        let mut gen = Synthetic::new(3, 384);
        // 3 segments, the middle one spanning several search blocks.
        fill(&mut h, &mut gen, 0, 1_000, 1_000, |_| {}).unwrap();
        fill(&mut h, &mut gen, 1_000, 10_000, 10_000, |_| {}).unwrap();
        fill(&mut h, &mut gen, 11_000, 2_000, 2_000, |_| {}).unwrap();
        let mut qgen = Synthetic::new(11, 384);
        let mut queries = ndarray::Array2::<f32>::zeros((60, 384));
        for mut row in queries.rows_mut() {
            row.assign(&ndarray::ArrayView1::from(&qgen.vector()));
        }
        // Query i leaves out every stored row whose id ends in its own last digit.
        let keep = |i: usize, p: &PastPaper| !p.id.as_str().ends_with(&(i % 10).to_string());
        let check = |h: &History, what: &str| {
            let batched = h.nearest_many(queries.view(), 5, keep);
            for (i, got) in batched.iter().enumerate() {
                let q = queries.row(i);
                let want = h.nearest_exact(q.as_slice().unwrap(), 5, |p| keep(i, p));
                let ids = |ns: &[arxrank::history::Neighbour]| {
                    ns.iter().map(|n| n.paper.id.clone()).collect::<Vec<_>>()
                };
                assert_eq!(ids(got), ids(&want), "{precision} {what}: query {i}");
                for (a, b) in got.iter().zip(&want) {
                    assert!((a.cosine - b.cosine).abs() < 1e-5, "{precision} {what}");
                }
            }
        };
        check(&h, "exact");
        // An index over the first 13,000 rows; rows appended after it are scanned exactly.
        let mut h = History::open(dir.path(), "fp-synth", 384).unwrap();
        h.build_index(1).unwrap();
        let (head, tail) = (1_000 + 10_000, 2_000);
        let mut gen2 = Synthetic::new(5, 384);
        fill(&mut h, &mut gen2, head + tail, 500, 500, |_| {}).unwrap();
        let mut h = History::open(dir.path(), "fp-synth", 384).unwrap();
        h.set_search_width(512);
        assert_eq!(h.indexed(), head + tail);
        let batched = h.nearest_many(queries.view(), 5, keep);
        for (i, got) in batched.iter().enumerate() {
            let q = queries.row(i);
            let one = h.nearest(q.as_slice().unwrap(), 5, |p| keep(i, p));
            assert_eq!(got, &one, "{precision} with the index: query {i}");
        }
    }
}

/// Opening trusts a file whose size and modification time are what they were when it was
/// verified; `verify` hashes everything and finds a byte changed behind the time's back.
#[test]
fn open_trusts_stamped_files_and_verify_hashes_them_all() {
    use arxrank::history::synthetic::{fill, Synthetic};
    let dir = tempfile::tempdir().unwrap();
    let mut h = History::open(dir.path(), "fp-synth", 384).unwrap();
    h.set_precision(StoragePrecision::F16).unwrap();
    let mut gen = Synthetic::new(3, 384);
    fill(&mut h, &mut gen, 0, 3_000, 1_000, |_| {}).unwrap();
    assert_eq!(h.verify().unwrap(), 6);
    drop(h);
    assert!(dir.path().join("verified.json").is_file());

    // A byte flipped, the modification time put back: open cannot tell, verify can.
    let seg = dir.path().join("seg-000002.f16");
    let when = fs_err::metadata(&seg).unwrap().modified().unwrap();
    let mut bytes = fs_err::read(&seg).unwrap();
    bytes[1000] ^= 0x10;
    fs_err::write(&seg, &bytes).unwrap();
    fs_err::File::options()
        .write(true)
        .open(&seg)
        .unwrap()
        .file()
        .set_modified(when)
        .unwrap();
    let mut h = History::open(dir.path(), "fp-synth", 384).unwrap();
    let err = h.verify().unwrap_err().to_string();
    assert!(
        err.contains("seg-000002.f16") && err.contains("checksum"),
        "{err}"
    );
    drop(h);

    // Touched (a new modification time): open hashes it and refuses.
    fs_err::write(&seg, &bytes).unwrap();
    let err = History::open(dir.path(), "fp-synth", 384)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000002.f16") && err.contains("checksum"),
        "{err}"
    );

    // Truncated mid-row: the size says so before anything is read.
    fs_err::write(&seg, &bytes[..bytes.len() - 100]).unwrap();
    let err = History::open(dir.path(), "fp-synth", 384)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("seg-000002.f16") && err.contains("truncated"),
        "{err}"
    );
}

/// `history synthesize`, `stats` and `verify` on the command line, against the default
/// model's fingerprint (what `rank --history` would open).
#[test]
fn history_stats_and_verify_commands() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().display().to_string();
    let out = common::arxrank(&[
        "history",
        "synthesize",
        "12000",
        "--history",
        &root,
        "--segment",
        "5000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::arxrank(&["history", "stats", "--history", &root]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for want in [
        "papers    12000",
        "segments  3",
        "stored as f16",
        "days      2007-04-01 to 2007-04-04",
        "index     0 of 12000 papers (exact search)",
        &common::model_dir().fingerprint,
    ] {
        assert!(text.contains(want), "{want:?} not in:\n{text}");
    }
    let out = common::arxrank(&["history", "verify", "--history", &root]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("verified 6 files") && err.contains("12000 papers"),
        "{err}"
    );
    // A truncated segment: named, exit 1, before anything is read.
    let seg = History::dir_for(dir.path(), &common::model_dir().fingerprint).join("seg-000003.f16");
    let bytes = fs_err::read(&seg).unwrap();
    fs_err::write(&seg, &bytes[..bytes.len() - 7]).unwrap();
    let out = common::arxrank(&["history", "stats", "--history", &root]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("seg-000003.f16") && err.contains("truncated"),
        "{err}"
    );
}
