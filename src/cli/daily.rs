//! `arxrank daily`: fetch → rank (with history) → site → delivery, for cron.
//!
//! Each step is skipped when its result is already there for the day, so a second run on
//! the same day changes nothing and says so, and a run after a failure resumes where it
//! stopped (a failed delivery is retried, the digest is not ranked again). A digest ranked
//! with another profile or learned model than the current ones is ranked again.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde::{Deserialize, Serialize};

use super::fetch::NetArgs;
use super::rank::RankArgs;
use super::{
    CliError, ModelArgs, Runtime, EXIT_DELIVERY_FAILED, EXIT_LEARNED_UNUSABLE, EXIT_NO_PAPERS,
};
use crate::config::{DailyOverrides, DailySettings, Setting};
use crate::deliver::deliver_day;
use crate::embed::{ComputePrecision, DeviceKind};
use crate::fetch::Fetched;
use crate::fsutil::{sha256_file, write_atomic};
use crate::ingest::{AnnounceType, Format};
use crate::pipeline::{learned_for_day, LearnedForDay};
use crate::IoError;

#[derive(Debug, Args)]
pub struct DailyArgs {
    #[command(flatten)]
    pub net: NetArgs,

    /// Print the resolved settings and where each came from, then exit.
    #[arg(long)]
    pub show_config: bool,

    /// Profile (as `rank --topics`). Default: arxrank.toml's `topics`, else ./topics, else
    /// the one `arxrank init` wrote; --show-config prints it.
    #[arg(long)]
    pub topics: Option<PathBuf>,

    /// gpt_paper_assistant-style authors.txt replacing the profile's author list.
    #[arg(long)]
    pub authors: Option<PathBuf>,

    /// Digest folder (one YYYY-MM-DD folder per day).
    #[arg(long, help = default_help("Digest folder (one YYYY-MM-DD folder per day).", "out",
        || crate::config::defaults().digests().value))]
    pub out: Option<PathBuf>,

    /// Site folder.
    #[arg(long, help = "Site folder. Default: <out>/site.")]
    pub site: Option<PathBuf>,

    /// History root (novelty against earlier days; the day is added after its digest).
    #[arg(long, help = default_help(
        "History root (novelty against earlier days; the day is added after its digest).",
        "history", || crate::config::defaults().history().value))]
    pub history: Option<PathBuf>,

    /// Folder the fetched listings are saved in.
    #[arg(long, help = default_help("Folder the fetched listings are saved in.", "listings",
        || crate::config::defaults().listings().value))]
    pub listings: Option<PathBuf>,

    /// Embedding model: a manifest name under --models-dir, or a model directory.
    #[arg(long)]
    pub model: Option<String>,

    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,

    /// Arithmetic of the encoder (as `rank --compute`).
    #[arg(long, value_enum, value_name = "PRECISION")]
    pub compute: Option<ComputePrecision>,

    #[command(flatten)]
    pub runtime: Runtime,

    /// Rank this listing file instead of fetching today's feed (e.g. a day `fetch --api`
    /// saved).
    #[arg(long)]
    pub listing: Option<PathBuf>,

    /// Skip delivery this run (it stays pending and goes out on the next run without this).
    #[arg(long)]
    pub no_deliver: bool,

    /// Rank with the hand-set profile even when it holds a learned model
    /// (`<topics>/learned/`, written by `arxrank learn`).
    #[arg(long)]
    pub no_learned: bool,

    /// Rank the day again even when its digest is up to date.
    #[arg(long)]
    pub force: bool,
}

/// A flag's help with the default resolved from where arxrank runs (the file's setting
/// comes first, so both are named).
fn default_help(what: &str, key: &str, default: impl Fn() -> PathBuf) -> String {
    format!(
        "{what} Default: arxrank.toml's `{key}`, else {}.",
        default().display()
    )
}

/// `<out>/<date>/daily.json`: which listing the day's digest was ranked from.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Ranked {
    listing: PathBuf,
    listing_sha256: String,
}

const RANKED_FILE: &str = "daily.json";

