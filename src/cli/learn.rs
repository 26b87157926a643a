//! `arxrank learn`: teach the profile. The reader's likes and dislikes become marks that move
//! its scores; labelled days, an archive or a library train a ranker. Both are stored in
//! `<topics>/learned/model.json`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{CacheArgs, CliError, Console, ModelArgs};
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::labels::sources::Wanted;
use crate::pipeline::teach::{self, Teach};
use crate::topics::Profile;

/// The feedback log `--feedback` reads when it names no file.
fn feedback_log() -> &'static std::ffi::OsStr {
    static LOG: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LOG.get_or_init(|| defaults().feedback().value).as_os_str()
}

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

    /// Your likes and dislikes: the feedback log (`--feedback` alone: `feedback.jsonl` in
    /// the data directory, where `arxrank feedback import` appends), or a file the site's
    /// "Export feedback" button saved. Trains a model of your marks that starts from the
    /// profile's score (or the trained ranker's) and learns from what you marked and what
    /// you were shown those days and left unmarked. Replaces the marks learned before,
    /// keeps a trained ranker. Repeatable.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value_os = feedback_log())]
    pub feedback: Vec<PathBuf>,

    /// Your library as positives: Zotero's own `zotero.sqlite` (read from a copy, so
    /// Zotero may be running), a `.bib` file, a Zotero `.csv` export, or a list of arXiv
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

    /// Which `[[profile]]` of arxrank.toml to teach: its topics, digests and feedback log
    /// (`--feedback` alone reads that profile's log). Needed when the file names profiles.
    #[arg(long, value_name = "NAME", conflicts_with = "topics")]
    pub profile: Option<String>,

    #[command(flatten)]
    pub model: ModelArgs,

    #[command(flatten)]
    pub cache: CacheArgs,
}

pub fn run(args: LearnArgs) -> Result<(), CliError> {
    let start = Instant::now();
    let settings = settings(&args)?;
    let topics = &settings.topics.value;
    if args.reset {
        return Ok(teach::reset(
            topics,
            &settings.feedback.value,
            &mut Console,
        )?);
    }
    teach::require_profile_dir(topics)?;
    let profile = Profile::load(topics)?;
    teach::check_writable(topics)?;
    let model_dir = args.model.resolve()?;
    let mut embedder = args.model.load_dir(&model_dir)?;
    let daily_out = [settings.out.value.clone()];
    let feedback = feedback_files(&args, &settings);
    let wanted = wanted(&args, &feedback, &daily_out);
    let job = Teach {
        topics,
        profile: &profile,
        fingerprint: &model_dir.fingerprint,
        wanted,
        history: &settings.history.value,
        cache: (!args.cache.no_cache).then_some(args.cache.cache.as_path()),
        start,
    };
    let path = teach::teach(&mut embedder, job, &mut Console)?;
    eprintln!(
        "next: `arxrank daily` ranks today's papers with it (and ranks again a day it \
         already ranked without it); `arxrank learn --reset` goes back to the hand-set profile"
    );
    println!("{}", path.display());
    Ok(())
}

/// Daily's settings with `--topics` and `--history` over them: `learn` teaches the profile
/// `daily` ranks with unless told otherwise.
fn settings(args: &LearnArgs) -> Result<DailySettings, CliError> {
    let flags = DailyOverrides {
        topics: args.topics.clone(),
        history: args.history.clone(),
        ..Default::default()
    };
    let config = args.config.as_deref();
    let settings = DailySettings::resolve(flags, config, defaults())?;
    Ok(settings.pick_profile(args.profile.as_deref())?)
}

/// The feedback files given: `--feedback` alone is the profile's own log.
fn feedback_files(args: &LearnArgs, settings: &DailySettings) -> Vec<PathBuf> {
    let log = &settings.feedback.value;
    args.feedback
        .iter()
        .map(|f| match f.as_os_str() == feedback_log() {
            true => log.clone(),
            false => f.clone(),
        })
        .collect()
}

/// The files given, by kind; daily's digests (`daily_out`, when that folder exists) unless
/// `--digests` names others, for the sources that join to a day's papers.
fn wanted<'a>(
    args: &'a LearnArgs,
    feedback: &'a [PathBuf],
    daily_out: &'a [PathBuf],
) -> Wanted<'a> {
    Wanted {
        pools: &args.sets,
        archives: &args.archive,
        libraries: &args.library,
        feedback,
        digests: &args.digests,
        listings: &args.listing,
    }
    .or_daily_digests(daily_out)
}
