//! `arxrank learn`: the profile's learned ranker, trained on labelled days.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{CacheArgs, CliError, ModelArgs};
use crate::eval::run::{learn_profile, Model};
use crate::eval::LabelledSet;
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

    #[command(flatten)]
    pub cache: CacheArgs,
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
    let mut cache = args.cache.open(&embedder)?;
    let learnt = learn_profile(
        &sets,
        &profile,
        &mut Model {
            embedder: &mut embedder,
            cache: cache.as_mut(),
        },
    )?;
    let stored = &learnt.stored;
    let path = stored.store(&args.topics)?;
    let size = fs_err::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "learned from {} papers ({} picks, {} to {}): L2 {} by {}-fold day-grouped CV, \
         held-out ROC-AUC {:.3}; fit {:.1} s, {:.1} s in all",
        stored.training.iter().map(|t| t.papers).sum::<usize>(),
        stored.training.iter().map(|t| t.positives).sum::<usize>(),
        stored.first_day,
        stored.last_day,
        stored.model.lambda,
        stored.folds,
        learnt.held_out_roc_auc,
        learnt.fit_seconds,
        start.elapsed().as_secs_f64()
    );
    eprintln!("model: {} ({size} bytes)", path.display());
    println!("{}", path.display());
    Ok(())
}
