//! Eval: how well rankers put the papers a judge selected above the rest, side by side.
//!
//! A run reads labelled sets ([`crate::labels`]), scores every paper with each [`rankers::Ranker`],
//! measures the rankings ([`metrics`], with bootstrap intervals), optionally tunes and
//! calibrates the profile ([`tune`]), and writes Markdown, JSON and SVG ([`report`]).

pub mod interests;
pub mod plan;
pub mod rankers;
pub mod report;
pub mod run;
pub mod simulate;
pub mod tune;

use std::path::PathBuf;
use std::time::Instant;

pub use crate::labels::{Judged, Judgement, LabelledSet, LabelsError};
pub use crate::metrics;
pub use metrics::{average_precision, recall_at_k, roc_auc, Estimate, Truth, METRICS};
use rankers::{Inputs, Ranker};
use tune::{Selection, TuneReport};

use crate::embed::EmbedError;
use crate::fsutil::IoError;
use crate::history::HistoryError;
use crate::ingest::IngestError;
use crate::labels::Group;
use crate::topics::Scale;
use crate::topics::TopicsError;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Learn(#[from] crate::learn::LearnError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
    /// Boxed: it can carry an ingest, history or embed error of its own.
    #[error(transparent)]
    Labels(Box<LabelsError>),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error("cannot draw {path}: {message}")]
    Plot { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

impl From<LabelsError> for EvalError {
    fn from(e: LabelsError) -> Self {
        EvalError::Labels(Box::new(e))
    }
}

impl crate::pipeline::StageError for EvalError {
    fn usage(message: String) -> Self {
        EvalError::Usage(message)
    }
}

impl From<crate::pipeline::PipelineError> for EvalError {
    fn from(e: crate::pipeline::PipelineError) -> Self {
        e.flatten()
    }
}

/// One ranker's showing on one set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RankerResult {
    pub name: String,
    /// In [`METRICS`] order.
    pub metrics: Vec<Estimate>,
    /// In [`metrics::DAY_METRICS`] order: within each day, averaged over days.
    pub per_day: Vec<Estimate>,
    /// Its own scoring time plus, for rankers that read embeddings, the embedding time.
    pub seconds: f64,
    pub papers_per_second: f64,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub scores: Vec<f32>,
}

/// How the hybrid's digest selection (relevance ≥ select_min) compares with the judge's,
/// on the profile's scale and on a scale calibrated on this set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Calibration {
    pub profile_scale: Selection,
    /// Fitted on this very set (in-sample): what `--calibrate` stores in the profile.
    pub fitted: ScaleSummary,
    pub fitted_selection: Selection,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleSummary {
    pub raw_at_1: f32,
    pub raw_at_10: f32,
    pub select_min: u8,
}

impl From<&Scale> for ScaleSummary {
    fn from(s: &Scale) -> Self {
        Self {
            raw_at_1: s.raw_at_1,
            raw_at_10: s.raw_at_10,
            select_min: s.select_min,
        }
    }
}

/// Everything measured on one labelled set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SetReport {
    pub name: String,
    pub source: PathBuf,
    pub profile: String,
    pub papers: usize,
    pub positives: usize,
    pub graded: usize,
    pub days: Vec<Group>,
    pub unjudged: usize,
    pub unmatched: Vec<String>,
    pub embed_seconds: f64,
    pub resamples: usize,
    pub rankers: Vec<RankerResult>,
    pub calibration: Option<Calibration>,
    /// The learned ranker's digest picks against the judge's, at the scale fitted on its
    /// training days (not on this set). Left out of eval.json when there is none, so runs
    /// without a learned ranker write what earlier releases wrote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub learned_selection: Option<Selection>,
    pub tune: Option<TuneReport>,
    /// The learning curve of `--simulate-reader` (absent without it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulation: Option<Vec<simulate::CurvePoint>>,
    /// Per-topic R@10 of one mixed model against one model per topic (`--interests`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interests: Option<Vec<interests::InterestRow>>,
    /// What was not done for this set, and why.
    pub notes: Vec<String>,
    #[serde(skip)]
    pub selected: Vec<bool>,
    #[serde(skip)]
    pub ids: Vec<String>,
}

/// Scores `set` with every ranker and measures each, with `resamples` bootstrap draws.
/// `sims`/`embed_seconds` are the set's topic similarities and what computing them cost.
pub fn compare(
    set: &LabelledSet,
    rankers: &[Box<dyn Ranker>],
    inputs: &Inputs,
    embed_seconds: f64,
    resamples: usize,
    seed: u64,
) -> Result<Vec<RankerResult>, EvalError> {
    let selected = set.selected();
    let grades = set.relevance();
    let truth = Truth {
        selected: &selected,
        grades: &grades,
    };
    let days: Vec<Group> = set.items.iter().map(|j| j.day).collect();
    let mut out = Vec::new();
    for r in rankers {
        let t = Instant::now();
        let scores = r.score(inputs)?;
        let mut seconds = t.elapsed().as_secs_f64();
        if r.uses_embeddings() {
            seconds += embed_seconds;
        }
        out.push(RankerResult {
            name: r.name(),
            metrics: metrics::evaluate_with_intervals(&scores, truth, resamples, seed),
            per_day: metrics::per_day_with_intervals(&scores, &selected, &days, resamples, seed),
            seconds,
            // NaN when the embedding time is unknown (cached vectors).
            papers_per_second: if seconds > 0.0 {
                set.items.len() as f64 / seconds
            } else {
                f64::NAN
            },
            notes: r.notes(inputs),
            scores,
        });
    }
    Ok(out)
}
