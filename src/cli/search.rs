//! `arxrank search`: the history's papers nearest to a query, a line each.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, ModelArgs};
use crate::embed::Embedder;
use crate::history::History;
use crate::pipeline::search::{line, search};

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// What to look for, in words: a topic, a title, an abstract.
    pub query: String,

    /// How many papers to print, nearest first.
    #[arg(long, default_value_t = 10)]
    pub k: usize,

    /// History root (as `rank --history`): the papers searched are the model's history in it.
    #[arg(long, env = "ARXRANK_HISTORY", default_value_os_t = crate::config::defaults().history().value)]
    pub history: PathBuf,

    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: SearchArgs) -> Result<(), CliError> {
    super::threads::init_threads(args.model.runtime.threads);
    let (_, mut embedder) = args.model.load()?;
    let history = History::open_under(&args.history, embedder.fingerprint(), embedder.dim())?;
    if history.is_empty() {
        eprintln!(
            "search: the history {} holds no papers yet (rank a day or backfill first)",
            history.dir().display()
        );
    }
    for n in search(&mut embedder, &history, &args.query, args.k)? {
        println!("{}", line(&n));
    }
    Ok(())
}
