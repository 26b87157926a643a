//! Where `learn`'s labels come from, besides the labelled pools of `labelled/`:
//!
//! - an archive of gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant digests (daily
//!   `output.json` files: the papers GPT picked), with the same days' other papers as the
//!   negatives, so months of paid digests become a free local ranker;
//! - the reader's own likes and dislikes, exported from the site as `feedback.jsonl`: not a
//!   labelled set but marks ([`feedback_marks`]), which move the profile's scores rather
//!   than train a ranker;
//! - the reader's library (a list of arXiv ids, a BibTeX file or a Zotero CSV export) as
//!   positives, against papers drawn from the history.
//!
//! A pick says little without the papers the judge passed over on the same day, so each
//! source is joined to papers whose text is known ([`Known`]: arxrank's digests, which hold
//! every paper scanned on a day, and listings) or, failing that, to the history, which keeps
//! each paper's vector and title but not its abstract. A set that draws on the history is
//! *vector-only* ([`Training::vectors`]): its papers' text parts are not measured, so the
//! model learns from them what the vectors say and nothing from an abstract it never saw.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use super::feedback::{read_feedback, Feedback};
use super::marks::{Mark, MarkSource, Marks};
use super::{read_output_entries, Group, Judged, Judgement, LabelledSet, LabelsError, OutputEntry};
use crate::fsutil::{fnv, IoError};
use crate::history::History;
use crate::ingest::{read_listing, AnnounceType, Day, Paper, PaperId, ReadOptions};

/// Labelled papers to learn from.
#[derive(Debug, Clone)]
pub struct Training {
    pub set: LabelledSet,
    /// For a vector-only set, each item's vector where the history holds it (the rest are
    /// embedded from their text). `None`: every paper's text is known.
    pub vectors: Option<Vec<Option<Vec<f32>>>>,
}

impl Training {
    pub fn full_text(set: LabelledSet) -> Self {
        Self { set, vectors: None }
    }
}

/// The files `learn` was given, by kind.
#[derive(Default)]
pub struct Wanted<'a> {
    /// Labelled pools (JSON lines with a `label`).
    pub pools: &'a [PathBuf],
    /// gpt_paper_assistant digest archives.
    pub archives: &'a [PathBuf],
    /// Reading lists, BibTeX files, Zotero CSV exports.
    pub libraries: &'a [PathBuf],
    /// The site's exported likes and dislikes.
    pub feedback: &'a [PathBuf],
    /// arxrank digest folders and listings whose papers' text is known, for the sources
    /// that join to a day's papers.
    pub digests: &'a [PathBuf],
    pub listings: &'a [PathBuf],
}

impl<'a> Wanted<'a> {
    /// These sources, with `daily_out` (the digests `daily` writes) as the digests they join
    /// to when none are named, a source joins to a day's papers, and that folder exists.
    pub fn or_daily_digests(mut self, daily_out: &'a [PathBuf]) -> Self {
        if self.digests.is_empty() && self.joins() && daily_out.iter().all(|d| d.is_dir()) {
            self.digests = daily_out;
        }
        self
    }

    /// Whether a source joins to a day's other papers (digests, listings, the history):
    /// feedback, archives and libraries do; labelled pools carry their own.
    pub fn joins(&self) -> bool {
        !(self.feedback.is_empty() && self.archives.is_empty() && self.libraries.is_empty())
    }

    /// Whether a source trains a ranker (feedback only moves the profile's scores).
    pub fn trains(&self) -> bool {
        !(self.pools.is_empty() && self.archives.is_empty() && self.libraries.is_empty())
    }
}

/// What the sources gave: labelled sets to train a ranker on, the reader's marks (when
/// feedback was given), and notes on what was skipped.
pub struct Gathered {
    pub sets: Vec<Training>,
    pub marks: Option<Marks>,
    pub notes: Vec<String>,
}

