//! Labels: what a judge or the reader said about papers, below both `learn` (which trains
//! on them) and `eval` (which measures rankers against them).
//!
//! Labelled sets are papers with a judge's verdict, read from the pools in `labelled/` (JSON
//! lines with a `label`) or from gpt_paper_assistant's `output.json` joined to a listing;
//! [`sources`] turns an archive of digests, a library or the reader's feedback into them,
//! and [`marks`] holds the reader's likes and dislikes as they are stored with a profile.

pub mod feedback;
mod group;
pub mod library;
pub mod marks;
pub mod sources;
mod zotero;

pub use group::{Group, LIBRARY_GROUPS};
pub use marks::{Mark, MarkSource, Marks};
pub use sources::{Known, Training};

use crate::fsutil::IoError;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::embed::EmbedError;
use crate::history::HistoryError;
use crate::ingest::{
    paper_from_object, read_listing, Day, IngestError, Paper, PaperId, ReadOptions,
};
use crate::render::{Loose, PickRecord};
use crate::site::SiteError;
use serde::Deserialize;

/// Why labels could not be read: the file and line, or the error of the stage that was
/// asked for the papers they join to.
#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: line {line}: {message}")]
    Label {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Site(#[from] SiteError),
    /// Boxed, as the next: each is larger than the rest of this enum.
    #[error(transparent)]
    History(Box<HistoryError>),
    #[error(transparent)]
    Embed(Box<EmbedError>),
}

impl From<HistoryError> for LabelsError {
    fn from(e: HistoryError) -> Self {
        LabelsError::History(Box::new(e))
    }
}

impl From<EmbedError> for LabelsError {
    fn from(e: EmbedError) -> Self {
        LabelsError::Embed(Box::new(e))
    }
}

impl LabelsError {
    /// Whether the user can fix it by fixing the input (exit code 2), rather than the
    /// machine failing (a file that cannot be read, a model that cannot run).
    pub fn is_bad_input(&self) -> bool {
        match self {
            Self::Label { .. } | Self::Invalid { .. } => true,
            Self::Ingest(IngestError::Io(_)) => false,
            Self::Ingest(_) => true,
            Self::Site(SiteError::Invalid { .. } | SiteError::Empty(_)) => true,
            _ => false,
        }
    }
}

/// What the judge said about one paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// The judge put it in the digest (`label.selected`, `label.kept`, or present in an
    /// `output.json`).
    pub selected: bool,
    /// Graded relevance (1-10) where the judge's score was published.
    pub relevance: Option<f32>,
    pub novelty: Option<f32>,
}

/// A paper as listed on one day, with its judgement. A paper listed on two days appears
/// twice: each listing was judged on its own.
#[derive(Debug, Clone)]
pub struct Judged {
    pub paper: Paper,
    /// The day it was listed on (or the group standing in for one).
    pub day: Group,
    pub label: Judgement,
}

/// One labelled set, in file order.
#[derive(Debug, Clone)]
pub struct LabelledSet {
    /// Short name for tables and file names (the file stem).
    pub name: String,
    pub source: PathBuf,
    pub items: Vec<Judged>,
    /// Rows the judge never saw (`in_scan_universe: false`), left out of every metric.
    pub unjudged: usize,
    /// Labelled ids with no paper in the listing (joined sets only): positives the pool
    /// lacks, so recall is measured on the rest.
    pub unmatched: Vec<String>,
}

