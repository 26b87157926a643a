//! `arxrank serve`: the site as a local web application ([`crate::serve`]), with the
//! settings `daily` resolves.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::SettingsModel;
use super::{CliError, Console};
use crate::config::{DailyOverrides, DailySettings};
use crate::embed::ModelDir;
use crate::serve::ServedProfile;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on. Any address but loopback needs the access token
    /// printed in the URL.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// Settings file (as `daily --config`).
    #[arg(long, env = "ARXRANK_CONFIG")]
    pub config: Option<PathBuf>,

    /// Profile (as `daily --topics`): its learned model is what `daily` retrains on the marks.
    #[arg(long, conflicts_with = "profile")]
    pub topics: Option<PathBuf>,

    /// Which `[[profile]]` of arxrank.toml to serve alone, at `/`: its digests, site pages
    /// and feedback log. Without it, a file with profiles has each served at `/<name>/`,
    /// its marks going to its own log, beside the overview across them at `/`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Digest folder (as `daily --out`).
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Site folder the pages are written to and served from (as `daily --site`).
    #[arg(long)]
    pub site: Option<PathBuf>,

    /// History root searched (as `daily --history`).
    #[arg(long)]
    pub history: Option<PathBuf>,

    /// The model that embeds the search box's words (as `daily`'s).
    #[command(flatten)]
    pub model: SettingsModel,
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    super::threads::init_threads(args.model.runtime.threads);
    let mut settings = DailySettings::resolve(
        DailyOverrides {
            topics: args.topics.clone(),
            out: args.out.clone(),
            site: args.site.clone(),
            history: args.history.clone(),
            model: args.model.model.clone(),
            ..Default::default()
        },
        args.config.as_deref(),
        crate::config::defaults(),
    )?;
    if let Some(name) = args.profile.as_deref() {
        settings = settings.pick_profile(Some(name))?;
    }
    args.model.models_over(&mut settings);
    let opts = crate::serve::Options {
        bind: args.bind,
        site: settings.site.value.clone(),
        profiles: served(&settings, args.profile.as_deref()),
        history: settings.history.value.clone(),
        model: ModelDir::resolve(&settings.model.value, &settings.models.value)?,
        device: args.model.device,
        compute: args.model.compute,
    };
    let bound = crate::serve::bind(&opts, &mut Console)?;
    // The URL alone on stdout, first, so a script can read where to go.
    println!("{}", bound.url());
    let _ = std::io::stdout().flush();
    eprintln!("serve: open {} (Ctrl-C stops it)", bound.url());
    Ok(bound.run()?)
}

/// Each profile the settings name (the one `--profile` picked keeps its name).
fn served(settings: &DailySettings, picked: Option<&str>) -> Vec<ServedProfile> {
    (settings.per_profile().into_iter())
        .map(|(name, s)| ServedProfile {
            name: name.or(picked).map(str::to_owned),
            learn_command: s.learn_command(),
            digests: s.out.value,
            site: s.site.value,
            log: s.feedback.value,
        })
        .collect()
}