/// Reads every source of `wanted`, joining days to the known papers and then to `history`;
/// `embed` gives the vectors of marked papers the history lacks.
pub fn gather(
    wanted: &Wanted,
    history: Option<&History>,
    embed: &mut EmbedFn,
) -> Result<Gathered, LabelsError> {
    let mut known = Known::default();
    for d in wanted.digests {
        known.add_digests(d)?;
    }
    for l in wanted.listings {
        known.add_listing(l)?;
    }
    let mut notes = Vec::new();
    let mut sets = Vec::new();
    for p in wanted.pools {
        sets.push(Training::full_text(LabelledSet::read_jsonl(p)?));
    }
    for a in wanted.archives {
        sets.extend(archive_sets(a, &known, history, &mut notes)?);
    }
    for l in wanted.libraries {
        sets.push(library_set(l, &known, history, &mut notes)?);
    }
    let marks = if wanted.feedback.is_empty() {
        None
    } else {
        Some(feedback_marks(
            wanted.feedback,
            &known,
            history,
            embed,
            &mut notes,
        )?)
    };
    Ok(Gathered { sets, marks, notes })
}

/// Papers whose whole text is known, by announcement day: what a day's negatives are drawn
/// from before falling back on the history.
#[derive(Debug, Default)]
pub struct Known {
    by_day: BTreeMap<Day, Vec<Paper>>,
    by_id: HashMap<PaperId, (Day, usize)>,
    on_day: HashSet<(Day, PaperId)>,
}

impl Known {
    /// Every paper of every day of an arxrank digests folder (`<dir>/<YYYY-MM-DD>/output.json`,
    /// as `rank --out` writes it and `site` reads it). Returns the papers added.
    pub fn add_digests(&mut self, dir: &Path) -> Result<usize, LabelsError> {
        let loaded = crate::site::load_days(dir, |_| true)?;
        let mut n = 0;
        for day in loaded.days {
            let date = Day::from(day.date);
            for p in day.papers {
                n += usize::from(self.add(
                    date,
                    Paper {
                        id: p.id,
                        title: p.title,
                        authors: p.authors,
                        abstract_text: p.abstract_text,
                        categories: p.arxrank.categories,
                        date: Some(date),
                        announce: p.arxrank.announce_type,
                    },
                ));
            }
        }
        Ok(n)
    }

    /// A listing in any format `rank` reads; papers go to their own date, else the listing's.
    pub fn add_listing(&mut self, path: &Path) -> Result<usize, LabelsError> {
        let listing = read_listing(path, &ReadOptions::default())?;
        let mut n = 0;
        for p in listing.papers {
            let Some(day) = p.date.or(listing.date) else {
                return Err(LabelsError::Invalid {
                    path: path.to_owned(),
                    message: format!("paper {} has no date, and neither has the listing", p.id),
                });
            };
            n += usize::from(self.add(day, p));
        }
        Ok(n)
    }

    /// A paper listed on two days is on both (each day's judge saw it); `find` gives the
    /// first.
    fn add(&mut self, day: Day, paper: Paper) -> bool {
        if !self.on_day.insert((day, paper.id.clone())) {
            return false;
        }
        let papers = self.by_day.entry(day).or_default();
        self.by_id
            .entry(paper.id.clone())
            .or_insert((day, papers.len()));
        papers.push(paper);
        true
    }

    fn day(&self, day: Day) -> &[Paper] {
        self.by_day.get(&day).map_or(&[], Vec::as_slice)
    }

    fn find(&self, id: &PaperId) -> Option<&Paper> {
        let (day, i) = self.by_id.get(id)?;
        Some(&self.by_day[day][*i])
    }
}

/// A history row as a paper: its title is all the text there is.
fn title_only(id: &PaperId, title: &str, date: Option<Day>) -> Paper {
    Paper {
        id: id.clone(),
        title: title.to_owned(),
        authors: Vec::new(),
        abstract_text: String::new(),
        categories: Vec::new(),
        date,
        announce: AnnounceType::Unknown,
    }
}

fn judged(paper: Paper, day: Group, selected: bool) -> Judged {
    Judged {
        paper,
        day,
        label: Judgement {
            selected,
            relevance: None,
            novelty: None,
        },
    }
}

fn invalid(path: &Path, message: String) -> LabelsError {
    LabelsError::Invalid {
        path: path.to_owned(),
        message,
    }
}

/// Up to ten ids, then how many more.
fn some_ids<'a>(ids: impl IntoIterator<Item = &'a PaperId>) -> String {
    let ids: Vec<String> = ids.into_iter().map(ToString::to_string).collect();
    let mut s = ids.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > 10 {
        s.push_str(&format!(" and {} more", ids.len() - 10));
    }
    s
}

