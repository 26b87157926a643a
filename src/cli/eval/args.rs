//! `arxrank eval`'s flags.

use std::path::PathBuf;

use clap::Args;

use crate::cli::{CacheArgs, ModelArgs};
use crate::eval::run::RankerKind;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled pools (JSON lines with a `label` per paper, as in labelled/).
    pub sets: Vec<PathBuf>,

    /// A listing to judge with the `--labels` file of the same position (any format
    /// `rank` reads); adds one set per pair.
    #[arg(long)]
    pub listing: Vec<PathBuf>,

    /// gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant `output.json` whose papers count
    /// as selected in the `--listing` of the same position.
    #[arg(long)]
    pub labels: Vec<PathBuf>,

    /// Profile for the sets: once for all of them, or once per set in order (pools first,
    /// then listings).
    #[arg(long, default_values_os_t = [crate::config::defaults().topics().value])]
    pub topics: Vec<PathBuf>,

    /// Rankers to compare (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "hybrid,embedding-only,keyword-only,bm25,random"
    )]
    pub rankers: Vec<RankerKind>,

    /// Another ranker's scores as NAME=FILE: JSON keyed by arXiv id (numbers, or
    /// objects with score / RELEVANCE, so a digest's `scores.json` or `output.json` works) or JSON lines with `id`
    /// and `score`. Repeatable.
    #[arg(long, value_parser = parse_external)]
    pub external: Vec<(String, PathBuf)>,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Where eval.md, eval.json and the per-set plots and scores go.
    #[arg(long, short, default_value = "eval-out")]
    pub out: PathBuf,

    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,

    /// Seed for the bootstrap and the random ranker.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Search the profile's weights with leave-one-day-out cross-validation and report
    /// held-out figures (needs a set with at least two days).
    #[arg(long)]
    pub tune: bool,

    /// Replay each set day by day from a cold start (the hand-set profile) as a reader
    /// would mark it: each day the current model ranks, the reader marks the digest's
    /// picks (and --ask more), the model retrains; the learning curve at 5, 10, 20, 30 and
    /// 40 days of marks, measured on the days that follow, goes into eval.json and eval.md.
    #[arg(long)]
    pub simulate_reader: bool,

    /// Measure one model per interest against one for all: each paper goes to the hand-set
    /// topic it is closest to; trained on the first half of each set's days, each topic's
    /// R@10 per day on the rest, for a mixed model, the topic's own model and the hand-set
    /// score (eval.json's `interests`, a table in eval.md).
    #[arg(long)]
    pub interests: bool,

    /// With --simulate-reader: the papers of the "Help arxrank learn" block the reader
    /// also marks each day.
    #[arg(long, default_value_t = 0, requires = "simulate_reader")]
    pub ask: usize,

    /// Fit the profile's 1-10 scale so the share of papers at relevance ≥ 8 matches the
    /// judge's selection rate on the set, and store it in the set's profile.toml.
    #[arg(long)]
    pub calibrate: bool,

    /// With --tune: also store the weights chosen on all days in the profile (the scale
    /// is then calibrated under them, so --calibrate is implied).
    #[arg(long, requires = "tune")]
    pub write_weights: bool,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Labelled pools to train the `learned` ranker on (only their days before the test
    /// days are used). Adds `learned` to the rankers.
    #[arg(long, value_name = "SET")]
    pub train: Vec<PathBuf>,

    /// Time-forward: test on each set's days from this day (YYYY-MM-DD) on, and train the
    /// `learned` ranker on its days before it (plus any --train sets). Adds `learned` to
    /// the rankers.
    #[arg(long, value_name = "DAY")]
    pub split_date: Option<chrono::NaiveDate>,

    /// Test on each set's days from this day on, and train the `learned` ranker on the
    /// --train sets only (a judge's or a prompt's labels carried to another): the sets' own
    /// earlier days are left out.
    #[arg(
        long,
        value_name = "DAY",
        conflicts_with = "split_date",
        requires = "train"
    )]
    pub test_from: Option<chrono::NaiveDate>,

    /// Measure the `learned` ranker by cross-validation grouped by day on each set itself:
    /// its days go round-robin into this many folds, and each fold is scored by a model
    /// trained on the others. Adds `learned` to the rankers.
    #[arg(
        long,
        value_name = "FOLDS",
        conflicts_with_all = ["split_date", "test_from", "train"],
        value_parser = clap::value_parser!(u16).range(2..)
    )]
    pub cv_folds: Option<u16>,
}

fn parse_external(s: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=FILE"))?;
    if name.is_empty() || file.is_empty() {
        return Err(format!("`{s}`: expected NAME=FILE"));
    }
    Ok((name.to_owned(), PathBuf::from(file)))
}
