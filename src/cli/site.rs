//! `arxrank site`: the digests of many days as a static website.

use std::path::{Path, PathBuf};

use clap::Args;

use super::CliError;
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::site::{load_days, write_site, SiteOptions, DEFAULT_LIST_FROM};

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
    let command = super::daily::learn_command(&settings);
    build(
        &settings.out.value,
        &settings.site.value,
        args.list_from,
        &command,
    )
}

/// Builds the site of the digests in `digests` into `out`.
pub fn build(
    digests: &Path,
    out: &Path,
    list_from: u8,
    learn_command: &str,
) -> Result<(), CliError> {
    let loaded = load_days(digests, |p| p.arxrank.selected || p.relevance >= list_from)?;
    for dir in &loaded.skipped {
        eprintln!(
            "arxrank: skipped {}: no digest files (no digest was written for that day)",
            dir.display()
        );
    }
    let opts = SiteOptions {
        list_from,
        learn_command: learn_command.to_owned(),
    };
    let written = write_site(&loaded.days, out, &opts)?;
    eprintln!(
        "arxrank: site written: day pages {}, monthly overviews {}",
        written.day_pages, written.month_pages
    );
    println!("{}", written.index.display());
    Ok(())
}

/// A path as a reader types it: absolute, with the home directory as `~`, so a command
/// shown on a page works from anywhere and a published page does not spell out whose home
/// it was built in.
pub fn shown(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let plain = abs.display().to_string();
    // A path the shell would split or expand is quoted whole, absolute (`~` does not expand
    // inside quotes).
    if plain.contains(|c: char| c.is_whitespace() || "'\"$`\\*?[]{}&;|<>()!#".contains(c)) {
        return format!("'{}'", plain.replace('\'', r"'\''"));
    }
    let home = crate::config::home_dir();
    match home.as_deref().and_then(|h| abs.strip_prefix(h).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => plain,
    }
}