// ---------------------------------------------------------------------------------------
// Site feedback

/// Embeds papers whose vectors the history lacks (title and abstract, as `rank` does).
pub type EmbedFn<'a> = dyn FnMut(&[Paper]) -> Result<ndarray::Array2<f32>, LabelsError> + 'a;

/// Every feedback file's marks, a later mark of a paper replacing an earlier one, and
/// each file with its sha256.
fn read_feedback_files(
    files: &[PathBuf],
    notes: &mut Vec<String>,
) -> Result<(Vec<Feedback>, Vec<MarkSource>), LabelsError> {
    let mut marks: Vec<Feedback> = Vec::new();
    let mut sources = Vec::new();
    for f in files {
        let read = read_feedback(f)?;
        if let Some(line) = read.torn_line {
            notes.push(format!(
                "{}: line {line} was cut short (a write interrupted) and is left out",
                f.display()
            ));
        }
        sources.push(MarkSource {
            file: f.clone(),
            sha256: crate::fsutil::sha256_file(f).map_err(IoError::read(f))?,
            marks: read.marks.len(),
        });
        for m in read.marks {
            marks.retain(|o| o.id != m.id);
            marks.push(m);
        }
    }
    Ok((marks, sources))
}

/// Marked papers found nowhere: the error says which, and where to find them.
fn not_found(files: &[PathBuf], unknown: &[&PaperId], marked: usize) -> LabelsError {
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    invalid(
        &files[0],
        format!(
            "{} of the {marked} marked papers{} are in neither the history nor the digests or \
             listings given: {} (pass the digests folder the site was built from with \
             --digests, or the history that ranked those days with --history)",
            unknown.len(),
            if names.len() > 1 {
                format!(" (in {})", names.join(", "))
            } else {
                String::new()
            },
            some_ids(unknown.iter().copied())
        ),
    )
}

/// The reader's marks from the site's `feedback.jsonl` files (a later file's word on a paper
/// replaces an earlier one's), each marked paper with its title and vector: from the
/// history, which holds every paper `daily` ranked, where it has the paper; otherwise from
/// the digests or listings given, embedded by `embed`. Only marked papers count: a paper
/// the reader left unmarked says nothing about their taste (they may not have read it), so
/// it is neither a like nor a dislike.
pub fn feedback_marks(
    files: &[PathBuf],
    known: &Known,
    history: Option<&History>,
    embed: &mut EmbedFn,
    notes: &mut Vec<String>,
) -> Result<Marks, LabelsError> {
    let (marks, sources) = read_feedback_files(files, notes)?;
    let mut out: Vec<Option<Mark>> = Vec::with_capacity(marks.len());
    let (mut to_embed, mut unknown) = (Vec::new(), Vec::new());
    for (i, f) in marks.iter().enumerate() {
        let stored = history.and_then(|h| Some((h.get(&f.id)?, h.vector(&f.id)?)));
        if let Some((past, v)) = stored {
            let title = known.find(&f.id).map_or(&past.title, |p| &p.title);
            out.push(Some(Mark::new(
                f.id.clone(),
                title.clone(),
                f.date,
                f.liked,
                &v,
            )));
        } else if let Some(p) = known.find(&f.id) {
            to_embed.push((i, p.clone()));
            out.push(None);
        } else {
            unknown.push(&f.id);
            out.push(None);
        }
    }
    if !unknown.is_empty() {
        return Err(not_found(files, &unknown, marks.len()));
    }
    if !to_embed.is_empty() {
        let papers: Vec<Paper> = to_embed.iter().map(|(_, p)| p.clone()).collect();
        let vectors = embed(&papers)?;
        for ((i, p), v) in to_embed.iter().zip(vectors.rows()) {
            let f = &marks[*i];
            let v = v.to_vec();
            out[*i] = Some(Mark::new(
                f.id.clone(),
                p.title.clone(),
                f.date,
                f.liked,
                &v,
            ));
        }
    }
    Ok(Marks {
        sources,
        papers: out
            .into_iter()
            .map(|m| m.expect("every mark placed"))
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------
// gpt_paper_assistant archives

/// The dated JSON files under `dir`, by day: `2025-05-12/output.json`,
/// `output_2025-05-12.json`, `2025/2025-05-12.json` all name 2025-05-12.
fn dated_outputs(dir: &Path) -> Result<BTreeMap<Day, Vec<PathBuf>>, LabelsError> {
    let mut out: BTreeMap<Day, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).map_err(IoError::read(&d))? {
            let path = entry.map_err(IoError::read(&d))?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(dir).unwrap_or(&path);
                if let Some(day) = crate::ingest::day_in_file_name(rel) {
                    out.entry(day).or_default().push(path);
                }
            }
        }
    }
    for files in out.values_mut() {
        files.sort();
    }
    Ok(out)
}

