//! `arxrank fetch`: the day's listing from arXiv (RSS), or missed days (API).

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::Args;

use super::CliError;
use crate::config::{defaults, DailyOverrides, DailySettings};
use crate::fetch::{Fetched, Fetcher};

/// The network flags `fetch` and `daily` share.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// arXiv categories, comma-separated (e.g. cs.LG,cs.AI); default: arxrank.toml's, else
    /// cs.LG,cs.AI.
    #[arg(long, value_delimiter = ',')]
    pub categories: Option<Vec<String>>,

    /// Replace arXiv's host, for a mirror or a test server: RSS is read from
    /// `<base-url>/rss/<categories>`, the API from `<base-url>/api/query`.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// An e-mail address sent in the User-Agent, so arXiv can reach whoever runs the job;
    /// default: arxrank.toml's `contact`.
    #[arg(long)]
    pub contact: Option<String>,

    /// Further attempts after a server error (5xx, 429), a timeout or a cut connection.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,

    /// Settings file; default: ./arxrank.toml, else the one in the config directory.
    #[arg(long, env = "ARXRANK_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    #[command(flatten)]
    pub net: NetArgs,

    /// Folder to save listings in (`<date>.xml` from RSS, `<date>.jsonl` from the API);
    /// default: arxrank.toml's `listings`, else ./listings in a project, else the data
    /// directory's.
    #[arg(long)]
    pub out: Option<PathBuf>,

    /// Catch up on missed days through the arXiv API instead of today's RSS: every paper
    /// first submitted from --from to --to, one file per day (the API knows submission days,
    /// not announcement days).
    #[arg(long, requires = "from")]
    pub api: bool,

    /// First day for --api (YYYY-MM-DD).
    #[arg(long, requires = "api")]
    pub from: Option<NaiveDate>,

    /// Last day for --api (YYYY-MM-DD); default: --from.
    #[arg(long, requires = "api")]
    pub to: Option<NaiveDate>,

    /// Papers per API request (the API allows up to 2000; pages are 3 s apart).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u16).range(1..=2000))]
    pub page_size: u16,
}

impl NetArgs {
    /// The daily settings with these flags over arxrank.toml.
    pub fn settings(&self, extra: DailyOverrides) -> Result<DailySettings, CliError> {
        let overrides = DailyOverrides {
            categories: self.categories.clone(),
            contact: self.contact.clone(),
            base_url: self.base_url.clone(),
            ..extra
        };
        Ok(DailySettings::resolve(
            overrides,
            self.config.as_deref(),
            defaults(),
        )?)
    }

    /// A fetcher into the settings' listings folder, with their contact and host.
    pub fn fetcher(&self, settings: &DailySettings) -> Result<Fetcher, CliError> {
        Ok(crate::daily::fetcher(
            settings,
            self.retries,
            &mut super::Console,
        )?)
    }
}

pub fn run(args: FetchArgs) -> Result<(), CliError> {
    let settings = args.net.settings(DailyOverrides {
        listings: args.out.clone(),
        ..Default::default()
    })?;
    let mut fetcher = args.net.fetcher(&settings)?;
    let cats = &settings.categories.value;
    if args.api {
        return api(&args, &mut fetcher, cats);
    }
    match fetcher.fetch_rss(cats)? {
        Fetched::Saved { path, date, papers } => {
            eprintln!("fetch: {date}: {papers} papers saved");
            println!("{}", path.display());
        }
        Fetched::NotModified { path, date, papers } => {
            eprintln!(
                "fetch: not modified since the last fetch: {date}, {papers} papers, already saved"
            );
            println!("{}", path.display());
        }
        Fetched::NoAnnouncements { date, .. } => {
            eprintln!(
                "fetch: no papers today: arXiv announced nothing in {}{} (a weekend or holiday); \
                 nothing saved",
                cats.join(", "),
                date.map_or(String::new(), |d| format!(" on {d}"))
            );
        }
    }
    Ok(())
}

/// Missed days through the API: a file per day that had papers.
fn api(args: &FetchArgs, fetcher: &mut Fetcher, cats: &[String]) -> Result<(), CliError> {
    let from = args.from.expect("clap requires --from with --api");
    let to = args.to.unwrap_or(from);
    let days = fetcher.fetch_api(cats, from, to, usize::from(args.page_size))?;
    for (date, path, n) in days {
        match path {
            Some(p) => {
                eprintln!("fetch: {date}: {n} papers");
                println!("{}", p.display());
            }
            None => eprintln!("fetch: {date}: no papers submitted in {}", cats.join(", ")),
        }
    }
    Ok(())
}
