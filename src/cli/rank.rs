//! `arxrank rank`: listing in, digest out.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{learned_unusable, CliError, Console, ModelArgs};
use crate::config::FileConfig;
use crate::ingest::{AnnounceType, Format};
use crate::pipeline::day::{rank_to_disk, read_day, DayToRank, ProfileToRank};
use crate::pipeline::learned_for_day;
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

    /// Rank for the profiles of this arxrank.toml: each `[[profile]]` table to
    /// `<out>/<name>/<date>/`, from one embedding pass (a file without profiles ranks its
    /// `topics` to `<out>/<date>/`).
    #[arg(long, conflicts_with_all = ["topics", "authors"])]
    pub config: Option<PathBuf>,

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
    let model_dir = args.model.resolve()?;
    let wanted = wanted_profiles(&args)?;
    let mut profiles = Vec::with_capacity(wanted.len());
    for w in &wanted {
        profiles.push(profile_to_rank(&args, w, &model_dir.fingerprint)?);
    }
    let mut embedder = args.model.load_dir(&model_dir)?;
    let run = DayToRank {
        listing_path: &args.listing,
        day,
        profiles,
        model_dir: &model_dir,
        device: args.model.device,
        threads,
        history: (!args.no_history).then_some(args.history.as_path()),
        append: !args.no_append,
        start,
    };
    rank_to_disk(&mut embedder, run, &mut Console)?;
    Ok(())
}

/// A profile to rank for: its topics, authors file and digest folder.
struct Wanted {
    topics: PathBuf,
    authors: Option<PathBuf>,
    out: PathBuf,
}

/// `--config`'s profiles (each to `<out>/<name>/`), or its `topics`, else `--topics`.
fn wanted_profiles(args: &RankArgs) -> Result<Vec<Wanted>, CliError> {
    let Some(path) = &args.config else {
        return Ok(vec![Wanted {
            topics: args.topics.clone(),
            authors: args.authors.clone(),
            out: args.out.clone(),
        }]);
    };
    let file = FileConfig::load(path)?;
    if file.profiles.is_empty() {
        return Ok(vec![Wanted {
            topics: file.topics.unwrap_or_else(|| args.topics.clone()),
            authors: file.authors,
            out: args.out.clone(),
        }]);
    }
    Ok(file
        .profiles
        .into_iter()
        .map(|p| Wanted {
            out: p.within(&args.out),
            topics: p.topics,
            authors: p.authors,
        })
        .collect())
}

/// The profile, with the flags that override it, and its learned model unless
/// `--no-learned`: one that cannot be used stops `rank` (`daily` goes on without it, and
/// says so).
fn profile_to_rank<'a>(
    args: &RankArgs,
    w: &'a Wanted,
    fingerprint: &str,
) -> Result<ProfileToRank<'a>, CliError> {
    let mut profile = Profile::load(&w.topics)?;
    if let Some(a) = &w.authors {
        profile = profile.with_authors_file(a)?;
    }
    if let Some(m) = args.min_relevance {
        profile.scale.select_min = m;
    }
    if args.show_profile {
        eprint!("{}", profile.describe());
    }
    let learned = learned_for_day(
        &w.topics,
        w.authors.as_deref(),
        !args.no_learned,
        fingerprint,
    )?;
    if let Some(e) = learned.error {
        return Err(learned_unusable(e, &w.topics));
    }
    Ok(ProfileToRank {
        profile,
        topics: &w.topics,
        out: w.out.clone(),
        learned,
    })
}