/// An archive of gpt_paper_assistant's daily `output.json` files: each file's papers are
/// that day's positives, the day's other papers its negatives. Days whose papers are known
/// (digests, listings) form one full-text set; days only the history holds form a
/// vector-only set. Days found in neither are skipped, with a note saying which.
pub fn archive_sets(
    dir: &Path,
    known: &Known,
    history: Option<&History>,
    notes: &mut Vec<String>,
) -> Result<Vec<Training>, LabelsError> {
    let outputs = dated_outputs(dir)?;
    if outputs.is_empty() {
        return Err(invalid(
            dir,
            "holds no dated output.json (expected e.g. 2025-05-12/output.json)".into(),
        ));
    }
    let history_days = history.map(rows_by_day).unwrap_or_default();
    let mut days = ArchiveDays::default();
    for (&day, files) in &outputs {
        let mut picks = Vec::new();
        for f in files {
            picks.extend(read_output_entries(f)?);
        }
        let listed = known.day(day);
        if !listed.is_empty() {
            days.add_known(day, listed, &picks, known);
        } else if let (Some(h), Some(rows)) = (history, history_days.get(&day)) {
            days.add_from_history(day, h, rows, &picks);
        } else {
            days.skipped.push(day);
        }
    }
    days.notes(dir, outputs.len(), notes);
    days.into_sets(dir, outputs.len())
}

/// An archive's days as they are joined: full-text papers, vector-only ones with their
/// vectors, the days with nothing to join to, and the picks with no text anywhere.
#[derive(Default)]
struct ArchiveDays {
    full: Vec<Judged>,
    vector_only: Vec<Judged>,
    vectors: Vec<Option<Vec<f32>>>,
    skipped: Vec<Day>,
    textless: usize,
}

/// A day's picks by id; the first entry of an id wins, as a day's files are read in order.
fn picked(picks: &[OutputEntry]) -> HashMap<&PaperId, &OutputEntry> {
    let mut picked: HashMap<&PaperId, &OutputEntry> = HashMap::new();
    for e in picks {
        picked.entry(&e.id).or_insert(e);
    }
    picked
}

impl ArchiveDays {
    /// A day whose papers are known: each judged by whether it was picked, and picks that
    /// were not listed that day added with their own text (or a known paper's).
    fn add_known(&mut self, day: Day, listed: &[Paper], picks: &[OutputEntry], known: &Known) {
        let picked = picked(picks);
        let on_day: HashSet<&PaperId> = listed.iter().map(|p| &p.id).collect();
        for p in listed {
            self.full
                .push(judged(p.clone(), day.into(), picked.contains_key(&p.id)));
        }
        for e in picks.iter().filter(|e| !on_day.contains(&e.id)) {
            match e.paper(day).or_else(|| known.find(&e.id).cloned()) {
                Some(p) => self.full.push(judged(p, day.into(), true)),
                None => self.textless += 1,
            }
        }
    }

