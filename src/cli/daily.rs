//! `arxrank daily`: fetch → rank (with history) → site → delivery, for cron.
//!
//! Each step is skipped when its result is already there for the day, so a second run on
//! the same day changes nothing and says so, and a run after a failure resumes where it
//! stopped (a failed delivery is retried, the digest is not ranked again).

use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};

use super::fetch::NetArgs;
use super::rank::RankArgs;
use super::site::SiteArgs;
use super::{CliError, ModelArgs, EXIT_DELIVERY_FAILED, EXIT_NO_PAPERS};
use crate::config::{DailyOverrides, Setting};
use crate::deliver::deliver_day;
use crate::embed::{ComputePrecision, DeviceKind};
use crate::fetch::Fetched;
use crate::fsutil::{sha256_file, write_atomic};
use crate::ingest::{AnnounceType, Format};
use crate::IoError;

#[derive(Debug, Args)]
pub struct DailyArgs {
    #[command(flatten)]
    pub net: NetArgs,

    /// Print the resolved settings and where each came from, then exit.
    #[arg(long)]
    pub show_config: bool,

    /// Profile (as `rank --topics`); default: arxrank.toml's, else ./topics, else the one
    /// `arxrank init` wrote.
    #[arg(long)]
    pub topics: Option<PathBuf>,

    /// gpt_paper_assistant-style authors.txt replacing the profile's author list.
    #[arg(long)]
    pub authors: Option<PathBuf>,

    /// Digest folder (one YYYY-MM-DD folder per day).
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Site folder; default: `<out>/site`.
    #[arg(long)]
    pub site: Option<PathBuf>,

    /// History root (novelty against earlier days; the day is added after its digest).
    #[arg(long)]
    pub history: Option<PathBuf>,

    /// Folder the fetched listings are saved in.
    #[arg(long)]
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

    /// Rank this listing file instead of fetching today's feed (e.g. a day `fetch --api`
    /// saved).
    #[arg(long)]
    pub listing: Option<PathBuf>,

    /// Skip delivery this run (it stays pending and goes out on the next run without this).
    #[arg(long)]
    pub no_deliver: bool,
}

/// `<out>/<date>/daily.json`: which listing the day's digest was ranked from.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Ranked {
    listing: PathBuf,
    listing_sha256: String,
}

const RANKED_FILE: &str = "daily.json";

pub fn run(args: DailyArgs, models_dir: &Path, threads: usize) -> Result<u8, CliError> {
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
    let layout_models = crate::config::defaults().models();
    if models_dir != layout_models.value {
        settings.models = Setting {
            value: models_dir.to_owned(),
            from: "flag or environment".into(),
        };
    }
    if args.show_config {
        print!("{settings}");
        return Ok(0);
    }

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

    // 2. The digest, unless this very listing was ranked already.
    let ranked = Ranked {
        listing: listing.clone(),
        listing_sha256: sha256_file(&listing).map_err(IoError::read(&listing))?,
    };
    let marker = day_dir.join(RANKED_FILE);
    let done = fs_err::read_to_string(&marker)
        .ok()
        .and_then(|t| serde_json::from_str::<Ranked>(&t).ok())
        .is_some_and(|r| r.listing_sha256 == ranked.listing_sha256)
        && day_dir.join("run.json").is_file();
    if done {
        eprintln!("daily: {date} is already ranked from this listing; not ranking it again");
    } else {
        super::rank::run(
            RankArgs {
                listing: listing.clone(),
                out: out.clone(),
                topics: settings.topics.value.clone(),
                authors: settings.authors.as_ref().map(|a| a.value.clone()),
                model: ModelArgs {
                    model: settings.model.value.clone(),
                    device: args.device,
                    compute: args.compute,
                },
                format: Format::Auto,
                announce: vec![AnnounceType::New, AnnounceType::Cross],
                // The listing's own day, as found above.
                date: None,
                min_relevance: None,
                history: settings.history.value.clone(),
                no_append: false,
                no_history: false,
                no_learned: false,
                show_profile: false,
            },
            models_dir,
            threads,
        )?;
        let text = serde_json::to_string_pretty(&ranked).expect("serialises");
        write_atomic(&marker, text.as_bytes())?;
        changed = true;
    }

    // 3. The site, when the digests changed or it is missing.
    let site = &settings.site.value;
    if changed || !site.join("index.html").is_file() {
        super::site::run(SiteArgs {
            digests: out.clone(),
            out: site.clone(),
            list_from: crate::site::DEFAULT_LIST_FROM,
        })?;
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
