//! `arxrank rank`: listing in, digest out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{learned_unusable, CliError, ModelArgs};
use crate::embed::Embedder;
use crate::embed::ModelDir;
use crate::history::{History, ANN_MIN_ROWS};
use crate::ingest::{day_in_file_name, Day, DaySource, Listing};
use crate::ingest::{read_listing, AnnounceType, Format, ReadOptions};
use crate::pipeline::{learned_for_day, rank_day, remember_day, DayRun, LearnedForDay};
use crate::render::write_digest;
use crate::topics::Profile;

#[derive(Debug, Args)]
pub struct RankArgs {
    /// The day's listing: arXiv RSS, arXiv API Atom, or JSON lines (arxrank's schema or the
    /// Kaggle arxiv-metadata-oai-snapshot format).
    pub listing: PathBuf,

    /// Output directory; the digest goes to `<out>/<date>/`.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,

    /// Profile: a directory of TOML topic files, or gpt_paper_assistant's paper_topics.txt
    /// (or a directory holding it and authors.txt).
    #[arg(long, env = "ARXRANK_TOPICS", default_value_os_t = crate::config::defaults().topics().value)]
    pub topics: PathBuf,

    /// gpt_paper_assistant-style authors.txt (one `Name[, id]` per line) that replaces the
    /// profile's author list.
    #[arg(long)]
    pub authors: Option<PathBuf>,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Input format; `auto` sniffs the file's content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,

    /// RSS announce types to keep (comma-separated: new, cross, replace, replace-cross).
    #[arg(long, value_delimiter = ',', default_value = "new,cross")]
    pub announce: Vec<AnnounceType>,

    /// The digest's day (YYYY-MM-DD); defaults to the listing's own date.
    #[arg(long)]
    pub date: Option<String>,

    /// Override the profile's selection threshold (relevance 1-10).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub min_relevance: Option<u8>,

    /// History root: novelty is measured against the papers stored under
    /// `<history>/<model fingerprint>/`, and the day is added there after the digest is
    /// written.
    #[arg(long, env = "ARXRANK_HISTORY", default_value_os_t = crate::config::defaults().history().value)]
    pub history: PathBuf,

    /// Read the history for novelty but do not add this day's papers to it.
    #[arg(long)]
    pub no_append: bool,

    /// Neither read nor write a history (novelty is left unavailable).
    #[arg(long, conflicts_with = "no_append")]
    pub no_history: bool,

    /// Rank with the profile's hand-set scoring even when it holds a learned model
    /// (`<topics>/learned/`, written by `arxrank learn`).
    #[arg(long)]
    pub no_learned: bool,

    /// Print the profile as built (topics, keywords, negative anchors, authors, what a
    /// `paper_topics.txt`'s exclusion and filter lines became) to stderr before ranking.
    #[arg(long)]
    pub show_profile: bool,
}

pub fn run(args: RankArgs, threads: usize) -> Result<(), CliError> {
    let start = Instant::now();
    let checked = check(&args)?;
    let learned = learned_for_day(
        &args.topics,
        args.authors.as_deref(),
        !args.no_learned,
        &checked.model_dir.fingerprint,
    )?;
    if let Some(e) = learned.error {
        return Err(learned_unusable(e, &args.topics));
    }
    rank_checked(&args, checked, learned, threads, start)
}

/// What `rank` reads and checks before the model loads: the listing, the profile, the day
/// and the model's files.
pub struct Checked {
    pub listing: Listing,
    pub profile: Profile,
    pub date: String,
    pub date_from: DaySource,
    pub model_dir: ModelDir,
}

/// Reads and checks everything that can be wrong with the inputs, before anything is
/// written and before the model is loaded.
pub fn check(args: &RankArgs) -> Result<Checked, CliError> {
    let (listing, date, date_from) = read_day(args)?;
    let profile = load_profile(args)?;
    if args.show_profile {
        eprint!("{}", profile.describe());
    }
    Ok(Checked {
        listing,
        profile,
        date,
        date_from,
        model_dir: args.model.resolve()?,
    })
}