    /// A day only the history holds: its papers with their vectors, a pick's own text where
    /// the output carries it.
    fn add_from_history(&mut self, day: Day, h: &History, rows: &[usize], picks: &[OutputEntry]) {
        let picked = picked(picks);
        for &r in rows {
            let past = &h.papers()[r];
            let pick = picked.get(&past.id);
            // A pick's own text, where the output carries it, beats a bare title.
            let text = pick.and_then(|e| e.paper(day));
            let paper = text.unwrap_or_else(|| title_only(&past.id, &past.title, Some(day)));
            self.vector_only
                .push(judged(paper, day.into(), pick.is_some()));
            self.vectors
                .push(h.vector(&past.id).map(std::borrow::Cow::into_owned));
        }
        let in_history: HashSet<&PaperId> = rows.iter().map(|&r| &h.papers()[r].id).collect();
        for e in picks.iter().filter(|e| !in_history.contains(&e.id)) {
            match e.paper(day) {
                Some(p) => {
                    self.vector_only.push(judged(p, day.into(), true));
                    self.vectors.push(None);
                }
                None => self.textless += 1,
            }
        }
    }

    /// What was left out, and why.
    fn notes(&self, dir: &Path, days: usize, notes: &mut Vec<String>) {
        if let (Some(first), Some(last)) = (self.skipped.first(), self.skipped.last()) {
            notes.push(format!(
                "{}: skipped {} of {days} days whose other papers are in no digest, listing or \
                 history given (first {first}, last {last})",
                dir.display(),
                self.skipped.len(),
            ));
        }
        if self.textless > 0 {
            notes.push(format!(
                "{}: {} picks carry no title and abstract and are in no digest or \
                 listing given; left out",
                dir.display(),
                self.textless
            ));
        }
    }

    /// A full-text set and a vector-only set, each where it has papers.
    fn into_sets(self, dir: &Path, days: usize) -> Result<Vec<Training>, LabelsError> {
        let mut out = Vec::new();
        if !self.full.is_empty() {
            out.push(Training::full_text(LabelledSet::from_items(
                dir, self.full,
            )?));
        }
        if !self.vector_only.is_empty() {
            let mut set = LabelledSet::from_items(dir, self.vector_only)?;
            set.name.push_str(" (history)");
            out.push(Training {
                set,
                vectors: Some(self.vectors),
            });
        }
        if out.is_empty() {
            return Err(invalid(
                dir,
                format!(
                    "none of its {days} days has its other papers in the digests, listings or \
                     history given, so there are no negatives to learn from (pass --digests, \
                     --listing or --history)"
                ),
            ));
        }
        Ok(out)
    }
}

fn rows_by_day(h: &History) -> HashMap<Day, Vec<usize>> {
    let mut m: HashMap<Day, Vec<usize>> = HashMap::new();
    for (i, p) in h.papers().iter().enumerate() {
        if let Some(d) = p.date {
            m.entry(d).or_default().push(i);
        }
    }
    m
}

// ---------------------------------------------------------------------------------------
// The reader's library

/// One entry of a library export: an arXiv id, with whatever text the export carries.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryEntry {
    pub id: PaperId,
    pub title: Option<String>,
    pub abstract_text: Option<String>,
}

/// What a library file held.
#[derive(Debug)]
pub struct Library {
    pub entries: Vec<LibraryEntry>,
    /// Entries with no arXiv id (journal papers, books): arxrank ranks arXiv papers only.
    pub without_id: usize,
}

/// Finds an arXiv id in a free-text field: `arXiv:2401.01234`, an arxiv.org URL, arXiv's
/// DOI `10.48550/arXiv.2401.01234`, or a bare id.
fn arxiv_id_in(text: &str) -> Option<PaperId> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"\d{4}\.\d{4,5}(?:v\d+)?|[a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?")
            .expect("a valid pattern")
    });
    let bytes = text.as_bytes();
    // A match inside a longer number (a DOI's `3292500.3330701`) is no id.
    re.find_iter(text)
        .filter(|m| {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            // arXiv's DOI spells it `arXiv.2401.01234`.
            let after_arxiv = m.start() >= 6
                && text[..m.start() - 1]
                    .to_ascii_lowercase()
                    .ends_with("arxiv");
            !before.is_some_and(|c| c.is_ascii_digit() || (c == b'.' && !after_arxiv))
                && !after.is_some_and(|c| c.is_ascii_digit())
        })
        .find_map(|m| PaperId::parse(m.as_str()))
}

