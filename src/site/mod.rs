//! Site: many days of digests as one static website, for reading in a browser.
//!
//! `rank` writes one folder per day (`output.json`, `run.json`); this stage reads them back
//! and writes HTML: a page per day with previous/next links, a monthly overview, an index,
//! one stylesheet and one script. It reads only the digest files, never the model or the
//! history, so a site can be rebuilt anywhere the digests are copied to.
//!
//! The digest files are treated as untrusted input: abstracts, titles and author names come
//! from arXiv submitters, and a digest folder may have been edited by hand. Every field is
//! checked here (ids must be arXiv ids, dates real dates, scores on the 1-10 scale) before
//! it can reach a file name or a link, and [`pages`] escapes all text it writes.

mod pages;

use crate::fsutil::IoError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::ingest::PaperId;

pub use pages::{write_site, SiteOptions, Written, DEFAULT_LIST_FROM};

#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error(
        "no digests in {0}: expected one YYYY-MM-DD folder per day holding the \
         output.json and run.json that `arxrank rank --out {0}` writes"
    )]
    Empty(PathBuf),
}

/// `run.json`: the counts and run facts of one day.
#[derive(Debug, Clone, Deserialize)]
pub struct Run {
    pub date: String,
    pub total: usize,
    pub scanned: usize,
    pub relevant: usize,
    pub model: String,
    pub device: String,
    pub profile: String,
    pub seconds: f64,
}

/// The closest paper the history held when the day was ranked.
#[derive(Debug, Clone, Deserialize)]
pub struct NearestPast {
    pub id: PaperId,
    pub title: String,
    pub date: Option<String>,
    pub cosine: f64,
}

/// One paper of a day, as `output.json` stores it.
#[derive(Debug, Clone)]
pub struct DayPaper {
    pub id: PaperId,
    pub title: String,
    pub authors: Vec<String>,
    pub abstract_text: String,
    pub comment: String,
    pub relevance: u8,
    pub novelty: Option<u8>,
    pub rank: usize,
    pub selected: bool,
    pub raw_score: f64,
    pub best_topic: String,
    /// Cosine to each topic, in the profile's order.
    pub topic_similarity: Vec<(String, f64)>,
    pub keywords: Vec<String>,
    pub penalties: Vec<String>,
    pub author_match: Option<String>,
    pub nearest_past: Option<NearestPast>,
    pub repeat_of: Option<String>,
    pub categories: Vec<String>,
}

/// One day's digest: its run facts and the papers kept from it, in rank order.
#[derive(Debug, Clone)]
pub struct Day {
    pub date: NaiveDate,
    pub run: Run,
    pub papers: Vec<DayPaper>,
}

impl Day {
    pub fn selected(&self) -> impl Iterator<Item = &DayPaper> {
        self.papers.iter().filter(|p| p.selected)
    }

    /// `YYYY-MM`, the month overview this day belongs to.
    pub fn month(&self) -> String {
        self.date.format("%Y-%m").to_string()
    }
}

/// What [`load_days`] found: the days, oldest first, and dated folders it passed over.
#[derive(Debug)]
pub struct Loaded {
    pub days: Vec<Day>,
    /// Dated folders without an `output.json` (a day `rank` never finished, or other files).
    pub skipped: Vec<PathBuf>,
}

/// The fields of `output.json` the site shows (gpt_paper_assistant's keys plus ours).
#[derive(Deserialize)]
struct RawPaper {
    #[serde(rename = "ARXIVID")]
    id: PaperId,
    #[serde(rename = "COMMENT")]
    comment: String,
    #[serde(rename = "RELEVANCE")]
    relevance: u8,
    #[serde(rename = "NOVELTY")]
    novelty: Option<u8>,
    title: String,
    authors: Vec<String>,
    #[serde(rename = "abstract")]
    abstract_text: String,
    arxrank: RawArxrank,
}

#[derive(Deserialize)]
struct RawArxrank {
    rank: usize,
    selected: bool,
    raw_score: f64,
    best_topic: String,
    topic_similarity: Map<String, Value>,
    keywords: Vec<String>,
    irrelevant_keywords: Vec<String>,
    application_keywords: Vec<String>,
    author_match: Option<String>,
    nearest_past: Option<NearestPast>,
    repeat_of: Option<String>,
    categories: Vec<String>,
}

