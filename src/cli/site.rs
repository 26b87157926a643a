//! `arxrank site`: the digests of many days as a static website.

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::site::{load_days, write_site, SiteOptions, DEFAULT_LIST_FROM};

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Folder of digests: the `--out` of `arxrank rank`, one YYYY-MM-DD folder per day
    /// holding its output.json, scores.json and run.json.
    pub digests: PathBuf,

    /// Folder to write the site into: index.html, days/, months/ and assets/. Pages are
    /// replaced atomically; other files there are left alone.
    pub out: PathBuf,

    /// Also list papers the digest did not select, down to this relevance (1-10). They stay
    /// hidden until the page's filter asks for them ("Digest picks only" off).
    #[arg(long, default_value_t = DEFAULT_LIST_FROM, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub list_from: u8,
}

pub fn run(args: SiteArgs) -> Result<(), CliError> {
    let loaded = load_days(&args.digests, |p| {
        p.arxrank.selected || p.relevance >= args.list_from
    })?;
    for dir in &loaded.skipped {
        eprintln!(
            "arxrank: skipped {}: no digest files (no digest was written for that day)",
            dir.display()
        );
    }
    let opts = SiteOptions {
        list_from: args.list_from,
    };
    let written = write_site(&loaded.days, &args.out, &opts)?;
    eprintln!(
        "arxrank: site written: day pages {}, monthly overviews {}",
        written.day_pages, written.month_pages
    );
    println!("{}", written.index.display());
    Ok(())
}
