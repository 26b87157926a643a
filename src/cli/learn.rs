//! `arxrank learn`: the profile's learned ranker, trained on labelled days.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{CacheArgs, CliError, ModelArgs};
use crate::embed::Embedder;
use crate::eval::run::{learn_profile, Model};
use crate::eval::LabelledSet;
use crate::history::{History, HistoryError};
use crate::learn::sources::{archive_sets, feedback_set, library_set, Known};
use crate::learn::Training;
use crate::topics::Profile;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("labels").required(true).multiple(true)
    .args(["sets", "archive", "feedback", "library"])))]
pub struct LearnArgs {
    /// Labelled pools (JSON lines with a `label` per paper, as in labelled/): the judge's
    /// picks are the positives, the rest of each day the negatives.
    pub sets: Vec<PathBuf>,

    /// A folder of gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant daily outputs
    /// (`2025-05-12/output.json`, `output_2025-05-12.json`, ...): each day's papers are
    /// positives, that day's other papers (from --digests, --listing or --history) the
    /// negatives. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub archive: Vec<PathBuf>,

    /// The reader's likes and dislikes, as the site's "Export feedback" button saves them
    /// (`feedback.jsonl`): liked papers are positives; disliked and unmarked papers of the
    /// same days negatives. Needs the digests the site was built from (--digests).
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub feedback: Vec<PathBuf>,

    /// The reader's library as positives: a `.bib` file, a Zotero `.csv` export, or a list
    /// of arXiv ids (one per line). Negatives are drawn from the history (--history).
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    pub library: Vec<PathBuf>,

    /// arxrank digest folders (`rank --out`): every paper each day scanned, whose text and
    /// days the archive and feedback labels are joined to. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub digests: Vec<PathBuf>,

    /// Listings (any format `rank` reads) whose papers are the negatives of their day for
    /// --archive. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub listing: Vec<PathBuf>,

    /// The history (as `rank --history`): vectors and titles of papers seen before, for
    /// --library's negatives and for archive days no digest or listing covers.
    #[arg(long, env = "ARXRANK_HISTORY", default_value_os_t = crate::config::defaults().history().value)]
    pub history: PathBuf,

    /// The profile to train for: a directory of TOML topic files. The model goes to
    /// `<topics>/learned/model.json`, replacing any earlier one.
    #[arg(long, env = "ARXRANK_TOPICS", default_value_os_t = crate::config::defaults().topics().value)]
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
    let profile = Profile::load(&args.topics)?;
    writable(&args.topics)?;
    let (_, mut embedder) = args.model.load(models_dir)?;
    let mut sets: Vec<Training> = Vec::new();
    for p in &args.sets {
        sets.push(Training::full_text(LabelledSet::read_jsonl(p)?));
    }
    let mut known = Known::default();
    for d in &args.digests {
        known.add_digests(d)?;
    }
    for l in &args.listing {
        known.add_listing(l)?;
    }
    let history = if args.archive.is_empty() && args.library.is_empty() {
        None
    } else {
        open_history(&args.history, &embedder)?
    };
    let mut notes = Vec::new();
    for f in &args.feedback {
        sets.push(feedback_set(f, &known)?);
    }
    for a in &args.archive {
        sets.extend(archive_sets(a, &known, history.as_ref(), &mut notes)?);
    }
    for l in &args.library {
        sets.push(library_set(l, &known, history.as_ref(), &mut notes)?);
    }
    drop(history);
    for n in &notes {
        eprintln!("note: {n}");
    }
    for t in &sets {
        eprintln!(
            "{}: {} papers, {} positives over {} days{}",
            t.set.name,
            t.set.items.len(),
            t.set.positives(),
            t.set.days().len(),
            if t.vectors.is_some() {
                " (vector-only: the history keeps no abstracts)"
            } else {
                ""
            }
        );
    }
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
        "learned from {} papers ({} picks, {} to {}): L2 {}, words weighted {} (0: left out), \
         by {}-fold day-grouped CV, held-out ROC-AUC {:.3}; fit {:.1} s, {:.1} s in all",
        stored.training.iter().map(|t| t.papers).sum::<usize>(),
        stored.training.iter().map(|t| t.positives).sum::<usize>(),
        stored.first_day,
        stored.last_day,
        stored.model.lambda,
        stored.model.text.as_ref().map_or(0.0, |t| t.scale),
        stored.folds,
        learnt.held_out_roc_auc,
        learnt.fit_seconds,
        start.elapsed().as_secs_f64()
    );
    eprintln!("model: {} ({size} bytes)", path.display());
    println!("{}", path.display());
    Ok(())
}

/// The model's history under `root`, read-only in effect (nothing is appended), or `None`
/// when there is none yet.
fn open_history(root: &Path, embedder: &dyn Embedder) -> Result<Option<History>, HistoryError> {
    let fingerprint = embedder.fingerprint();
    let dir = History::dir_for(root, fingerprint);
    if !dir.is_dir() {
        return Ok(None);
    }
    History::open(&dir, fingerprint, embedder.dim()).map(Some)
}

/// Fails now, not after minutes of training, when the model could not be written; creates
/// nothing (a run that learns nothing leaves the profile as it was).
fn writable(profile_dir: &Path) -> Result<(), CliError> {
    let dir = profile_dir.join(crate::learn::stored::DIR);
    let refuse = |why: String| {
        CliError::Usage(format!(
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
