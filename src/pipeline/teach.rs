//! The learn job: the profile taught from what the reader and judges said. The reader's
//! likes and dislikes become marks that move its scores; labelled days, an archive or a
//! library train a ranker. Both are stored in `<topics>/learned/model.json`, each kept from
//! the earlier model when this run does not replace it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use super::train::{learn_profile, Model};
use super::{embed_papers, PipelineError};
use crate::embed::Embedder;
use crate::history::History;
use crate::labels::sources::{gather, Gathered, Wanted};
use crate::learn::stored::{Marks, RankerModel};
use crate::learn::{FoldBy, Stored, Training};
use crate::report::Report;
use crate::topics::Profile;

/// Removes the profile's learned model, saying whether there was one.
///
/// The marks in the feedback log `log` would be learned again by the next `daily` (it
/// learns a log the model has not learned), so the log is set aside, renamed with the
/// time, not deleted: going back to the hand-set profile forgets the marks, and keeps them.
pub fn reset(topics: &Path, log: &Path, report: &mut dyn Report) -> Result<(), PipelineError> {
    if let Some(kept) = crate::labels::feedback::set_aside(log).map_err(Box::new)? {
        report.note(&format!(
            "learn: the feedback log {} is set aside as {}: `daily` will not learn those \
             marks again",
            log.display(),
            kept.display()
        ));
    }
    let path = Stored::path(topics);
    if Stored::remove(topics)? {
        report.note(&format!(
            "learn: removed {}; rank and daily use the hand-set profile",
            path.display()
        ));
    } else {
        report.note(&format!(
            "learn: {} has no learned model; nothing to remove",
            topics.display()
        ));
    }
    Ok(())
}

/// A learned model is stored inside a profile folder, not beside a profile file.
pub fn require_profile_dir(topics: &Path) -> Result<(), PipelineError> {
    if topics.is_dir() {
        return Ok(());
    }
    Err(PipelineError::Usage(format!(
        "--topics {}: a learned model is stored inside a profile directory",
        topics.display()
    )))
}

/// Fails now, not after minutes of training, when the model could not be written; creates
/// nothing (a run that learns nothing leaves the profile as it was).
pub fn check_writable(profile_dir: &Path) -> Result<(), PipelineError> {
    let dir = profile_dir.join(crate::learn::stored::DIR);
    let refuse = |why: String| {
        PipelineError::Usage(format!(
            "{}: cannot write the learned model there: {why}",
            dir.display()
        ))
    };
    let probe_in = if dir.exists() {
        if !dir.is_dir() {
            return Err(refuse("a file is in the folder's place".into()));
        }
        &dir
    } else {
        profile_dir
    };
    tempfile::NamedTempFile::new_in(probe_in)
        .map(drop)
        .map_err(|e| refuse(e.to_string()))
}

/// One run of `learn`.
pub struct Teach<'a> {
    pub topics: &'a Path,
    pub profile: &'a Profile,
    /// The model's fingerprint, which the stored model carries.
    pub fingerprint: &'a str,
    pub wanted: Wanted<'a>,
    /// The history root: the vectors and titles of the days a source joins to.
    pub history: &'a Path,
    /// The embedding cache root, or none.
    pub cache: Option<&'a Path>,
    pub start: Instant,
}

/// Teaches the profile and stores the model; returns its path.
pub fn teach(
    embedder: &mut dyn Embedder,
    job: Teach,
    report: &mut dyn Report,
) -> Result<PathBuf, PipelineError> {
    let w = &job.wanted;
    // What is kept of an earlier model: the ranker when only marks are given, the marks
    // when only the ranker is trained.
    let earlier = match Stored::load(job.topics, job.fingerprint) {
        Ok(m) => m,
        Err(e) => {
            report.note(&format!(
                "learn: the earlier model cannot be kept ({e}); it is replaced"
            ));
            None
        }
    };
    let history = match w.joins() {
        true => open_history(job.history, embedder)?,
        false => None,
    };
    let Gathered {
        sets,
        marks,
        notes,
        known,
    } = {
        let mut embed = |papers: &[crate::ingest::Paper]| {
            embed_papers(&mut *embedder, papers).map_err(Into::into)
        };
        gather(w, history.as_ref(), &mut embed).map_err(Box::new)?
    };
    for n in &notes {
        report.note(&format!("note: {n}"));
    }
    let ranker = match w.trains() {
        true => Some(train(&job, &sets, embedder, report)?),
        false => None,
    };
    let (kept_ranker, kept_marks) = match earlier {
        Some(e) => (e.ranker, e.marks),
        None => (None, Marks::default()),
    };
    let ranker = ranker.or_else(|| {
        if let Some(r) = &kept_ranker {
            report.note(&format!(
                "learn: kept the ranker trained before ({} to {})",
                r.first_day, r.last_day
            ));
        }
        kept_ranker
    });
    let marks = merge_marks(marks, kept_marks, w.feedback, report);
    let sources = (&known, history.as_ref());
    let reader = super::reader::fit_marks(embedder, job.profile, &marks, sources, ranker.as_ref())?;
    drop(history);
    let mut stored = Stored::new(job.fingerprint, embedder.dim(), ranker, marks);
    stored.reader = reader;
    let path = stored.store(job.topics)?;
    let size = fs_err::metadata(&path).map(|m| m.len()).unwrap_or(0);
    report.note(&format!(
        "model: {} ({size} bytes, {:.1} s): {}",
        path.display(),
        job.start.elapsed().as_secs_f64(),
        stored.summary()
    ));
    Ok(path)
}

