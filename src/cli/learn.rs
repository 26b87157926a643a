//! `arxrank learn`: the profile's learned ranker, trained on labelled days.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{CliError, ModelArgs};
use crate::embed::Embedder;
use crate::eval::run::{day_span, examples, Model};
use crate::eval::tune::calibrate;
use crate::eval::LabelledSet;
use crate::history::History;
use crate::learn::stored::{CvRow, TrainingSet, FORMAT, VERSION};
use crate::learn::{train, Stored, PART_NAMES};
use crate::topics::Profile;

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Labelled pools (JSON lines with a `label` per paper, as in labelled/): the judge's
    /// picks are the positives, the rest of each day the negatives.
    #[arg(required = true)]
    pub sets: Vec<PathBuf>,

    /// The profile to train for: a directory of TOML topic files. The model goes to
    /// `<topics>/learned/model.json`, replacing any earlier one.
    #[arg(long, default_value = "topics")]
    pub topics: PathBuf,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Embedding cache (an arxrank history store, per model), shared with `eval`.
    #[arg(long, default_value = "eval-cache")]
    pub cache: PathBuf,

    /// Embed everything afresh and store nothing in the cache.
    #[arg(long)]
    pub no_cache: bool,
}

pub fn run(args: LearnArgs, models_dir: &Path) -> Result<(), CliError> {
    let start = Instant::now();
    if !args.topics.is_dir() {
        return Err(CliError::Usage(format!(
            "--topics {}: a learned model is stored inside a profile directory",
            args.topics.display()
        )));
    }
    let mut sets = Vec::new();
    for p in &args.sets {
        sets.push(LabelledSet::read_jsonl(p)?);
    }
    let profile = Profile::load(&args.topics)?;
    let (_, mut embedder) = args.model.load(models_dir)?;
    let mut cache = if args.no_cache {
        None
    } else {
        Some(History::open(
            &History::dir_for(&args.cache, embedder.fingerprint()),
            embedder.fingerprint(),
            embedder.dim(),
        )?)
    };
    let ex = examples(
        &sets,
        &profile,
        &mut Model {
            embedder: &mut embedder,
            cache: cache.as_mut(),
        },
    )?;
    let fit_start = Instant::now();
    let trained = train(&ex)?;
    let fit_seconds = fit_start.elapsed().as_secs_f64();
    // The scale is fitted on what the model does on days it did not see; with a single day
    // no fold could be held out, and the in-sample scores are all there is.
    let mut scores: Vec<f32> = trained
        .held_out
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if scores.is_empty() {
        scores = trained.model.score(ex.x.view());
    }
    let rate = trained.positives as f64 / trained.papers as f64;
    let scale = calibrate(&scores, rate, &profile.scale, String::new())?;
    let mut days = ex.days.clone();
    days.sort();
    let stored = Stored {
        format: FORMAT.into(),
        version: VERSION,
        fingerprint: embedder.fingerprint().to_owned(),
        vector_dims: embedder.dim(),
        parts: PART_NAMES.iter().map(|s| s.to_string()).collect(),
        model: trained.model.clone(),
        raw_at_1: scale.raw_at_1,
        raw_at_10: scale.raw_at_10,
        training: sets
            .iter()
            .map(|s| TrainingSet {
                name: s.name.clone(),
                papers: s.items.len(),
                positives: s.positives(),
            })
            .collect(),
        first_day: days.first().cloned().unwrap_or_default(),
        last_day: days.last().cloned().unwrap_or_default(),
        folds: trained.folds,
        cv: trained
            .cv
            .iter()
            .map(|&(lambda, roc_auc)| CvRow { lambda, roc_auc })
            .collect(),
        trained_by: format!("arxrank {}", env!("CARGO_PKG_VERSION")),
    };
    let path = stored.store(&args.topics)?;
    let size = fs_err::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let best = trained
        .cv
        .iter()
        .find(|(l, _)| *l == trained.model.lambda)
        .map_or(f64::NAN, |c| c.1);
    eprintln!(
        "learned from {} papers ({} picks, {}): L2 {} by {}-fold day-grouped CV, held-out \
         ROC-AUC {best:.3}; fit {fit_seconds:.1} s, {:.1} s in all",
        trained.papers,
        trained.positives,
        day_span(&ex.days),
        trained.model.lambda,
        trained.folds,
        start.elapsed().as_secs_f64()
    );
    eprintln!("model: {} ({size} bytes)", path.display());
    println!("{}", path.display());
    Ok(())
}