/// Reads a library export, by extension: `.bib` (BibTeX / BibLaTeX: the id from `eprint`,
/// `arxivid`, `url`, `doi` or `journal`), `.csv` (Zotero's export: `Url`, `DOI`, `Extra`,
/// `Title`, `Abstract Note`), anything else a list of arXiv ids or URLs, one per line
/// (`#` starts a comment).
pub fn read_library(path: &Path) -> Result<Library, LabelsError> {
    let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (mut entries, without_id) = match ext.as_str() {
        "bib" => read_bibtex(path, &text)?,
        "csv" => read_zotero_csv(path, &text)?,
        _ => (read_id_list(path, &text)?, 0),
    };
    let mut seen = HashSet::new();
    entries.retain(|e| seen.insert(e.id.clone()));
    if entries.is_empty() {
        return Err(invalid(
            path,
            format!("holds no arXiv papers ({without_id} entries without an arXiv id)"),
        ));
    }
    Ok(Library {
        entries,
        without_id,
    })
}

/// A BibTeX file's entries with an arXiv id (from eprint, url, doi, …), and how many had
/// none.
fn read_bibtex(path: &Path, text: &str) -> Result<(Vec<LibraryEntry>, usize), LabelsError> {
    let (mut entries, mut without_id) = (Vec::new(), 0);
    let bib = biblatex::Bibliography::parse(text).map_err(|e| {
        let line = text[..e.span.start.min(text.len())].lines().count().max(1);
        LabelsError::Label {
            path: path.to_owned(),
            line,
            message: format!("not valid BibTeX: {}", e.kind),
        }
    })?;
    use biblatex::ChunksExt;
    for entry in bib.iter() {
        let field = |k: &str| entry.get(k).map(|c| c.format_verbatim());
        let id = ["eprint", "arxivid", "url", "doi", "journal", "note"]
            .iter()
            .filter_map(|k| field(k))
            .find_map(|v| arxiv_id_in(&v));
        match id {
            Some(id) => entries.push(LibraryEntry {
                id,
                title: field("title"),
                abstract_text: field("abstract"),
            }),
            None => without_id += 1,
        }
    }
    Ok((entries, without_id))
}

/// A Zotero CSV export's rows with an arXiv id (from Url, DOI, Extra, …), and how many had
/// none.
fn read_zotero_csv(path: &Path, text: &str) -> Result<(Vec<LibraryEntry>, usize), LabelsError> {
    let (mut entries, mut without_id) = (Vec::new(), 0);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| invalid(path, format!("not a CSV file: {e}")))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (title, abs) = (col("Title"), col("Abstract Note"));
    let id_cols: Vec<usize> = ["Url", "DOI", "Extra", "Publication Title"]
        .iter()
        .filter_map(|n| col(n))
        .collect();
    if id_cols.is_empty() {
        return Err(invalid(
            path,
            "no Url, DOI or Extra column: not a Zotero CSV export".into(),
        ));
    }
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| LabelsError::Label {
            path: path.to_owned(),
            line: i + 2,
            message: format!("malformed CSV: {e}"),
        })?;
        let get = |c: Option<usize>| {
            c.and_then(|c| row.get(c))
                .map(str::to_owned)
                .filter(|s| !s.trim().is_empty())
        };
        match id_cols.iter().find_map(|&c| arxiv_id_in(row.get(c)?)) {
            Some(id) => entries.push(LibraryEntry {
                id,
                title: get(title),
                abstract_text: get(abs),
            }),
            None => without_id += 1,
        }
    }
    Ok((entries, without_id))
}

/// A list of arXiv ids, one per line (`#` starts a comment).
fn read_id_list(path: &Path, text: &str) -> Result<Vec<LibraryEntry>, LabelsError> {
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let id = PaperId::parse(line).ok_or_else(|| LabelsError::Label {
            path: path.to_owned(),
            line: i + 1,
            message: format!("`{line}` is not an arXiv id"),
        })?;
        entries.push(LibraryEntry {
            id,
            title: None,
            abstract_text: None,
        });
    }
    Ok(entries)
}

/// Negatives drawn per library paper: enough that the picks' rate is near a daily digest's.
const NEGATIVES_PER_POSITIVE: usize = 20;
const MAX_NEGATIVES: usize = 10_000;

