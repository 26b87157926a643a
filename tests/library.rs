//! The library's jobs called in-process, as the command line calls them: the eval plan's
//! leakage rule, the label sources gathered for `learn`, a listing dated by the one day
//! rule. (The whole commands are run as a user runs them in `cli`, `daily` and `eval`.)

use std::path::{Path, PathBuf};

use arxrank::eval::plan::{learned_plan, split_for_training, LearnedPlan, Split};
use arxrank::eval::run::RankerKind;
use arxrank::eval::LabelledSet;
use arxrank::ingest::{AnnounceType, DaySource, Format};
use arxrank::labels::library::read_library;
use arxrank::labels::sources::{gather, EmbedFn, Wanted};
use arxrank::pipeline::day::read_day;
use arxrank::report::Report;

use crate::common;

const POOL: &str = "daizedong-gpt4o-labels_linyueqian-pool_2025-05-12_13.jsonl";

/// A report that keeps what it is told.
#[derive(Default)]
struct Kept {
    notes: Vec<String>,
    wrote: Vec<PathBuf>,
}

impl Report for Kept {
    fn note(&mut self, line: &str) {
        self.notes.push(line.to_owned());
    }
    fn wrote(&mut self, path: &Path) {
        self.wrote.push(path.to_owned());
    }
}

/// A set's days as the files and the report write them.
fn days(set: &LabelledSet) -> Vec<String> {
    set.days().iter().map(ToString::to_string).collect()
}

#[test]
fn the_learned_ranker_never_trains_on_a_test_day_or_a_later_one() {
    let pool = common::data(POOL);
    let set = LabelledSet::read_jsonl(&pool).unwrap();
    assert_eq!(days(&set), ["2025-05-12", "2025-05-13"]);
    // --split-date: the set's own earlier days train, its later days test.
    let split = Split {
        split_date: chrono::NaiveDate::from_ymd_opt(2025, 5, 13),
        ..Split::default()
    };
    let (tests, training) = split_for_training(vec![set.clone()], &split).unwrap();
    let training = training.expect("a split trains");
    assert_eq!(days(&tests[0]), ["2025-05-13"]);
    assert_eq!(training[0].len(), 1);
    assert_eq!(days(&training[0][0]), ["2025-05-12"]);
    let trained = training[0][0].items.len();
    assert_eq!(trained + tests[0].items.len(), set.items.len());
    // --train with --test-from: the other pool's days before the first test day only.
    let train = [pool.clone()];
    let split = Split {
        test_from: chrono::NaiveDate::from_ymd_opt(2025, 5, 13),
        train: &train,
        ..Split::default()
    };
    let (_, training) = split_for_training(vec![set.clone()], &split).unwrap();
    let trained: Vec<String> = training.unwrap()[0].iter().flat_map(days).collect();
    assert_eq!(trained, ["2025-05-12"]);
    // Nothing before the first test day: refused, naming the set.
    let split = Split {
        split_date: chrono::NaiveDate::from_ymd_opt(2025, 5, 12),
        ..Split::default()
    };
    let err = split_for_training(vec![set], &split)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(POOL) && err.contains("no labelled day before 2025-05-12"),
        "{err}"
    );
    // A learned ranker that nothing would train is refused; one that is trained is added.
    let mut rankers = vec![RankerKind::Learned];
    let refused = learned_plan(&mut rankers, None, false, None).err().unwrap();
    assert!(refused.to_string().contains("--split-date"), "{refused}");
    let mut rankers = vec![RankerKind::Hybrid];
    let plan = learned_plan(&mut rankers, None, false, Some(3)).unwrap();
    assert!(matches!(plan, LearnedPlan::CrossValidated(3)));
    assert_eq!(rankers, [RankerKind::Hybrid, RankerKind::Learned]);
}

#[test]
fn learns_sources_are_gathered_in_process() {
    let pools = [common::data(POOL)];
    let wanted = Wanted {
        pools: &pools,
        archives: &[],
        libraries: &[],
        feedback: &[],
        digests: &[],
        listings: &[],
    };
    let embed: &mut EmbedFn = &mut |_| panic!("a labelled pool needs no embedding to gather");
    let got = gather(&wanted, None, &mut *embed).unwrap();
    assert_eq!(got.sets.len(), 1);
    assert!(got.marks.is_none() && got.notes.is_empty());
    let set = &got.sets[0].set;
    assert_eq!(set.days().len(), 2);
    assert!(set.positives() > 0 && set.positives() < set.items.len());
    // A feedback file that is not one is refused with its name and line.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("feedback.jsonl");
    fs_err::write(
        &bad,
        "{\"id\": \"2505.05648\", \"label\": 1, \"date\": \"2025-05-12\"}\nnot json\n",
    )
    .unwrap();
    let feedback = [bad];
    let wanted = Wanted {
        feedback: &feedback,
        ..wanted
    };
    let err = gather(&wanted, None, embed).err().unwrap().to_string();
    assert!(err.contains("feedback.jsonl: line 2"), "{err}");
}