pub fn run(args: DailyArgs, threads: usize) -> Result<u8, CliError> {
    let start = Instant::now();
    let mut settings = args.net.settings(DailyOverrides {
        topics: args.topics.clone(),
        authors: args.authors.clone(),
        out: args.out.clone(),
        site: args.site.clone(),
        history: args.history.clone(),
        listings: args.listings.clone(),
        model: args.model.clone(),
        ..Default::default()
    })?;
    let models_dir = args.runtime.models_dir().to_owned();
    if models_dir != crate::config::defaults().models().value {
        settings.models = Setting {
            value: models_dir,
            from: "flag or environment".into(),
        };
    }
    if args.show_config {
        print!("{settings}");
        return Ok(0);
    }

    // 0. The settings, checked even on a day with nothing to do, so a typo is caught on
    // the first run after it, not on the next new day.
    let rank_args = rank_args(&args, &settings, PathBuf::new());
    let profile = super::rank::load_profile(&rank_args)?;
    let model_dir = rank_args.model.resolve()?;
    let learned = learned_for_day(
        &settings.topics.value,
        rank_args.authors.as_deref(),
        !args.no_learned,
        &model_dir.fingerprint,
    )?;
    let unusable = learned.error.as_ref().map(|e| {
        let message = super::learned_unusable_text(e, &settings.topics.value);
        eprintln!(
            "daily: WARNING: ranking with the hand-set profile only, because the profile's \
             learned model cannot be used:\n{message}"
        );
        message
    });

    // 1. The day's listing.
    let (listing, date) = match &args.listing {
        Some(path) => {
            let l = crate::ingest::read_listing(path, &Default::default())?;
            let date = l.date.ok_or_else(|| {
                CliError::Usage(format!("{}: the listing names no day", path.display()))
            })?;
            (path.clone(), date)
        }
        None => {
            let dir = settings.listings.value.clone();
            let mut fetcher = args.net.fetcher(&settings, &dir)?;
            match fetcher.fetch_rss(&settings.categories.value)? {
                Fetched::Saved { path, date, papers } => {
                    eprintln!(
                        "daily: fetched {date}: {papers} papers -> {}",
                        path.display()
                    );
                    (path, date)
                }
                Fetched::NotModified { path, date, papers } => {
                    eprintln!(
                        "daily: the feed has not changed since the last fetch ({date}, {papers} papers)"
                    );
                    (path, date)
                }
                Fetched::NoAnnouncements { date, .. } => {
                    eprintln!(
                        "daily: no papers today: arXiv announced nothing in {}{}; nothing to rank",
                        settings.categories.value.join(", "),
                        date.map_or(String::new(), |d| format!(" on {d}"))
                    );
                    return Ok(EXIT_NO_PAPERS);
                }
            }
        }
    };
    let out = &settings.out.value;
    let day_dir = out.join(&date);
    let mut changed = false;

    // 2. The digest, unless this very listing was ranked already with this profile and
    // learned model.
    let ranked = Ranked {
        listing: listing.clone(),
        listing_sha256: sha256_file(&listing).map_err(IoError::read(&listing))?,
    };
    let marker = day_dir.join(RANKED_FILE);
    let same_listing = fs_err::read_to_string(&marker)
        .ok()
        .and_then(|t| serde_json::from_str::<Ranked>(&t).ok())
        .is_some_and(|r| r.listing_sha256 == ranked.listing_sha256);
    let run_json = day_dir.join("run.json");
    let ranked_with = run_json
        .is_file()
        .then(|| crate::render::read_run_json(&run_json).ok())
        .flatten()
        .map(|r| r.ranked_with);
    let stale = match (&ranked_with, same_listing) {
        (None, _) | (_, false) => None,
        (Some(Some(w)), true) => (w.profile_sha256 != learned.ranked_with.profile_sha256
            || w.learned_sha256 != learned.ranked_with.learned_sha256)
            .then(|| {
                format!(
                    "it was ranked with {}, and now it is {}",
                    w.learned, learned.ranked_with.learned
                )
            }),
        (Some(None), true) => Some("its digest does not say what it was ranked with".into()),
    };
    let done = same_listing && ranked_with.is_some() && stale.is_none();
    if done && !args.force {
        eprintln!("daily: {date} is already ranked from this listing; not ranking it again");
    } else {
        if done {
            eprintln!("daily: {date}: ranking it again (--force)");
        } else if let Some(why) = &stale {
            eprintln!(
                "daily: {date}: ranking it again: the profile or its learned model changed ({why})"
            );
        }
        let rank_args = RankArgs {
            listing: listing.clone(),
            ..rank_args
        };
        // The profile and the model's files were checked above; only the day is new.
        let (listing, date, date_from) = super::rank::read_day(&rank_args)?;
        let checked = super::rank::Checked {
            listing,
            profile,
            date,
            date_from,
            model_dir,
        };
        let learned = match learned.error {
            Some(_) => LearnedForDay {
                model: None,
                error: None,
                ..learned
            },
            None => learned,
        };
        super::rank::rank_checked(&rank_args, checked, learned, threads, start)?;
        let text = serde_json::to_string_pretty(&ranked).expect("serialises");
        write_atomic(&marker, text.as_bytes())?;
        changed = true;
    }

    // 3. The site, when the digests changed or it is missing.
    let site = &settings.site.value;
    if changed || !site.join("index.html").is_file() {
        super::site::build(
            out,
            site,
            crate::site::DEFAULT_LIST_FROM,
            &learn_command(&settings),
        )?;
        changed = true;
    }

    // 4. Delivery of what is still pending.
    let delivery = &settings.delivery.value;
    let mut code = 0;
    if args.no_deliver {
        if delivery.is_on() {
            eprintln!("daily: delivery skipped (--no-deliver); it stays pending");
        }
    } else {
        let outcome = deliver_day(&day_dir, delivery)?;
        for name in &outcome.sent {
            eprintln!("daily: delivered {date} by {name}");
            changed = true;
        }
        for e in &outcome.failed {
            eprintln!(
                "daily: delivery failed: {e}; the digest is kept and delivery is retried on the next run"
            );
            code = EXIT_DELIVERY_FAILED;
        }
    }
    if let Some(message) = &unusable {
        // Last, so it is what a cron mail or a log ends with.
        eprintln!(
            "daily: {date} was ranked with the hand-set profile only: the learned model cannot \
             be used (exit {EXIT_LEARNED_UNUSABLE}):\n{message}"
        );
        return Ok(EXIT_LEARNED_UNUSABLE);
    }
    if !changed && code == 0 {
        eprintln!(
            "daily: {date}: nothing to do: the digest, the site and any delivery are up to date"
        );
    } else if code == 0 {
        eprintln!(
            "daily: {date} done: {} and {}",
            day_dir.join("output.md").display(),
            site.join("index.html").display()
        );
    }
    Ok(code)
}