/// The reader's library as positives against papers drawn from the history (a fixed
/// pseudo-random sample, the same every run). A library has no days, so the folds of
/// cross-validation are five fixed groups of papers instead. Ids whose text is in neither
/// the export, the digests, the listings nor the history are an error naming them.
pub fn library_set(
    path: &Path,
    known: &Known,
    history: Option<&History>,
    notes: &mut Vec<String>,
) -> Result<Training, LabelsError> {
    let library = read_library(path)?;
    let Some(h) = history.filter(|h| !h.is_empty()) else {
        return Err(invalid(
            path,
            "a library's negatives are drawn from the history, and there is none: pass \
             --history with a history built by `rank` or `backfill`"
                .into(),
        ));
    };
    let (mut items, mut vectors, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for e in &library.entries {
        let from_export = e.title.as_ref().map(|t| Paper {
            abstract_text: e.abstract_text.clone().unwrap_or_default(),
            ..title_only(&e.id, t, None)
        });
        let day = Group::library(&e.id);
        if let Some(v) = h.vector(&e.id) {
            let paper = from_export
                .or_else(|| known.find(&e.id).cloned())
                .unwrap_or_else(|| title_only(&e.id, &h.get(&e.id).expect("a row").title, None));
            items.push(judged(paper, day, true));
            vectors.push(Some(v.to_vec()));
        } else if let Some(p) = known.find(&e.id).cloned().or(from_export) {
            items.push(judged(p, day, true));
            vectors.push(None);
        } else {
            unknown.push(&e.id);
        }
    }
    if !unknown.is_empty() {
        return Err(invalid(
            path,
            format!(
                "{} of its {} arXiv ids are in none of the history, digests or listings \
                 given, and the file carries no title for them: {} (add them to the history \
                 with `arxrank backfill`, or export the library with titles and abstracts)",
                unknown.len(),
                library.entries.len(),
                some_ids(unknown)
            ),
        ));
    }
    let positives: HashSet<PaperId> = library.entries.iter().map(|e| e.id.clone()).collect();
    let mut pool: Vec<usize> = (0..h.len())
        .filter(|&r| !positives.contains(&h.papers()[r].id))
        .collect();
    pool.sort_by_key(|&r| (fnv(h.papers()[r].id.as_str()), r));
    pool.truncate((items.len() * NEGATIVES_PER_POSITIVE).min(MAX_NEGATIVES));
    pool.sort_unstable();
    for r in pool {
        let past = &h.papers()[r];
        items.push(judged(
            title_only(&past.id, &past.title, past.date),
            Group::library(&past.id),
            false,
        ));
        vectors.push(h.vector(&past.id).map(std::borrow::Cow::into_owned));
    }
    if library.without_id > 0 {
        notes.push(format!(
            "{}: {} entries without an arXiv id left out",
            path.display(),
            library.without_id
        ));
    }
    Ok(Training {
        set: LabelledSet::from_items(path, items)?,
        vectors: Some(vectors),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs_err::write(&p, text).unwrap();
        p
    }

    #[test]
    fn finds_arxiv_ids_however_a_library_spells_them() {
        for (text, want) in [
            ("arXiv:2401.01234v2", "2401.01234"),
            ("https://arxiv.org/abs/2401.01234", "2401.01234"),
            ("http://arxiv.org/pdf/2401.01234v1.pdf", "2401.01234"),
            ("10.48550/arXiv.2401.01234", "2401.01234"),
            ("arXiv preprint arXiv:2312.11805", "2312.11805"),
            ("hep-th/9901001", "hep-th/9901001"),
        ] {
            assert_eq!(
                arxiv_id_in(text).map(|i| i.to_string()).as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(arxiv_id_in("10.1145/3292500.3330701"), None);
        assert_eq!(arxiv_id_in("Nature 521, 436"), None);
    }

    #[test]
    fn reads_bibtex_zotero_csv_and_id_lists() {
        let dir = tempfile::tempdir().unwrap();
        let bib = write(
            dir.path(),
            "lib.bib",
            r#"@article{shazeer2017,
  title = {Outrageously Large Neural Networks: The Sparsely-Gated {Mixture-of-Experts} Layer},
  author = {Shazeer, Noam and others},
  journal = {arXiv preprint arXiv:1701.06538},
  year = {2017}
}
@misc{fedus2021,
  title = {Switch Transformers},
  eprint = {2101.03961},
  archivePrefix = {arXiv},
  abstract = {In deep learning, models typically reuse the same parameters for all inputs.}
}
@book{bishop2006, title = {Pattern Recognition and Machine Learning}, publisher = {Springer}}
"#,
        );
        let lib = read_library(&bib).unwrap();
        assert_eq!(lib.without_id, 1);
        let ids: Vec<String> = lib.entries.iter().map(|e| e.id.to_string()).collect();
        assert_eq!(ids, ["1701.06538", "2101.03961"]);
        assert_eq!(lib.entries[1].title.as_deref(), Some("Switch Transformers"));
        assert!(lib.entries[1]
            .abstract_text
            .as_deref()
            .unwrap()
            .starts_with("In deep"));

        let csv = write(
            dir.path(),
            "zotero.csv",
            "\"Key\",\"Item Type\",\"Title\",\"Url\",\"Abstract Note\",\"DOI\",\"Extra\"\n\
             \"AB12\",\"preprint\",\"Mixtral of Experts\",\"http://arxiv.org/abs/2401.04088\",\"We introduce Mixtral, a \"\"sparse\"\" model.\",\"10.48550/arXiv.2401.04088\",\"arXiv:2401.04088 [cs]\"\n\
             \"CD34\",\"journalArticle\",\"Deep learning\",\"https://www.nature.com/articles/nature14539\",\"\",\"10.1038/nature14539\",\"\"\n",
        );
        let lib = read_library(&csv).unwrap();
        assert_eq!(lib.without_id, 1);
        assert_eq!(lib.entries.len(), 1);
        assert_eq!(lib.entries[0].id.as_str(), "2401.04088");
        assert_eq!(
            lib.entries[0].abstract_text.as_deref(),
            Some("We introduce Mixtral, a \"sparse\" model.")
        );

        let ids = write(dir.path(), "ids.txt", "# my reading list\n2401.04088\nhttps://arxiv.org/abs/2101.03961v3  # switch\n\n2401.04088\n");
        let lib = read_library(&ids).unwrap();
        assert_eq!(lib.entries.len(), 2, "duplicates collapse");
        let bad = write(dir.path(), "bad.txt", "2401.04088\nnot-an-id\n");
        let e = read_library(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad.txt") && e.contains("line 2") && e.contains("not-an-id"),
            "{e}"
        );
        let broken = write(dir.path(), "broken.bib", "@article{x, title = {Unclosed\n");
        let e = read_library(&broken).unwrap_err().to_string();
        assert!(
            e.contains("broken.bib") && e.contains("not valid BibTeX"),
            "{e}"
        );
    }

    #[test]
    fn feedback_lines_are_checked_and_the_last_word_wins() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(
            dir.path(),
            "feedback.jsonl",
            "{\"id\":\"2505.00001\",\"label\":1,\"date\":\"2025-05-12\"}\n\
             {\"id\":\"2505.00002\",\"label\":-1,\"date\":\"2025-05-12\"}\n\
             {\"id\":\"2505.00001\",\"label\":-1,\"date\":\"2025-05-12\"}\n",
        );
        let f = read_feedback(&ok).unwrap();
        assert_eq!(f.marks.len(), 2);
        assert!(!f.marks[0].liked, "the later dislike replaced the like");
        for (line, want) in [
            (
                "{\"id\":\"2505.00001\",\"label\":2,\"date\":\"2025-05-12\"}",
                "not 1, -1 or 0",
            ),
            (
                "{\"id\":\"x\",\"label\":1,\"date\":\"2025-05-12\"}",
                "not an arXiv id",
            ),
            (
                "{\"id\":\"2505.00001\",\"label\":1,\"date\":\"May 12\"}",
                "not YYYY-MM-DD",
            ),
            ("{\"id\":\"2505.00001\",", "malformed JSON"),
        ] {
            let p = write(
                dir.path(),
                "bad.jsonl",
                &format!("{{\"id\":\"2505.00003\",\"label\":1,\"date\":\"2025-05-12\"}}\n{line}\n"),
            );
            let e = read_feedback(&p).unwrap_err().to_string();
            assert!(e.contains("bad.jsonl: line 2") && e.contains(want), "{e}");
        }
    }
}
