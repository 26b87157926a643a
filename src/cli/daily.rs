//! `arxrank daily`: the flags of the daily job ([`crate::daily`]), resolved with
//! `arxrank.toml` into its settings.

use std::path::PathBuf;

use clap::Args;

use super::fetch::NetArgs;
use super::SettingsModel;
use super::{CliError, Console};
use crate::config::DailyOverrides;
use crate::daily::DailyJob;

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

    #[command(flatten)]
    pub model: SettingsModel,

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

pub fn run(args: DailyArgs, threads: usize) -> Result<u8, CliError> {
    let mut settings = args.net.settings(DailyOverrides {
        topics: args.topics.clone(),
        authors: args.authors.clone(),
        out: args.out.clone(),
        site: args.site.clone(),
        history: args.history.clone(),
        listings: args.listings.clone(),
        model: args.model.model.clone(),
        ..Default::default()
    })?;
    args.model.models_over(&mut settings);
    if args.show_config {
        print!("{settings}");
        return Ok(0);
    }
    let job = DailyJob {
        settings: &settings,
        listing: args.listing.clone(),
        retries: args.net.retries,
        device: args.model.device,
        compute: args.model.compute,
        threads,
        deliver: !args.no_deliver,
        use_learned: !args.no_learned,
        force: args.force,
    };
    Ok(crate::daily::run(&job, &mut Console)?)
}