/// Reads every `<dir>/YYYY-MM-DD/` digest, oldest first, keeping the papers `keep` accepts.
///
/// `output.json` holds every scanned paper; a site shows only some, and a year of digests
/// is about half a gigabyte of JSON, so the rest are dropped as each day is read. Every
/// paper is still checked. Folders whose names are not dates are ignored (a digest folder
/// may hold other things); a dated folder with `output.json` but a damaged or missing
/// `run.json` is an error, since a page without its counts would misreport the day.
pub fn load_days(dir: &Path, keep: impl Fn(&DayPaper) -> bool) -> Result<Loaded, SiteError> {
    let mut dated = BTreeMap::new();
    for entry in fs_err::read_dir(dir).map_err(IoError::read(dir))? {
        let entry = entry.map_err(IoError::read(dir))?;
        let name = entry.file_name();
        let Some(date) = name.to_str().and_then(parse_date) else {
            continue;
        };
        if entry.path().is_dir() {
            dated.insert(date, entry.path());
        }
    }
    let mut loaded = Loaded {
        days: Vec::new(),
        skipped: Vec::new(),
    };
    for (date, path) in dated {
        if !path.join("output.json").exists() {
            loaded.skipped.push(path);
            continue;
        }
        loaded.days.push(load_day(&path, date, &keep)?);
    }
    if loaded.days.is_empty() {
        return Err(SiteError::Empty(dir.to_owned()));
    }
    Ok(loaded)
}

/// A strict `YYYY-MM-DD`: the date becomes a file name, so nothing else may pass.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    (d.format("%Y-%m-%d").to_string() == s).then_some(d)
}

fn read_json(path: &Path) -> Result<Value, SiteError> {
    let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
    serde_json::from_str(&text).map_err(|e| SiteError::Invalid {
        path: path.to_owned(),
        what: format!("not valid JSON: {e}"),
    })
}

fn load_day(
    dir: &Path,
    date: NaiveDate,
    keep: &impl Fn(&DayPaper) -> bool,
) -> Result<Day, SiteError> {
    let run_path = dir.join("run.json");
    if !run_path.exists() {
        return Err(SiteError::Invalid {
            path: run_path,
            what: "missing; output.json is there, so `arxrank rank` stopped before \
                   finishing this day: run it again for this day"
                .into(),
        });
    }
    let run: Run =
        serde_json::from_value(read_json(&run_path)?).map_err(|e| SiteError::Invalid {
            path: run_path.clone(),
            what: e.to_string(),
        })?;
    if parse_date(&run.date) != Some(date) {
        return Err(SiteError::Invalid {
            path: run_path,
            what: format!(
                "its date {:?} is not the folder's date {}",
                run.date,
                date.format("%Y-%m-%d")
            ),
        });
    }

    let out_path = dir.join("output.json");
    let invalid = |what: String| SiteError::Invalid {
        path: out_path.clone(),
        what,
    };
    let Value::Object(map) = read_json(&out_path)? else {
        return Err(invalid(
            "expected an object keyed by arXiv id (the digest's output.json)".into(),
        ));
    };
    let mut papers = Vec::with_capacity(map.len());
    for (key, value) in map {
        let raw: RawPaper =
            serde_json::from_value(value).map_err(|e| invalid(format!("paper {key:?}: {e}")))?;
        let paper = day_paper(raw).map_err(|what| invalid(format!("paper {key:?}: {what}")))?;
        if keep(&paper) {
            papers.push(paper);
        }
    }
    papers.sort_by_key(|p| p.rank);
    Ok(Day { date, run, papers })
}