impl LabelledSet {
    /// Reads a labelled pool: one paper per line in arxrank's JSON schema, plus
    /// `label: {selected | kept, relevance?, novelty?}` and optionally `in_scan_universe`.
    pub fn read_jsonl(path: &Path) -> Result<Self, LabelsError> {
        let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
        let mut items = Vec::new();
        let mut unjudged = 0;
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |message: String| LabelsError::Label {
                path: path.to_owned(),
                line: line_no,
                message,
            };
            let value: Value =
                serde_json::from_str(line).map_err(|e| bad(format!("malformed JSON: {e}")))?;
            let Value::Object(obj) = value else {
                return Err(bad("expected a JSON object".into()));
            };
            if obj.get("in_scan_universe").and_then(Value::as_bool) == Some(false) {
                unjudged += 1;
                continue;
            }
            let paper = paper_from_object(path, line_no, &obj)?;
            let label = match obj.get("label") {
                Some(Value::Object(l)) => judgement(l).map_err(bad)?,
                Some(_) => return Err(bad("`label` is not an object".into())),
                None => return Err(bad("missing `label` (a labelled pool needs one per paper; a plain listing goes with --labels output.json)".into())),
            };
            let day = Group::of_date(paper.date);
            items.push(Judged { paper, day, label });
        }
        Self::new(path, items, unjudged, Vec::new())
    }

    /// Joins a listing (any format `rank` reads) with gpt_paper_assistant's or
    /// ChatGPT-ArXiv-Paper-Assistant's `output.json`: papers in it were selected, with their
    /// RELEVANCE and NOVELTY; every other listed paper was not.
    pub fn join_output_json(
        listing: &Path,
        output: &Path,
        day: Option<Day>,
    ) -> Result<Self, LabelsError> {
        let labels = read_output_json(output)?;
        let listing_read = read_listing(listing, &ReadOptions::default())?;
        let day = day.or(listing_read.date).map_or(Group::Undated, Group::Day);
        let listed: HashSet<&PaperId> = listing_read.papers.iter().map(|p| &p.id).collect();
        let mut unmatched: Vec<String> = labels
            .keys()
            .filter(|id| !listed.contains(id))
            .map(|id| id.to_string())
            .collect();
        unmatched.sort();
        let items = listing_read
            .papers
            .iter()
            .map(|p| Judged {
                paper: p.clone(),
                day: p.date.map_or(day, Group::Day),
                label: labels.get(&p.id).cloned().unwrap_or(Judgement {
                    selected: false,
                    relevance: None,
                    novelty: None,
                }),
            })
            .collect();
        Self::new(listing, items, 0, unmatched)
    }

    /// A set built from judged papers (the label sources of `learn`), checked as a file's
    /// would be: named after `path`'s stem, with both picks and non-picks.
    pub fn from_items(path: &Path, items: Vec<Judged>) -> Result<Self, LabelsError> {
        Self::new(path, items, 0, Vec::new())
    }

    fn new(
        path: &Path,
        items: Vec<Judged>,
        unjudged: usize,
        unmatched: Vec<String>,
    ) -> Result<Self, LabelsError> {
        let invalid = |message: &str| LabelsError::Invalid {
            path: path.to_owned(),
            message: message.into(),
        };
        if items.is_empty() {
            return Err(invalid("holds no judged papers"));
        }
        let positives = items.iter().filter(|j| j.label.selected).count();
        if positives == 0 || positives == items.len() {
            return Err(invalid(
                "needs both selected and unselected papers to measure a ranking",
            ));
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "set".into());
        Ok(Self {
            name,
            source: path.to_owned(),
            items,
            unjudged,
            unmatched,
        })
    }

    pub fn papers(&self) -> Vec<Paper> {
        self.items.iter().map(|j| j.paper.clone()).collect()
    }

    pub fn selected(&self) -> Vec<bool> {
        self.items.iter().map(|j| j.label.selected).collect()
    }

    /// The judge's graded relevance per paper, where published.
    pub fn relevance(&self) -> Vec<Option<f32>> {
        self.items.iter().map(|j| j.label.relevance).collect()
    }

    pub fn positives(&self) -> usize {
        self.items.iter().filter(|j| j.label.selected).count()
    }

    /// The fraction of papers the judge selected.
    pub fn selection_rate(&self) -> f64 {
        self.positives() as f64 / self.items.len() as f64
    }

    /// The distinct announcement days, sorted.
    pub fn days(&self) -> Vec<Group> {
        let mut d: Vec<Group> = self.items.iter().map(|j| j.day).collect();
        d.sort();
        d.dedup();
        d
    }

    /// The papers of days before `day` and those of `day` and after, as two sets, for a
    /// time-forward evaluation: train on the first, test on the second.
    pub fn split_at(&self, day: Group) -> (LabelledSet, LabelledSet) {
        let part = |keep: &dyn Fn(Group) -> bool, suffix: String| LabelledSet {
            name: format!("{}_{suffix}", self.name),
            source: self.source.clone(),
            items: self.items.iter().filter(|j| keep(j.day)).cloned().collect(),
            unjudged: 0,
            unmatched: Vec::new(),
        };
        (
            part(&|d| d < day, format!("before_{day}")),
            part(&|d| d >= day, format!("from_{day}")),
        )
    }

    /// The papers of days before `day`, keeping the set's name.
    pub fn before(&self, day: Group) -> LabelledSet {
        LabelledSet {
            items: self.items.iter().filter(|j| j.day < day).cloned().collect(),
            ..self.clone()
        }
    }
}

