//! Where `learn`'s labels come from, besides the labelled pools of `labelled/`:
//!
//! - an archive of gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant digests (daily
//!   `output.json` files: the papers GPT picked), with the same days' other papers as the
//!   negatives, so months of paid digests become a free local ranker;
//! - the reader's own likes and dislikes, exported from the site as `feedback.jsonl`: not a
//!   labelled set but marks ([`feedback_marks`]), which move the profile's scores rather
//!   than train a ranker;
//! - the reader's library ([`super::library`]) as positives, against papers drawn from the
//!   history.
//!
//! A pick says little without the papers the judge passed over on the same day, so each
//! source is joined to papers whose text is known ([`Known`]: arxrank's digests, which hold
//! every paper scanned on a day, and listings) or, failing that, to the history, which keeps
//! each paper's vector and title but not its abstract. A set that draws on the history is
//! *vector-only* ([`Training::vectors`]): its papers' text parts are not measured, so the
//! model learns from them what the vectors say and nothing from an abstract it never saw.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::feedback::{read_feedback, Feedback};
use super::marks::{Mark, MarkSource, Marks};
use super::{read_output_entries, Group, Judged, Judgement, LabelledSet, LabelsError, OutputEntry};
use crate::fsutil::IoError;
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
    /// Reading lists, BibTeX files, Zotero CSV exports, Zotero databases.
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
    /// The digests' and listings' papers: the days the reader's marks were made on.
    pub known: Known,
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
        sets.push(super::library::library_set(l, &known, history, &mut notes)?);
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
    Ok(Gathered {
        sets,
        marks,
        notes,
        known,
    })
}

/// Papers whose whole text is known, by announcement day: what a day's negatives are drawn
/// from before falling back on the history.
#[derive(Debug, Default)]
pub struct Known {
    by_day: BTreeMap<Day, Vec<Paper>>,
    /// How many papers a digest picked, by day (listings pick none).
    picks: HashMap<Day, usize>,
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
            let picks = day.papers.iter().filter(|p| p.arxrank.selected).count();
            *self.picks.entry(date).or_default() += picks;
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

    /// A day's papers, a digest's in its rank order.
    pub fn day(&self, day: Day) -> &[Paper] {
        self.by_day.get(&day).map_or(&[], Vec::as_slice)
    }

    /// How many papers the day's digest picked, when a digest of the day was read.
    pub fn picks(&self, day: Day) -> Option<usize> {
        self.picks.get(&day).copied()
    }

    pub fn find(&self, id: &PaperId) -> Option<&Paper> {
        let (day, i) = self.by_id.get(id)?;
        Some(&self.by_day[day][*i])
    }
}

/// A history row as a paper: its title is all the text there is.
pub fn title_only(id: &PaperId, title: &str, date: Option<Day>) -> Paper {
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

pub(super) fn judged(paper: Paper, day: Group, selected: bool) -> Judged {
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

pub(super) fn invalid(path: &Path, message: String) -> LabelsError {
    LabelsError::Invalid {
        path: path.to_owned(),
        message,
    }
}

/// Up to ten ids, then how many more.
pub(super) fn some_ids<'a>(ids: impl IntoIterator<Item = &'a PaperId>) -> String {
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