fn day_paper(raw: RawPaper) -> Result<DayPaper, String> {
    let score = |name: &str, v: u8| {
        if (1..=10).contains(&v) {
            Ok(v)
        } else {
            Err(format!("{name} {v} is outside the 1-10 scale"))
        }
    };
    let relevance = score("RELEVANCE", raw.relevance)?;
    let novelty = raw.novelty.map(|n| score("NOVELTY", n)).transpose()?;
    let a = raw.arxrank;
    let topic_similarity = a
        .topic_similarity
        .into_iter()
        .map(|(t, v)| {
            v.as_f64()
                .map(|c| (t.clone(), c))
                .ok_or_else(|| format!("topic_similarity of {t:?} is not a number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let repeat_of = match a.repeat_of {
        Some(d) if parse_date(&d).is_none() => {
            return Err(format!("repeat_of {d:?} is not a YYYY-MM-DD date"))
        }
        r => r,
    };
    Ok(DayPaper {
        id: raw.id,
        title: raw.title,
        authors: raw.authors,
        abstract_text: raw.abstract_text,
        comment: raw.comment,
        relevance,
        novelty,
        rank: a.rank,
        selected: a.selected,
        raw_score: a.raw_score,
        best_topic: a.best_topic,
        topic_similarity,
        keywords: a.keywords,
        penalties: a
            .irrelevant_keywords
            .into_iter()
            .chain(a.application_keywords)
            .collect(),
        author_match: a.author_match,
        nearest_past: a.nearest_past,
        repeat_of,
        categories: a.categories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper(id: &str, rank: usize, relevance: u8) -> Value {
        serde_json::json!({
            "ARXIVID": id, "COMMENT": "c", "RELEVANCE": relevance, "NOVELTY": null, "SCORE": 1,
            "title": "t", "authors": ["a"], "abstract": "x",
            "arxrank": {
                "rank": rank, "selected": relevance >= 8, "raw_score": 0.5,
                "best_topic": "T", "topic_similarity": {"T": 0.5, "U": 0.1},
                "keywords": [], "irrelevant_keywords": [], "application_keywords": ["robot"],
                "author_match": null, "nearest_past": null, "repeat_of": null,
                "categories": ["cs.LG"], "announce_type": "new", "date": "2025-05-13"
            }
        })
    }

    fn write_day(root: &Path, date: &str, output: &Value) {
        let dir = root.join(date);
        fs_err::create_dir_all(&dir).unwrap();
        fs_err::write(dir.join("output.json"), output.to_string()).unwrap();
        let run = serde_json::json!({
            "date": date, "total": 3, "scanned": 2, "relevant": 1, "model": "m",
            "fingerprint": "f", "device": "cpu", "profile": "p", "tokens": 1, "seconds": 1.0,
            "cost_usd": 0
        });
        fs_err::write(dir.join("run.json"), run.to_string()).unwrap();
    }

    #[test]
    fn reads_days_in_date_order_and_papers_in_rank_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = serde_json::json!({
            "2505.00002": paper("2505.00002", 2, 3),
            "2505.00001": paper("2505.00001", 1, 9),
        });
        write_day(dir.path(), "2025-05-13", &out);
        write_day(dir.path(), "2025-05-12", &out);
        fs_err::create_dir_all(dir.path().join("2025-05-14")).unwrap();
        fs_err::create_dir_all(dir.path().join("assets")).unwrap();
        let loaded = load_days(dir.path(), |_| true).unwrap();
        let dates: Vec<String> = loaded.days.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(dates, ["2025-05-12", "2025-05-13"]);
        assert_eq!(loaded.skipped, [dir.path().join("2025-05-14")]);
        let d = &loaded.days[0];
        assert_eq!(d.papers[0].id.as_str(), "2505.00001");
        assert_eq!(d.selected().count(), 1);
        assert_eq!(d.papers[0].penalties, ["robot"]);
        assert_eq!(d.papers[0].topic_similarity[1], ("U".to_string(), 0.1));
        let picks = load_days(dir.path(), |p| p.selected).unwrap();
        assert_eq!(picks.days[1].papers.len(), 1);
    }

    #[test]
    fn bad_digests_name_the_file_and_the_problem() {
        let err = |out: Value, date: &str| {
            let dir = tempfile::tempdir().unwrap();
            write_day(dir.path(), date, &out);
            load_days(dir.path(), |_| true).unwrap_err().to_string()
        };
        let mut p = paper("2505.00001", 1, 9);
        p.as_object_mut().unwrap().remove("COMMENT");
        let e = err(serde_json::json!({ "2505.00001": p }), "2025-05-13");
        assert!(
            e.contains("2025-05-13/output.json") && e.contains("missing field `COMMENT`"),
            "{e}"
        );

        let e = err(
            serde_json::json!({ "x": paper("javascript:alert(1)", 1, 9) }),
            "2025-05-13",
        );
        assert!(e.contains("output.json") && e.contains("arXiv"), "{e}");

        let e = err(
            serde_json::json!({ "2505.00001": paper("2505.00001", 1, 11) }),
            "2025-05-13",
        );
        assert!(e.contains("RELEVANCE 11 is outside the 1-10 scale"), "{e}");

        let mut p = paper("2505.00001", 1, 9);
        p["arxrank"]["repeat_of"] = "../../etc".into();
        let e = err(serde_json::json!({ "2505.00001": p }), "2025-05-13");
        assert!(e.contains("repeat_of \"../../etc\""), "{e}");

        let e = err(serde_json::json!([1, 2]), "2025-05-13");
        assert!(e.contains("expected an object keyed by arXiv id"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), "2025-05-13", &serde_json::json!({}));
        fs_err::write(dir.path().join("2025-05-13/output.json"), "{\"a\": [").unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(
            e.contains("output.json: not valid JSON") && e.contains("line 1"),
            "{e}"
        );

        fs_err::remove_file(dir.path().join("2025-05-13/run.json")).unwrap();
        fs_err::write(dir.path().join("2025-05-13/output.json"), "{}").unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(e.contains("run.json: missing"), "{e}");

        let dir = tempfile::tempdir().unwrap();
        write_day(dir.path(), "2025-05-13", &serde_json::json!({}));
        fs_err::rename(dir.path().join("2025-05-13"), dir.path().join("2025-05-14")).unwrap();
        let e = load_days(dir.path(), |_| true).unwrap_err().to_string();
        assert!(e.contains("is not the folder's date 2025-05-14"), "{e}");

        let empty = tempfile::tempdir().unwrap();
        let e = load_days(empty.path(), |_| true).unwrap_err().to_string();
        assert!(e.starts_with("no digests in"), "{e}");
    }

    #[test]
    fn only_strict_dates_name_day_folders() {
        assert!(parse_date("2025-05-13").is_some());
        for bad in [
            "2025-5-13",
            "2025-02-30",
            "../2025-05-13",
            "2025-05-13x",
            "",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }
}
