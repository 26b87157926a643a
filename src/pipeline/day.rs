//! A day ranked to disk: its listing read and dated, its papers ranked against the profile
//! and the history, the digest written, and only then the day added to the history, so a
//! failed write never leaves a day in the history that has no digest. `rank` and `daily`
//! both run it; what it says goes to a [`Report`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{rank_day, remember_day, DayRun, LearnedForDay, PipelineError};
use crate::embed::{DeviceKind, Embedder, ModelDir};
use crate::history::{History, ANN_MIN_ROWS};
use crate::ingest::{
    day_in_file_name, read_listing, AnnounceType, Day, DaySource, Format, Listing, ReadOptions,
};
use crate::render::write_digest;
pub use crate::report::Report;
use crate::topics::Profile;

/// A listing with its day and where the day came from.
pub struct DatedListing {
    pub listing: Listing,
    pub date: Day,
    pub date_from: DaySource,
}

/// Reads the listing at `path` and dates it: `date` (a flag), else the listing's own (the
/// feed's, or most papers' dates), else the day in the file's path (crawlers write
/// `2025-05-13.jsonl` without dates inside), else today.
pub fn read_day(
    path: &Path,
    format: Format,
    announce: &[AnnounceType],
    date: Option<&str>,
    report: &mut dyn Report,
) -> Result<DatedListing, PipelineError> {
    let flag = match date {
        Some(d) => Some(
            Day::parse(d)
                .ok_or_else(|| PipelineError::Usage(format!("--date {d:?} is not YYYY-MM-DD")))?,
        ),
        None => None,
    };
    let opts = ReadOptions {
        format,
        announce: announce.to_vec(),
    };
    let listing = read_listing(path, &opts)?;
    let (date, date_from) = match (flag, listing.date) {
        (Some(d), _) => (d, DaySource::Flag),
        (None, Some(d)) => (d, DaySource::Listing),
        (None, None) => match day_in_file_name(path) {
            Some(d) => (d, DaySource::FileName),
            None => (Day::today(), DaySource::Today),
        },
    };
    report.note(&format!("day {date} (from {date_from})"));
    Ok(DatedListing {
        listing,
        date,
        date_from,
    })
}

/// Everything ranking a day to disk needs, read and checked.
pub struct DayToRank<'a> {
    pub listing_path: &'a Path,
    pub day: DatedListing,
    pub profile: Profile,
    /// The profile's folder: where its learned model is, for the log.
    pub topics: &'a Path,
    pub model_dir: &'a ModelDir,
    pub device: DeviceKind,
    /// Worker threads, for the log.
    pub threads: usize,
    /// The digest goes to `<out>/<date>/`.
    pub out: &'a Path,
    /// The history root, or none: novelty is then left unavailable.
    pub history: Option<&'a Path>,
    /// Whether the day is added to the history after its digest is written.
    pub append: bool,
    pub learned: LearnedForDay,
    /// When the run began: the digest reports the time from reading to scoring.
    pub start: Instant,
}

/// Ranks the day with `embedder` and writes its digest, then adds the day to the history.
/// Returns the digest's folder.
pub fn rank_to_disk(
    embedder: &mut dyn Embedder,
    run: DayToRank,
    report: &mut dyn Report,
) -> Result<PathBuf, PipelineError> {
    let DayToRank {
        listing_path,
        day: DatedListing {
            listing,
            date,
            date_from,
        },
        ..
    } = run;
    if let Some(m) = &run.learned.model {
        report.note(&format!(
            "ranking with the learned model {}: {}",
            crate::learn::Stored::path(run.topics).display(),
            m.summary()
        ));
    }
    let mut history = open_history(run.history, embedder)?;
    report.note(&format!(
        "ranking {} papers from {} with {} on {:?} ({} threads)",
        listing.papers.len(),
        listing_path.display(),
        run.model_dir.manifest.name,
        run.device,
        run.threads
    ));
    let device = format!("{:?}", run.device).to_lowercase();
    let ranked = rank_day(
        embedder,
        &listing.papers,
        &DayRun {
            date,
            date_from,
            listed: listing.entries,
            profile: &run.profile,
            model: &run.model_dir.manifest.name,
            device: &device,
            history: history.as_ref(),
            learned: run.learned.model.as_ref(),
            ranked_with: Some(run.learned.ranked_with),
            start: run.start,
        },
    )?;
    let digest = &ranked.digest;
    let day_dir = run.out.join(date.to_string());
    let written = write_digest(digest, &day_dir)?;
    report.note(&format!(
        "{}: {} scanned, {} relevant, {:.1} s, {:.1} papers/s",
        date,
        digest.entries.len(),
        digest.selected().count(),
        digest.seconds,
        digest.entries.len() as f64 / digest.seconds
    ));
    for p in written {
        report.wrote(&p);
    }
    // Last, after the digest is safely written: remember the day.
    if let (Some(h), true) = (history.as_mut(), run.append) {
        remember(h, &listing.papers, &ranked.vectors, date, report)?;
    }
    Ok(day_dir)
}

/// Adds the ranked day to the history (and its ANN index, once it has one) and says so.
fn remember(
    h: &mut History,
    papers: &[crate::ingest::Paper],
    vectors: &ndarray::Array2<f32>,
    date: Day,
    report: &mut dyn Report,
) -> Result<(), PipelineError> {
    let r = remember_day(h, papers, vectors, date, ANN_MIN_ROWS)?;
    let indexed = if h.indexed() > 0 {
        format!(", {} added to the ANN index", r.indexed)
    } else {
        String::new()
    };
    report.note(&format!(
        "history {}: +{} papers, {} in all{indexed}",
        h.dir().display(),
        r.added,
        h.len(),
    ));
    Ok(())
}

/// The model's history under `root`, when the day is ranked against one.
fn open_history(
    root: Option<&Path>,
    embedder: &dyn Embedder,
) -> Result<Option<History>, PipelineError> {
    let Some(root) = root else {
        return Ok(None);
    };
    Ok(Some(History::open_under(
        root,
        embedder.fingerprint(),
        embedder.dim(),
    )?))
}