/// This run's marks, or the earlier model's when it read no feedback.
fn merge_marks(
    marks: Option<Marks>,
    kept: Marks,
    feedback: &[PathBuf],
    report: &mut dyn Report,
) -> Marks {
    match marks {
        Some(m) => {
            report.note(&format!(
                "learn: {} liked and {} disliked papers from {}: a model of your marks learns \
                 from them and from the papers you were shown on those days and left unmarked, \
                 starting from the profile's score",
                m.likes().count(),
                m.dislikes().count(),
                feedback
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            m
        }
        None => {
            if !kept.is_empty() {
                report.note(&format!(
                    "learn: kept your {} marks from before",
                    kept.papers.len()
                ));
            }
            kept
        }
    }
}

/// Trains the ranker on the labelled sets and says how it went.
fn train(
    job: &Teach,
    sets: &[Training],
    embedder: &mut dyn Embedder,
    report: &mut dyn Report,
) -> Result<RankerModel, PipelineError> {
    for t in sets {
        report.note(&format!(
            "{}: {} papers, {} picks over {} days{}",
            t.set.name,
            t.set.items.len(),
            t.set.positives(),
            t.set.days().len(),
            if t.vectors.is_some() {
                " (vector-only: the history keeps no abstracts)"
            } else {
                ""
            }
        ));
    }
    let mut cache = match job.cache {
        Some(root) => Some(History::open_under(
            root,
            embedder.fingerprint(),
            embedder.dim(),
        )?),
        None => None,
    };
    let model = &mut Model {
        embedder,
        cache: cache.as_mut(),
    };
    let learnt = learn_profile(sets, job.profile, model)?;
    let r = &learnt.ranker;
    report.note(&format!(
        "ranker: learned from {} papers ({} picks, {} to {}): L2 {}, words weighted {} (0: \
         left out), {}; fit {:.1} s",
        r.training.iter().map(|t| t.papers).sum::<usize>(),
        r.training.iter().map(|t| t.positives).sum::<usize>(),
        r.first_day,
        r.last_day,
        r.model.lambda,
        r.model.text.as_ref().map_or(0.0, |t| t.scale),
        how_chosen(r, learnt.held_out_roc_auc),
        learnt.fit_seconds,
    ));
    Ok(learnt.ranker)
}

/// How the ranker's setting was chosen, in words.
fn how_chosen(r: &RankerModel, held_out_roc_auc: Option<f64>) -> String {
    let folds = match r.fold_by {
        FoldBy::Days => format!("{}-fold day-grouped CV", r.folds),
        FoldBy::Papers => format!(
            "{}-fold CV over groups of papers (one day: no other day to hold out, so the \
             figure is optimistic)",
            r.folds
        ),
    };
    match (r.chosen_by_cv, held_out_roc_auc) {
        (true, Some(auc)) => format!("chosen by {folds}, held-out ROC-AUC {auc:.3}"),
        _ => format!(
            "the default setting: {folds} measured nothing (no fold had a pick and a non-pick \
             on both sides), so there is no held-out figure"
        ),
    }
}

/// The model's history under `root`, read-only in effect (nothing is appended), or `None`
/// when there is none yet.
fn open_history(
    root: &Path,
    embedder: &dyn Embedder,
) -> Result<Option<History>, crate::history::HistoryError> {
    let fingerprint = embedder.fingerprint();
    let dir = History::dir_for(root, fingerprint);
    if !dir.is_dir() {
        return Ok(None);
    }
    History::open(&dir, fingerprint, embedder.dim()).map(Some)
}
