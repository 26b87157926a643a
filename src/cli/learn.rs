//! `arxrank learn`: teach the profile. The reader's likes and dislikes become marks that move
//! its scores; labelled days, an archive or a library train a ranker. Both are stored in
//! `<topics>/learned/model.json`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{CacheArgs, CliError, ModelArgs};
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::embed::Embedder;
use crate::history::{History, HistoryError};
use crate::labels::sources::{gather, Gathered, Wanted};
use crate::learn::stored::{Marks, RankerModel};
use crate::learn::{FoldBy, Stored, Training};
use crate::pipeline::train::{learn_profile, Model};
use crate::topics::Profile;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("labels").required(true).multiple(true)
    .args(["sets", "archive", "feedback", "library", "reset"])))]
pub struct LearnArgs {
    /// Labelled pools (JSON lines with a `label` per paper, as in labelled/): each day's
    /// picks are the positives, the rest of the day the negatives. Trains the ranker.
    pub sets: Vec<PathBuf>,

    /// A folder of gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant daily outputs
    /// (`2025-05-12/output.json`, `output_2025-05-12.json`, ...): each day's papers are
    /// positives, that day's other papers (from --digests, --listing or --history) the
    /// negatives. Trains the ranker. Repeatable.
    #[arg(long, value_name = "DIR")]
    pub archive: Vec<PathBuf>,

    /// Your likes and dislikes, as the site's "Export feedback" button saves them
    /// (`feedback.jsonl`). Liked papers pull papers like them up, disliked ones push papers
    /// very like them down; papers you did not mark keep their scores. Replaces the marks
    /// learned before, keeps a trained ranker. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub feedback: Vec<PathBuf>,

    /// Your library as positives: a `.bib` file, a Zotero `.csv` export, or a list of arXiv
    /// ids (one per line). Negatives are drawn from the history (--history). Trains the
    /// ranker. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub library: Vec<PathBuf>,

    /// Remove the profile's learned model (ranker and marks): `rank` and `daily` go back
    /// to the hand-set profile.
    #[arg(long, conflicts_with_all = ["sets", "archive", "feedback", "library"])]
    pub reset: bool,

    /// arxrank digest folders (`rank --out`): every paper each day scanned, whose text and
    /// days the archive and feedback labels are joined to. Repeatable. Default: the
    /// digests `daily` writes, as it resolves them.
    #[arg(long, value_name = "DIR")]
    pub digests: Vec<PathBuf>,

    /// Listings (any format `rank` reads) whose papers are the negatives of their day for
    /// --archive. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub listing: Vec<PathBuf>,

    /// The history (as `rank --history`): vectors and titles of papers seen before, for
    /// marked papers, --library's negatives and archive days no digest or listing covers.
    /// Default: `daily`'s.
    #[arg(long, env = "ARXRANK_HISTORY")]
    pub history: Option<PathBuf>,

    /// The profile to teach: a directory of TOML topic files. The model goes to
    /// `<topics>/learned/model.json`. Default: `daily`'s.
    #[arg(long, env = "ARXRANK_TOPICS")]
    pub topics: Option<PathBuf>,

    /// Settings file whose `topics`, `out` and `history` are the defaults above; default:
    /// ./arxrank.toml, else the one in the config directory.
    #[arg(long, env = "ARXRANK_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub model: ModelArgs,

    #[command(flatten)]
    pub cache: CacheArgs,
}