/// The listing and its day: what [`check`] reads besides the profile and the model, for a
/// caller that has checked those already (`daily`).
pub fn read_day(args: &RankArgs) -> Result<(Listing, String, DaySource), CliError> {
    if let Some(d) = &args.date {
        if Day::parse(d).is_none() {
            return Err(CliError::Usage(format!("--date {d:?} is not YYYY-MM-DD")));
        }
    }
    let listing = read_listing(
        &args.listing,
        &ReadOptions {
            format: args.format,
            announce: args.announce.clone(),
        },
    )?;
    let (date, date_from) = day_of(args.date.as_deref(), listing.date.as_deref(), &args.listing);
    eprintln!("day {date} (from {date_from})");
    Ok((listing, date, date_from))
}

/// Ranks a checked day with `learned` (the profile's learned model, or none) and writes its
/// digest, then adds the day to the history.
pub fn rank_checked(
    args: &RankArgs,
    checked: Checked,
    learned: LearnedForDay,
    threads: usize,
    start: Instant,
) -> Result<(), CliError> {
    let Checked {
        listing,
        profile,
        date,
        date_from,
        model_dir,
    } = checked;
    if let Some(m) = &learned.model {
        eprintln!(
            "ranking with the learned model {}: {}",
            crate::learn::Stored::path(&args.topics).display(),
            m.summary()
        );
    }
    let mut embedder = args.model.load_dir(&model_dir)?;
    let mut history = if args.no_history {
        None
    } else {
        let dir = History::dir_for(&args.history, embedder.fingerprint());
        Some(History::open(&dir, embedder.fingerprint(), embedder.dim())?)
    };
    eprintln!(
        "ranking {} papers from {} with {} on {:?} ({threads} threads)",
        listing.papers.len(),
        args.listing.display(),
        model_dir.manifest.name,
        args.model.device
    );
    let device = format!("{:?}", args.model.device).to_lowercase();
    let ranked = rank_day(
        &mut embedder,
        &listing.papers,
        &DayRun {
            date: &date,
            date_from: date_from.as_str(),
            listed: listing.entries,
            profile: &profile,
            model: &model_dir.manifest.name,
            device: &device,
            history: history.as_ref(),
            learned: learned.model.as_ref(),
            ranked_with: Some(learned.ranked_with),
            start,
        },
    )?;
    let digest = &ranked.digest;
    let written = write_digest(digest, &args.out.join(&date))?;
    eprintln!(
        "{}: {} scanned, {} relevant, {:.1} s, {:.1} papers/s",
        date,
        digest.entries.len(),
        digest.selected().count(),
        digest.seconds,
        digest.entries.len() as f64 / digest.seconds
    );
    for p in written {
        println!("{}", p.display());
    }
    // Last, after the digest is safely written: remember the day.
    if let (Some(h), false) = (history.as_mut(), args.no_append) {
        let r = remember_day(h, &listing.papers, &ranked.vectors, &date, ANN_MIN_ROWS)?;
        eprintln!(
            "history {}: +{} papers, {} in all{}",
            h.dir().display(),
            r.added,
            h.len(),
            if h.indexed() > 0 {
                format!(", {} added to the ANN index", r.indexed)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}

/// The profile with the flags that override it.
pub fn load_profile(args: &RankArgs) -> Result<Profile, CliError> {
    let mut profile = Profile::load(&args.topics)?;
    if let Some(a) = &args.authors {
        profile = profile.with_authors_file(a)?;
    }
    if let Some(m) = args.min_relevance {
        profile.scale.select_min = m;
    }
    Ok(profile)
}

/// The digest's day and where it came from: `--date`, else the listing's own (the feed's,
/// or most papers' dates), else the day in the file's path (crawlers write
/// `2025-05-13.jsonl` without dates inside), else today.
fn day_of(flag: Option<&str>, listing: Option<&str>, path: &Path) -> (String, DaySource) {
    if let Some(d) = flag {
        return (d.to_owned(), DaySource::Flag);
    }
    if let Some(d) = listing {
        return (d.to_owned(), DaySource::Listing);
    }
    match day_in_file_name(path) {
        Some(d) => (d.to_string(), DaySource::FileName),
        None => (Day::today().to_string(), DaySource::Today),
    }
}
