//! `arxrank site`: the digests of many days as a static website.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::site::DEFAULT_LIST_FROM;

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Folder of digests: the `--out` of `arxrank rank`, one YYYY-MM-DD folder per day
    /// holding its output.json, scores.json and run.json. Default: the digests `daily`
    /// writes, as it resolves them.
    pub digests: Option<PathBuf>,

    /// Folder to write the site into: index.html, days/, months/ and assets/. Pages are
    /// replaced atomically; other files there are left alone. Default: `<DIGESTS>/site`, or
    /// `daily`'s site.
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
    // A site built beside other digests than daily's names them in its learn command.
    Ok(crate::site::build(
        &settings.out.value,
        &settings.site.value,
        args.list_from,
        &settings.learn_command(),
        &mut super::Console,
    )?)
}