/// `rank`'s flags for the day as `daily` runs it.
fn rank_args(args: &DailyArgs, settings: &DailySettings, listing: PathBuf) -> RankArgs {
    RankArgs {
        listing,
        out: settings.out.value.clone(),
        topics: settings.topics.value.clone(),
        authors: settings.authors.as_ref().map(|a| a.value.clone()),
        model: ModelArgs {
            runtime: Runtime {
                models: super::ModelsDir {
                    models_dir: settings.models.value.clone(),
                },
                threads: args.runtime.threads,
            },
            model: settings.model.value.clone(),
            device: args.device,
            compute: args.compute,
        },
        format: Format::Auto,
        announce: vec![AnnounceType::New, AnnounceType::Cross],
        // The listing's own day.
        date: None,
        min_relevance: None,
        history: settings.history.value.clone(),
        no_append: false,
        no_history: false,
        no_learned: args.no_learned,
        show_profile: false,
    }
}

/// The command that trains the profile on the site's exported feedback, with the paths
/// `daily` uses, for the site's hint.
pub fn learn_command(settings: &DailySettings) -> String {
    format!(
        "arxrank learn --feedback ~/Downloads/feedback.jsonl --topics {} --digests {} --history {}",
        super::site::shown(&settings.topics.value),
        super::site::shown(&settings.out.value),
        super::site::shown(&settings.history.value),
    )
}
