//! A day ranked to disk: its listing read and dated, its papers ranked against each profile
//! and the history, the digests written, and only then the day added to the history, so a
//! failed write never leaves a day in the history that has no digest. `rank` and `daily`
//! both run it; what it says goes to a [`Report`].

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::{rank_day, remember_day, DayRun, LearnedForDay, PipelineError, ProfileRun, RankedDay};
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
    /// The profiles to rank it for, each to its own digest: the day is embedded and looked
    /// up in the history once for all of them.
    pub profiles: Vec<ProfileToRank<'a>>,
    pub model_dir: &'a ModelDir,
    pub device: DeviceKind,
    /// Worker threads, for the log.
    pub threads: usize,
    /// The history root, or none: novelty is then left unavailable.
    pub history: Option<&'a Path>,
    /// Whether the day is added to the history after its digests are written.
    pub append: bool,
    /// When the run began: the digest reports the time from reading to scoring.
    pub start: Instant,
}

/// One profile a day is ranked for, and where its digest goes.
pub struct ProfileToRank<'a> {
    pub profile: Profile,
    /// The profile's folder: where its learned model is, for the log.
    pub topics: &'a Path,
    /// The digest goes to `<out>/<date>/`.
    pub out: PathBuf,
    pub learned: LearnedForDay,
}

/// Ranks the day with `embedder` for every profile and writes their digests, then adds
/// the day to the history. Returns the digests' folders, in the profiles' order.
pub fn rank_to_disk(
    embedder: &mut dyn Embedder,
    run: DayToRank,
    report: &mut dyn Report,
) -> Result<Vec<PathBuf>, PipelineError> {
    let DayToRank {
        listing_path,
        day: DatedListing {
            listing,
            date,
            date_from,
        },
        ..
    } = run;
    for p in &run.profiles {
        if let Some(m) = &p.learned.model {
            report.note(&format!(
                "ranking with the learned model {}: {}",
                crate::learn::Stored::path(p.topics).display(),
                m.summary()
            ));
        }
    }
    let mut history = open_history(run.history, embedder)?;
    report.note(&format!(
        "ranking {} papers from {} with {} on {:?} ({} threads){}",
        listing.papers.len(),
        listing_path.display(),
        run.model_dir.manifest.name,
        run.device,
        run.threads,
        match run.profiles.len() {
            1 => String::new(),
            n => format!(" for {n} profiles"),
        }
    ));
    let device = format!("{:?}", run.device).to_lowercase();
    let profiles: Vec<ProfileRun> = run
        .profiles
        .iter()
        .map(|p| ProfileRun {
            profile: &p.profile,
            learned: p.learned.model.as_ref(),
            ranked_with: Some(p.learned.ranked_with.clone()),
        })
        .collect();
    let day = DayRun {
        date,
        date_from,
        listed: listing.entries,
        model: &run.model_dir.manifest.name,
        device: &device,
        history: history.as_ref(),
        start: run.start,
    };
    let ranked = rank_day(embedder, &listing.papers, &day, &profiles)?;
    let dirs = write_digests(&ranked, &run.profiles, report)?;
    // Last, after the digests are safely written: remember the day.
    if let (Some(h), true) = (history.as_mut(), run.append) {
        remember(h, &listing.papers, &ranked.vectors, date, report)?;
    }
    Ok(dirs)
}

/// Writes each profile's digest to `<out>/<date>/` and says what it holds, then where the
/// time went; returns the digests' folders.
fn write_digests(
    ranked: &RankedDay,
    profiles: &[ProfileToRank],
    report: &mut dyn Report,
) -> Result<Vec<PathBuf>, PipelineError> {
    let mut dirs = Vec::with_capacity(ranked.digests.len());
    for (digest, p) in ranked.digests.iter().zip(profiles) {
        let day_dir = p.out.join(digest.date.to_string());
        let written = write_digest(digest, &day_dir)?;
        report.note(&format!(
            "{}: {} scanned, {} relevant, {:.1} s, {:.1} papers/s",
            digest.date,
            digest.entries.len(),
            digest.selected().count(),
            digest.seconds,
            digest.entries.len() as f64 / digest.seconds
        ));
        for path in written {
            report.wrote(&path);
        }
        dirs.push(day_dir);
    }
    let s = &ranked.stages;
    report.note(&format!(
        "stages: embedding {:.2} s, history {:.2} s, scoring {:.2} s ({} profile{})",
        s.embed,
        s.history,
        s.score.iter().sum::<f64>(),
        s.score.len(),
        if s.score.len() == 1 { "" } else { "s" }
    ));
    Ok(dirs)
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
