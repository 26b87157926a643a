//! The command line, as a library function so tests can call it.
//!
//! `main` parses flags and calls [`run`]; each subcommand lives in its own file. Data goes to
//! stdout (the paths written), diagnostics to stderr.

pub mod backfill;
pub mod daily;
pub mod embed;
pub mod eval;
pub mod feedback;
pub mod fetch;
pub mod history;
pub mod init;
pub mod learn;
mod model;
pub mod rank;
pub mod search;
pub mod serve;
pub mod site;

mod args;
mod error;
mod flatten;
mod threads;

use clap::{Parser, Subcommand};

pub use args::{At, CacheArgs, ModelArgs, ModelsDir, Runtime, SettingsModel};
pub use error::{learned_unusable, CliError};
use threads::init_threads;

#[derive(Debug, Parser)]
#[command(
    name = "arxrank",
    version,
    about = "Rank each day's new arXiv papers for you, locally, with sentence embeddings.",
    long_about = "Rank each day's new arXiv papers for you, locally.\n\n\
        arxrank embeds every paper's title and abstract with a sentence-embedding model \
        (all-MiniLM-L6-v2 by default) on your CPU or GPU, scores it against the topics, \
        keywords and authors of your profile, and writes a digest in the shape of \
        gpt_paper_assistant's: no remote LLM, no cost, the same result every run."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands in the order a reader meets them: set up, run the day, read and teach it,
/// then the tools for measuring and for bulk work.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up an installed arxrank: a starter profile and arxrank.toml in the config
    /// directory, the model in the data directory.
    Init(init::InitArgs),
    /// The daily job, for cron: fetch today's listing, rank it against the history, update
    /// the site, deliver the picks. Exit 0: done (or already done); 3: no papers today;
    /// 4: digest written but delivery failed (retried next run); 5: digest written with the
    /// hand-set profile because the learned model could not be used; 1/2: failed.
    Daily(daily::DailyArgs),
    /// Download today's arXiv listing (RSS) into the listings folder, politely and only
    /// when it changed; or, with --api, missed days through the arXiv API.
    Fetch(fetch::FetchArgs),
    /// Rank one day's listing and write its digest (output.md; output.json, the picks as
    /// gpt_paper_assistant writes them; scores.json, every scanned paper; run.json).
    Rank(rank::RankArgs),
    /// Write a static website from the digests of many days: a page per day with
    /// previous/next links, a filter and like / not-for-me buttons, monthly overviews, an
    /// index.
    Site(site::SiteArgs),
    /// Teach the profile: your likes and dislikes from the site move its scores; labelled
    /// days, a digest archive or your library train a ranker. Stored in
    /// `<topics>/learned/`, where `rank`, `daily` and `eval` use it.
    Learn(learn::LearnArgs),
    /// Compare rankers (the hybrid, its parts, BM25, random, the learned one, external
    /// scores) on labelled days: metrics with bootstrap intervals, plots, tuning and
    /// calibration.
    Eval(eval::EvalArgs),
    /// Embed a large corpus (JSONL or the Kaggle arXiv snapshot, streamed) into the
    /// history, resumably: a killed run picks up where its last checkpoint ended.
    Backfill(backfill::BackfillArgs),
    /// Embed texts (JSON lines) and write their vectors: to check a model or a device
    /// against another implementation, or to hand vectors to other tools.
    Embed(embed::EmbedArgs),
    /// The site as a local web application: mark papers (saved at once to the feedback
    /// log, which the next `daily` learns), search everything in the history, find papers
    /// like a card's.
    Serve(serve::ServeArgs),
    /// Find the history's papers nearest to a query: a line each, the arXiv id first, then
    /// the cosine, the day it was added on and the title.
    Search(search::SearchArgs),
    /// The feedback log: your marks, kept as you make them.
    #[command(subcommand)]
    Feedback(feedback::FeedbackCommand),
    /// Inspect or check a history: its size and extent, or every file's checksum.
    #[command(subcommand)]
    History(history::HistoryCommand),
    /// Install or check embedding models.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

/// `daily`'s exit codes besides 0, 1 and 2.
pub use crate::daily::{EXIT_DELIVERY_FAILED, EXIT_LEARNED_UNUSABLE, EXIT_NO_PAPERS};

/// The command line's [`Report`](crate::report::Report): notes to stderr, the paths of
/// written files to stdout.
pub struct Console;

impl crate::report::Report for Console {
    fn note(&mut self, line: &str) {
        eprintln!("{line}");
    }

    fn wrote(&mut self, path: &std::path::Path) {
        println!("{}", path.display());
    }
}

/// Runs a command; `Ok` carries the exit code (0 but for `daily`'s "no papers today",
/// "delivery failed" and "learned model unusable").
pub fn run(cli: Cli) -> Result<u8, CliError> {
    match cli.command {
        Command::Rank(args) => {
            let threads = init_threads(args.model.runtime.threads);
            rank::run(args, threads)
        }
        Command::Backfill(args) => {
            init_threads(args.model.runtime.threads);
            backfill::run(args)
        }
        Command::Embed(args) => embed::run(args),
        Command::Search(args) => search::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Eval(args) => {
            let threads = init_threads(args.model.runtime.threads);
            eval::run(args, threads)
        }
        Command::Learn(args) => {
            init_threads(args.model.runtime.threads);
            learn::run(args)
        }
        Command::Model(cmd) => model::run(cmd),
        Command::Site(args) => site::run(args),
        Command::Fetch(args) => fetch::run(args),
        Command::Init(args) => init::run(args),
        Command::History(cmd) => history::run(cmd),
        Command::Feedback(cmd) => feedback::run(cmd),
        Command::Daily(args) => {
            let threads = init_threads(args.model.runtime.threads);
            return daily::run(args, threads);
        }
    }
    .map(|()| 0)
}
