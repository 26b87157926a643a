//! `arxrank site`: the digests of many days as a static website.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::site::{SiteOptions, DEFAULT_LIST_FROM};

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Folder of digests: the `--out` of `arxrank rank`, one YYYY-MM-DD folder per day
    /// holding its output.json, scores.json and run.json. Default: the digests `daily`
    /// writes, as it resolves them. With `[[profile]]` tables in the settings file, the
    /// folder holding each profile's digests (`<DIGESTS>/<name>/`).
    pub digests: Option<PathBuf>,

    /// Folder to write the site into: index.html, days/, months/ and assets/. Pages are
    /// replaced atomically; other files there are left alone. Default: `<DIGESTS>/site`, or
    /// `daily`'s site. With profiles: each profile's site in `<OUT>/<name>/` (or its own
    /// `site`), and the overview across them in `<OUT>/index.html`.
    pub out: Option<PathBuf>,

    /// Also list papers the digest did not select, down to this relevance (1-10). They stay
    /// hidden until the page's filter asks for them ("Digest picks only" off).
    #[arg(long, default_value_t = DEFAULT_LIST_FROM, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub list_from: u8,

    /// Settings file whose `out` and `site` are the defaults above, and whose `topics` and
    /// `history` the pages' "train on it" command names; default: ./arxrank.toml, else the
    /// one in the config directory.
    #[arg(long, env = "ARXRANK_CONFIG")]
    pub config: Option<PathBuf>,
}

pub fn run(args: SiteArgs) -> Result<(), CliError> {
    let settings = DailySettings::resolve(
        DailyOverrides {
            out: args.digests.clone(),
            site: args.out.clone(),
            ..Default::default()
        },
        args.config.as_deref(),
        defaults(),
    )?;
    let profiles = settings.profile_sites();
    if !profiles.is_empty() {
        let site = &settings.site.value;
        let list_from = args.list_from;
        return Ok(crate::site::build_profiles(
            site,
            &profiles,
            list_from,
            &mut super::Console,
        )?);
    }
    // A site built beside other digests than daily's names them in its learn command.
    let opts = SiteOptions::new(args.list_from, settings.learn_command(), None);
    Ok(crate::site::build(
        &settings.out.value,
        &settings.site.value,
        &opts,
        &mut super::Console,
    )?)
}