#[test]
fn a_listing_is_dated_by_the_flag_its_own_date_or_its_file_name() {
    let rss = common::root().join("examples/cs-2025-05-13.rss.xml");
    let announce = [AnnounceType::New, AnnounceType::Cross];
    let mut said = Kept::default();
    let day = read_day(&rss, Format::Auto, &announce, None, &mut said).unwrap();
    assert_eq!(
        (day.date.to_string().as_str(), day.date_from),
        ("2025-05-13", DaySource::Listing)
    );
    assert_eq!(said.notes, ["day 2025-05-13 (from listing)"]);
    let day = read_day(&rss, Format::Auto, &announce, Some("2025-05-14"), &mut said).unwrap();
    assert_eq!(
        (day.date.to_string().as_str(), day.date_from),
        ("2025-05-14", DaySource::Flag)
    );
    // A crawler's file carries no day of its own: its name (or its folder's) says it.
    let dir = tempfile::tempdir().unwrap();
    let crawled = dir.path().join("2025-05-12").join("papers.jsonl");
    fs_err::create_dir_all(crawled.parent().unwrap()).unwrap();
    let line = common::read_jsonl(&common::data(POOL))[0].clone();
    let mut paper = line.as_object().unwrap().clone();
    paper.remove("date");
    fs_err::write(&crawled, serde_json::to_string(&paper).unwrap() + "\n").unwrap();
    let day = read_day(&crawled, Format::Auto, &announce, None, &mut said).unwrap();
    assert_eq!(
        (day.date.to_string().as_str(), day.date_from),
        ("2025-05-12", DaySource::FileName)
    );
    let bad = read_day(&rss, Format::Auto, &announce, Some("2025-5-14"), &mut said);
    assert!(bad.err().unwrap().to_string().contains("is not YYYY-MM-DD"));
    assert!(said.wrote.is_empty());
}

#[test]
fn zotero_database_is_read_as_zotero_keeps_it_even_while_it_runs() {
    use common::zotero::{add, create, Work};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("zotero.sqlite");
    let article = |fields: &[(&'static str, &str)], kind: &'static str, trashed: bool| Work {
        kind,
        fields: fields.iter().map(|&(k, v)| (k, v.to_owned())).collect(),
        trashed,
    };
    let conn = create(
        &db,
        &[
            Work::preprint(
                "2401.04088",
                "Mixtral of Experts",
                "We introduce Mixtral 8x7B, a sparse mixture of experts model.",
            ),
            article(
                &[
                    ("title", "Switch Transformers"),
                    ("url", "https://arxiv.org/abs/2101.03961"),
                ],
                "journalArticle",
                false,
            ),
            article(
                &[("title", "Deep learning"), ("DOI", "10.1038/nature14539")],
                "journalArticle",
                false,
            ),
            article(
                &[
                    ("title", "Outrageously Large"),
                    ("extra", "arXiv: 1701.06538"),
                ],
                "journalArticle",
                false,
            ),
            // Not works, and a trashed paper: none is a like, none counts as without an id.
            article(
                &[("url", "https://arxiv.org/abs/2402.00001")],
                "note",
                false,
            ),
            article(
                &[("url", "https://arxiv.org/pdf/2401.04088")],
                "attachment",
                false,
            ),
            Work {
                trashed: true,
                ..Work::preprint("2403.00001", "Thrown away", "")
            },
        ],
    );
    let lib = read_library(&db).unwrap();
    let ids: Vec<&str> = lib.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["2401.04088", "2101.03961", "1701.06538"]);
    assert_eq!(lib.without_id, 1);
    assert_eq!(lib.entries[0].title.as_deref(), Some("Mixtral of Experts"));
    assert!(lib.entries[0]
        .abstract_text
        .as_deref()
        .unwrap()
        .contains("sparse"));
    assert_eq!(lib.entries[1].abstract_text, None);

    // Zotero running: its write-ahead log, an exclusive lock held, and a paper saved since
    // the last checkpoint.
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA locking_mode = EXCLUSIVE;")
        .unwrap();
    add(
        &conn,
        &[Work::preprint("2405.00002", "Saved a moment ago", "Fresh.")],
    );
    let wal = dir.path().join("zotero.sqlite-wal");
    assert!(wal.exists());
    let direct =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT COUNT(*) FROM items", [], |r| r.get::<_, i64>(0)));
    assert!(
        direct.is_err(),
        "Zotero's lock keeps a reader of the file itself out"
    );
    let before = (fs_err::read(&db).unwrap(), fs_err::read(&wal).unwrap());
    let lib = read_library(&db).unwrap();
    assert_eq!(lib.entries.last().unwrap().id.as_str(), "2405.00002");
    assert_eq!(lib.entries.len(), 4);
    assert_eq!(
        before,
        (fs_err::read(&db).unwrap(), fs_err::read(&wal).unwrap())
    );
    drop(conn);

    // Files that are not Zotero's: named, with what is wrong.
    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
        .unwrap();
    let e = read_library(&other).unwrap_err();
    assert!(e.is_bad_input());
    let e = e.to_string();
    assert!(e.contains("other.sqlite: not a Zotero database"), "{e}");
    let text = dir.path().join("fake.sqlite");
    fs_err::write(&text, "2401.04088\n").unwrap();
    let e = read_library(&text).unwrap_err().to_string();
    assert!(
        e.contains("fake.sqlite: not a Zotero database: not an SQLite file"),
        "{e}"
    );
    let torn = dir.path().join("torn.sqlite");
    fs_err::write(&torn, &fs_err::read(&db).unwrap()[..4096]).unwrap();
    let e = read_library(&torn).unwrap_err().to_string();
    assert!(e.contains("torn.sqlite"), "{e}");
}
