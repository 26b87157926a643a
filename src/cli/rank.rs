//! `arxrank rank`: listing in, digest out.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{learned_unusable, CliError, Console, ModelArgs};
use crate::ingest::{AnnounceType, Format};
use crate::pipeline::day::{rank_to_disk, read_day, DayToRank};
use crate::pipeline::{learned_for_day, LearnedForDay};
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
    let day = read_day(
        &args.listing,
        args.format,
        &args.announce,
        args.date.as_deref(),
        &mut Console,
    )?;
    let profile = load_profile(&args)?;
    if args.show_profile {
        eprint!("{}", profile.describe());
    }
    let model_dir = args.model.resolve()?;
    let learned = learned(&args, &model_dir.fingerprint)?;
    let mut embedder = args.model.load_dir(&model_dir)?;
    let run = DayToRank {
        listing_path: &args.listing,
        day,
        profile,
        topics: &args.topics,
        model_dir: &model_dir,
        device: args.model.device,
        threads,
        out: &args.out,
        history: (!args.no_history).then_some(args.history.as_path()),
        append: !args.no_append,
        learned,
        start,
    };
    rank_to_disk(&mut embedder, run, &mut Console)?;
    Ok(())
}

/// The profile's learned model unless `--no-learned`; one that cannot be used stops `rank`
/// (`daily` goes on without it, and says so).
fn learned(args: &RankArgs, fingerprint: &str) -> Result<LearnedForDay, CliError> {
    let learned = learned_for_day(
        &args.topics,
        args.authors.as_deref(),
        !args.no_learned,
        fingerprint,
    )?;
    match learned.error {
        Some(e) => Err(learned_unusable(e, &args.topics)),
        None => Ok(learned),
    }
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