/// A score as a labelled pool or an `output.json` writes it: one rule for both.
fn number(v: Option<&Value>) -> Option<f32> {
    Loose::deserialize(v?).ok()?.number()
}

fn judgement(l: &Map<String, Value>) -> Result<Judgement, String> {
    let selected = ["selected", "kept"]
        .iter()
        .find_map(|k| l.get(*k))
        .ok_or("`label` has neither `selected` nor `kept`")?;
    let selected = selected
        .as_bool()
        .ok_or("`label.selected` (or `kept`) is not true/false")?;
    Ok(Judgement {
        selected,
        relevance: number(l.get("relevance")),
        novelty: number(l.get("novelty")),
    })
}

/// One paper of an `output.json`: the judge's verdict, and whatever text it carries
/// (gpt_paper_assistant writes title, authors and abstract beside its scores).
#[derive(Debug, Clone)]
pub struct OutputEntry {
    pub id: PaperId,
    pub label: Judgement,
    pub title: Option<String>,
    pub abstract_text: Option<String>,
    pub authors: Vec<String>,
}

impl OutputEntry {
    /// The paper, when the entry carries its title and abstract.
    pub fn paper(&self, day: Day) -> Option<Paper> {
        let title = self.title.clone().filter(|t| !t.trim().is_empty())?;
        let abstract_text = self
            .abstract_text
            .clone()
            .filter(|a| !a.trim().is_empty())?;
        Some(Paper {
            id: self.id.clone(),
            title,
            authors: self.authors.clone(),
            abstract_text,
            categories: Vec::new(),
            date: Some(day),
            announce: crate::ingest::AnnounceType::Unknown,
        })
    }
}

/// `output.json`: an object keyed by arXiv id (or an array) of objects with `RELEVANCE`,
/// `NOVELTY` and `ARXIVID`/`arxiv_id`.
fn read_output_json(path: &Path) -> Result<HashMap<PaperId, Judgement>, LabelsError> {
    Ok(read_output_entries(path)?
        .into_iter()
        .map(|e| (e.id, e.label))
        .collect())
}