pub fn run(args: LearnArgs) -> Result<(), CliError> {
    let start = Instant::now();
    let settings = DailySettings::resolve(
        DailyOverrides {
            topics: args.topics.clone(),
            history: args.history.clone(),
            ..Default::default()
        },
        args.config.as_deref(),
        defaults(),
    )?;
    let topics = settings.topics.value.clone();
    if args.reset {
        let path = Stored::path(&topics);
        if Stored::remove(&topics)? {
            eprintln!(
                "learn: removed {}; rank and daily use the hand-set profile",
                path.display()
            );
        } else {
            eprintln!(
                "learn: {} has no learned model; nothing to remove",
                topics.display()
            );
        }
        return Ok(());
    }
    if !topics.is_dir() {
        return Err(CliError::Usage(format!(
            "--topics {}: a learned model is stored inside a profile directory",
            topics.display()
        )));
    }
    let profile = Profile::load(&topics)?;
    writable(&topics)?;
    let model_dir = args.model.resolve()?;
    // What is kept of an earlier model: the ranker when only marks are given, the marks
    // when only the ranker is trained.
    let earlier = match Stored::load(&topics, &model_dir.fingerprint) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("learn: the earlier model cannot be kept ({e}); it is replaced");
            None
        }
    };
    let mut embedder = args.model.load_dir(&model_dir)?;
    // Daily's digests by default, for the sources that join to a day's papers (labelled
    // pools carry their own).
    let joins = !(args.feedback.is_empty() && args.archive.is_empty() && args.library.is_empty());
    let digests = if !args.digests.is_empty() {
        args.digests.clone()
    } else if joins && settings.out.value.is_dir() {
        vec![settings.out.value.clone()]
    } else {
        Vec::new()
    };
    let history = if joins {
        open_history(&settings.history.value, &embedder)?
    } else {
        None
    };
    let wanted = Wanted {
        pools: &args.sets,
        archives: &args.archive,
        libraries: &args.library,
        feedback: &args.feedback,
        digests: &digests,
        listings: &args.listing,
    };
    let Gathered { sets, marks, notes } = {
        let mut embed = |papers: &[crate::ingest::Paper]| {
            crate::pipeline::embed_papers(&mut embedder, papers).map_err(Into::into)
        };
        gather(&wanted, history.as_ref(), &mut embed)?
    };
    drop(history);
    let trains = !(args.sets.is_empty() && args.archive.is_empty() && args.library.is_empty());
    for n in &notes {
        eprintln!("note: {n}");
    }
    let ranker = if trains {
        Some(train(&args, &sets, &profile, &mut embedder)?)
    } else {
        None
    };
    let (kept_ranker, kept_marks) = match earlier {
        Some(e) => (e.ranker, e.marks),
        None => (None, Marks::default()),
    };
    let ranker = match ranker {
        Some(r) => Some(r),
        None => {
            if let Some(r) = &kept_ranker {
                eprintln!(
                    "learn: kept the ranker trained before ({} to {})",
                    r.first_day, r.last_day
                );
            }
            kept_ranker
        }
    };
    let marks = match marks {
        Some(m) => {
            eprintln!(
                "learn: {} liked and {} disliked papers from {}: liked papers pull papers \
                 like them up, disliked ones push papers very like them down; unmarked papers \
                 keep their scores",
                m.likes().count(),
                m.dislikes().count(),
                args.feedback
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            m
        }
        None => {
            if !kept_marks.is_empty() {
                eprintln!(
                    "learn: kept your {} marks from before",
                    kept_marks.papers.len()
                );
            }
            kept_marks
        }
    };
    let stored = Stored::new(&model_dir.fingerprint, embedder.dim(), ranker, marks);
    let path = stored.store(&topics)?;
    let size = fs_err::metadata(&path).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "model: {} ({size} bytes, {:.1} s): {}",
        path.display(),
        start.elapsed().as_secs_f64(),
        stored.summary()
    );
    eprintln!(
        "next: `arxrank daily` ranks today's papers with it (and ranks again a day it \
         already ranked without it); `arxrank learn --reset` goes back to the hand-set profile"
    );
    println!("{}", path.display());
    Ok(())
}

/// Trains the ranker on the labelled sets and says how it went.
fn train(
    args: &LearnArgs,
    sets: &[Training],
    profile: &Profile,
    embedder: &mut dyn Embedder,
) -> Result<RankerModel, CliError> {
    for t in sets {
        eprintln!(
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
        );
    }
    let mut cache = args.cache.open(&*embedder)?;
    let learnt = learn_profile(
        sets,
        profile,
        &mut Model {
            embedder,
            cache: cache.as_mut(),
        },
    )
    // Through eval's error, as before the job moved: the same exit codes.
    .map_err(crate::eval::EvalError::from)?;
    let r = &learnt.ranker;
    let folds = match r.fold_by {
        FoldBy::Days => format!("{}-fold day-grouped CV", r.folds),
        FoldBy::Papers => format!(
            "{}-fold CV over groups of papers (one day: no other day to hold out, so the \
             figure is optimistic)",
            r.folds
        ),
    };
    let chosen = match (r.chosen_by_cv, learnt.held_out_roc_auc) {
        (true, Some(auc)) => format!("chosen by {folds}, held-out ROC-AUC {auc:.3}"),
        _ => format!(
            "the default setting: {folds} measured nothing (no fold had a pick and a non-pick \
             on both sides), so there is no held-out figure"
        ),
    };
    eprintln!(
        "ranker: learned from {} papers ({} picks, {} to {}): L2 {}, words weighted {} (0: \
         left out), {chosen}; fit {:.1} s",
        r.training.iter().map(|t| t.papers).sum::<usize>(),
        r.training.iter().map(|t| t.positives).sum::<usize>(),
        r.first_day,
        r.last_day,
        r.model.lambda,
        r.model.text.as_ref().map_or(0.0, |t| t.scale),
        learnt.fit_seconds,
    );
    Ok(learnt.ranker)
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
