//! `arxrank backfill`: a corpus of any size into the history, resumably (the work is
//! [`crate::pipeline::backfill`]; this file parses flags and shows progress).

use std::path::PathBuf;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;

mod progress;

use super::{CliError, ModelArgs};
use crate::embed::Embedder;
use crate::history::{History, StoragePrecision, ANN_MIN_ROWS};
use crate::pipeline::backfill::{self, Filter, Options};
use progress::{progress_bar, show_progress};

#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// JSON-lines files, read in order: arxrank's schema, the labelled pools, or the Kaggle
    /// arxiv-metadata-oai-snapshot dump (several GB is fine: it is streamed).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Keep papers dated on or after this day (YYYY-MM-DD; the first version's date for
    /// the Kaggle dump). Papers without a date are dropped when a date filter is set.
    #[arg(long)]
    pub from: Option<NaiveDate>,

    /// Keep papers dated on or before this day (YYYY-MM-DD).
    #[arg(long)]
    pub to: Option<NaiveDate>,

    /// Keep papers listed in any of these categories, primary or cross-list
    /// (comma-separated; an archive such as `cs` or `astro-ph` matches all its subjects).
    #[arg(long, value_delimiter = ',')]
    pub categories: Vec<String>,

    /// History root; papers go to `<history>/<model fingerprint>/`.
    #[arg(long, env = "ARXRANK_HISTORY", default_value_os_t = crate::config::defaults().history().value)]
    pub history: PathBuf,

    #[command(flatten)]
    pub model: ModelArgs,

    /// How a new history stores its vectors (f16 halves the disk). An existing history
    /// keeps the precision it was started with; asking for another one is an error.
    #[arg(long, value_enum)]
    pub precision: Option<StoragePrecision>,

    /// Papers per checkpoint. Each checkpoint is one atomic history segment; a killed run
    /// loses at most this many papers' embedding work.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..))]
    pub checkpoint: u64,

    /// Stop after embedding this many new papers (the rest is left for a later run).
    #[arg(long)]
    pub limit: Option<usize>,

    /// Skip lines that are not valid papers (malformed JSON, a missing title, abstract or
    /// authors) and count them, instead of stopping at the first one.
    #[arg(long)]
    pub skip_invalid: bool,

    /// Build or extend the ANN index at the end once the history holds this many papers.
    #[arg(long, default_value_t = ANN_MIN_ROWS)]
    pub ann_min_rows: usize,

    /// Also write the summary as JSON to this file.
    #[arg(long)]
    pub summary: Option<PathBuf>,
}

pub fn run(args: BackfillArgs) -> Result<(), CliError> {
    let start = Instant::now();
    if let (Some(f), Some(t)) = (args.from, args.to) {
        if f > t {
            return Err(CliError::Usage(format!("--from {f} is after --to {t}")));
        }
    }
    let total_bytes = backfill::input_bytes(&args.files)?;
    let (model_dir, mut embedder) = args.model.load()?;
    let mut history = open_history(&args, &embedder, &model_dir.manifest.name)?;
    let bar = progress_bar(total_bytes);
    let outcome = backfill::run(
        &args.files,
        &filter(&args),
        &options(&args),
        &mut history,
        &mut embedder,
        &mut show_progress(&bar),
    );
    bar.finish_and_clear();
    let mut summary = outcome?;
    summary.wall_seconds = start.elapsed().as_secs_f64();
    println!("{summary}");
    if let Some(path) = &args.summary {
        let mut json = serde_json::to_string_pretty(&summary).expect("summary serialises");
        json.push('\n');
        crate::render::write_atomic(path, json.as_bytes())?;
    }
    Ok(())
}

/// The model's history under `--history`, opened to append, in `--precision` when new.
fn open_history(
    args: &BackfillArgs,
    embedder: &dyn Embedder,
    model: &str,
) -> Result<History, CliError> {
    let dir = History::dir_for(&args.history, embedder.fingerprint());
    let mut history = History::open_for_append(&dir, embedder.fingerprint(), embedder.dim())?;
    if let Some(p) = args.precision {
        history.set_precision(p)?;
    }
    eprintln!(
        "backfill into {} ({} papers already, {} vectors), {} per checkpoint, {model} on {:?}",
        dir.display(),
        history.len(),
        history.precision(),
        args.checkpoint,
        args.model.device
    );
    Ok(history)
}

fn filter(args: &BackfillArgs) -> Filter {
    Filter {
        from: args.from.map(crate::ingest::Day::from),
        to: args.to.map(crate::ingest::Day::from),
        categories: args.categories.clone(),
    }
}

fn options(args: &BackfillArgs) -> Options {
    Options {
        checkpoint: usize::try_from(args.checkpoint).unwrap_or(usize::MAX),
        limit: args.limit,
        skip_invalid: args.skip_invalid,
        ann_min_rows: args.ann_min_rows,
    }
}