/// Every entry of a gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant `output.json`
/// (or arxrank's), in file order: each one a paper the judge selected.
pub fn read_output_entries(path: &Path) -> Result<Vec<OutputEntry>, LabelsError> {
    let invalid = |message: String| LabelsError::Invalid {
        path: path.to_owned(),
        message,
    };
    let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| invalid(format!("malformed JSON: {e}")))?;
    let entries: Vec<(Option<String>, Value)> = match value {
        Value::Object(m) => m.into_iter().map(|(k, v)| (Some(k), v)).collect(),
        Value::Array(a) => a.into_iter().map(|v| (None, v)).collect(),
        _ => return Err(invalid("expected an object keyed by arXiv id".into())),
    };
    let mut out: Vec<OutputEntry> = Vec::new();
    let mut seen = HashSet::new();
    for (key, v) in entries {
        if !v.is_object() {
            return Err(invalid(format!(
                "entry {} is not an object",
                key.as_deref().unwrap_or("?")
            )));
        }
        let entry: PickRecord = serde_json::from_value(v)
            .map_err(|e| invalid(format!("entry {}: {e}", key.as_deref().unwrap_or("?"))))?;
        let raw_id = entry
            .id_text()
            .map(str::to_owned)
            .or(key)
            .ok_or_else(|| invalid("an entry has no ARXIVID".into()))?;
        let id = PaperId::parse(&raw_id)
            .ok_or_else(|| invalid(format!("`{raw_id}` is not an arXiv id")))?;
        if !seen.insert(id.clone()) {
            continue;
        }
        out.push(OutputEntry {
            id,
            label: Judgement {
                selected: true,
                relevance: entry.relevance.number(),
                novelty: entry.novelty.number(),
            },
            title: entry.title.text().map(str::to_owned),
            abstract_text: entry.abstract_text.text().map(str::to_owned),
            authors: entry.authors.names(),
        });
    }
    if out.is_empty() {
        return Err(invalid("holds no papers".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `text` to `dir/name`: the labels tests' input files.
    pub(super) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs_err::write(&p, text).unwrap();
        p
    }

    const A: &str = r#""title":"T","authors":["X"],"abstract":"a","date":"2025-05-12""#;

    #[test]
    fn reads_selected_kept_grades_and_skips_unjudged_rows() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "pool.jsonl",
            &format!(
                "{{\"id\":\"2505.00001\",{A},\"label\":{{\"selected\":true,\"relevance\":9,\"novelty\":8}}}}\n\
                 {{\"id\":\"2505.00002\",{A},\"in_scan_universe\":false,\"label\":{{\"kept\":false}}}}\n\
                 {{\"id\":\"2505.00003\",{A},\"in_scan_universe\":true,\"label\":{{\"kept\":false,\"relevance\":null}}}}\n"
            ),
        );
        let set = LabelledSet::read_jsonl(&p).unwrap();
        assert_eq!(set.items.len(), 2);
        assert_eq!(set.unjudged, 1);
        assert_eq!(set.selected(), vec![true, false]);
        assert_eq!(set.relevance(), vec![Some(9.0), None]);
        assert_eq!(set.days(), vec![Group::parse("2025-05-12").unwrap()]);
        assert_eq!(set.name, "pool");
    }

    #[test]
    fn bad_labels_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let ok = format!("{{\"id\":\"2505.00001\",{A},\"label\":{{\"selected\":true}}}}");
        let cases = [
            (
                format!("{ok}\n{{\"id\":\"2505.00002\",{A}}}\n"),
                "line 2: missing `label`",
            ),
            (
                format!("{ok}\n{{\"id\":\"2505.00002\",{A},\"label\":{{\"score\":3}}}}\n"),
                "line 2: `label` has neither",
            ),
            (
                format!("{ok}\n{{\"id\":\"2505.00002\",{A},\"label\":{{\"selected\":\"yes\"}}}}\n"),
                "is not true/false",
            ),
            (format!("{ok}\n{{oops\n"), "line 2: malformed JSON"),
            (format!("{ok}\n"), "needs both selected and unselected"),
        ];
        for (text, want) in cases {
            let p = write(dir.path(), "bad.jsonl", &text);
            let e = LabelledSet::read_jsonl(&p).unwrap_err().to_string();
            assert!(e.contains("bad.jsonl") && e.contains(want), "{e}");
        }
    }

    #[test]
    fn output_json_joins_a_listing_by_id_and_reports_missing_positives() {
        let dir = tempfile::tempdir().unwrap();
        let listing = write(
            dir.path(),
            "day.jsonl",
            &format!(
                "{{\"id\":\"2505.00001v2\",{A}}}\n{{\"id\":\"2505.00002\",{A}}}\n{{\"id\":\"2505.00003\",{A}}}\n"
            ),
        );
        let out = write(
            dir.path(),
            "output.json",
            r#"{"2505.00001":{"ARXIVID":"2505.00001","RELEVANCE":9,"NOVELTY":7},"2505.09999":{"ARXIVID":"2505.09999","RELEVANCE":8,"NOVELTY":8}}"#,
        );
        let set = LabelledSet::join_output_json(&listing, &out, None).unwrap();
        assert_eq!(set.selected(), vec![true, false, false]);
        assert_eq!(set.relevance()[0], Some(9.0));
        assert_eq!(set.unmatched, vec!["2505.09999"]);
        let bad = write(dir.path(), "bad.json", r#"{"x":{"ARXIVID":"nope"}}"#);
        let e = LabelledSet::join_output_json(&listing, &bad, None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.json") && e.contains("not an arXiv id"),
            "{e}"
        );
    }
}
