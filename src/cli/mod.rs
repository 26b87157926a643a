//! The command line, as a library function so tests can call it.
//!
//! `main` parses flags and calls [`run`]; each subcommand lives in its own file. Data goes to
//! stdout (the paths written), diagnostics to stderr.

pub mod backfill;
pub mod daily;
pub mod embed;
pub mod eval;
pub mod fetch;
pub mod history;
pub mod init;
pub mod learn;
mod model;
pub mod rank;
pub mod site;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::embed::{
    BertEmbedder, ComputePrecision, DeviceKind, EmbedError, Embedder, ModelDir, DEFAULT_MODEL,
};
use crate::eval::EvalError;
use crate::history::{History, HistoryError};
use crate::ingest::IngestError;
use crate::learn::LearnError;
use crate::render::RenderError;
use crate::site::SiteError;
use crate::topics::TopicsError;

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
    /// Inspect or check a history: its size and extent, or every file's checksum.
    #[command(subcommand)]
    History(history::HistoryCommand),
    /// Install or check embedding models.
    #[command(subcommand)]
    Model(model::ModelCommand),
}

/// `daily`'s exit code when arXiv announced nothing (weekends, holidays).
pub const EXIT_NO_PAPERS: u8 = 3;
/// `daily`'s exit code when the digest was written but a delivery failed.
pub const EXIT_DELIVERY_FAILED: u8 = 4;
/// `daily`'s exit code when the digest was written with the hand-set profile because the
/// profile's learned model could not be used.
pub const EXIT_LEARNED_UNUSABLE: u8 = 5;

/// Where models live.
#[derive(Debug, Clone, clap::Args)]
pub struct ModelsDir {
    /// Directory holding model manifests (`<name>.toml`) and installed models (`<name>/`).
    #[arg(
        long,
        env = "ARXRANK_MODELS_DIR",
        default_value_os_t = crate::config::defaults().models().value
    )]
    pub models_dir: PathBuf,
}

/// The flags of every command that runs the model: where models live and how many threads.
#[derive(Debug, Clone, clap::Args)]
pub struct Runtime {
    #[command(flatten)]
    pub models: ModelsDir,

    /// Worker threads for tokenising and the model's matrix work. Defaults to every
    /// logical CPU; candle alone would use physical cores only.
    #[arg(long, env = "ARXRANK_THREADS")]
    pub threads: Option<usize>,
}

impl Runtime {
    pub fn models_dir(&self) -> &std::path::Path {
        &self.models.models_dir
    }
}

/// The model flags every embedding command shares.
#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    #[command(flatten)]
    pub runtime: Runtime,

    /// Embedding model: a manifest name under --models-dir, or a model directory.
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: String,

    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,

    /// Arithmetic of the encoder. CPU: f32 (default) or int16 (faster on AVX2 CPUs, ranks
    /// the labelled pools like f32; README, "Embedding speed"). CUDA: f16 (default), bf16
    /// or f32. All share one history. (Not `--precision`: backfill uses that name for how
    /// the history stores its vectors.)
    #[arg(long, value_enum, value_name = "PRECISION")]
    pub compute: Option<ComputePrecision>,
}

impl ModelArgs {
    /// Finds and verifies the model's files (its fingerprint, without loading it).
    pub fn resolve(&self) -> Result<ModelDir, EmbedError> {
        ModelDir::resolve(&self.model, self.runtime.models_dir())
    }

    /// Loads a model found by [`ModelArgs::resolve`].
    pub fn load_dir(&self, dir: &ModelDir) -> Result<BertEmbedder, EmbedError> {
        let precision = self
            .compute
            .unwrap_or_else(|| ComputePrecision::default_for(self.device));
        let engine = BertEmbedder::default_engine(self.device, precision)?;
        BertEmbedder::load_with(dir, self.device, engine)
    }

    /// Finds, verifies and loads the model.
    pub fn load(&self) -> Result<(ModelDir, BertEmbedder), EmbedError> {
        let dir = self.resolve()?;
        let embedder = self.load_dir(&dir)?;
        Ok((dir, embedder))
    }
}

/// The embedding cache flags `eval` and `learn` share: one cache serves both, so a model
/// learned on sets that `eval` embedded embeds nothing again.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// Embedding cache (an arxrank history store, per model) so a rerun embeds nothing.
    #[arg(long, default_value_os_t = crate::config::defaults().cache().value)]
    pub cache: PathBuf,

    /// Embed everything afresh and store nothing.
    #[arg(long)]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The cache for `embedder`'s vectors, unless `--no-cache`.
    pub fn open(&self, embedder: &dyn Embedder) -> Result<Option<History>, HistoryError> {
        if self.no_cache {
            return Ok(None);
        }
        let fingerprint = embedder.fingerprint();
        History::open(
            &History::dir_for(&self.cache, fingerprint),
            fingerprint,
            embedder.dim(),
        )
        .map(Some)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// Boxed: it can carry an ingest or embed error of its own.
    #[error(transparent)]
    Eval(Box<EvalError>),
    #[error(transparent)]
    Io(#[from] crate::IoError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Deliver(#[from] crate::deliver::DeliverError),
    #[error("{0}")]
    Usage(String),
    /// The profile's learned model cannot be used; the message says how to go on.
    #[error("{source}\n{way_out}")]
    LearnedUnusable { source: LearnError, way_out: String },
}

/// The error for a learned model that cannot be used, with every way out: rank without it,
/// remove it, or train it again.
pub fn learned_unusable(source: LearnError, topics: &std::path::Path) -> CliError {
    CliError::LearnedUnusable {
        source,
        way_out: way_out(topics),
    }
}

/// [`learned_unusable`]'s message, for a command that goes on without the model.
pub fn learned_unusable_text(source: &LearnError, topics: &std::path::Path) -> String {
    format!("{source}\n{}", way_out(topics))
}

fn way_out(topics: &std::path::Path) -> String {
    format!(
        "  to rank without it: add --no-learned; to remove it: arxrank learn --reset --topics \
         {t}; to replace it: run arxrank learn --topics {t} again",
        t = topics.display()
    )
}

impl From<crate::pipeline::PipelineError> for CliError {
    fn from(e: crate::pipeline::PipelineError) -> Self {
        use crate::pipeline::PipelineError as P;
        match e {
            P::Ingest(e) => e.into(),
            P::Embed(e) => e.into(),
            P::History(e) => e.into(),
            P::Learn(e) => e.into(),
            P::Usage(m) => CliError::Usage(m),
        }
    }
}

impl From<crate::labels::LabelsError> for CliError {
    fn from(e: crate::labels::LabelsError) -> Self {
        EvalError::from(e).into()
    }
}

impl From<EvalError> for CliError {
    fn from(e: EvalError) -> Self {
        CliError::Eval(Box::new(e))
    }
}

impl CliError {
    /// 2 for bad input (the user can fix the file or the flags), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        // A file that is not UTF-8 (a topics file, labels, arxrank.toml) is malformed input
        // like any other, whichever reader found it.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = source {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
            {
                return 2;
            }
            source = e.source();
        }
        match self {
            CliError::Ingest(IngestError::Io(_)) => 1,
            CliError::Ingest(_)
            | CliError::Topics(TopicsError::Invalid { .. })
            | CliError::Embed(EmbedError::Unsupported(_))
            | CliError::Site(SiteError::Invalid { .. } | SiteError::Empty(_))
            | CliError::Usage(_) => 2,
            CliError::Learn(e) | CliError::LearnedUnusable { source: e, .. }
                if e.is_bad_input() =>
            {
                2
            }
            CliError::Config(crate::config::ConfigError::Invalid { .. })
            | CliError::Fetch(crate::fetch::FetchError::Usage(_)) => 2,
            CliError::Eval(e) => match **e {
                EvalError::Ingest(IngestError::Io(_)) => 1,
                EvalError::Label { .. }
                | EvalError::Invalid { .. }
                | EvalError::Usage(_)
                | EvalError::Topics(TopicsError::Invalid { .. })
                | EvalError::Ingest(_)
                | EvalError::Site(SiteError::Invalid { .. } | SiteError::Empty(_)) => 2,
                EvalError::Learn(ref l) if l.is_bad_input() => 2,
                EvalError::Labels(ref l) if l.is_bad_input() => 2,
                _ => 1,
            },
            _ => 1,
        }
    }
}

/// Sets the thread count for rayon and candle before either starts a pool.
fn init_threads(threads: Option<usize>) -> usize {
    let n = threads
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    // candle sizes its own pool from these variables on first use; rayon's global pool is
    // built here so tokenizers share the same count.
    std::env::set_var("RAYON_NUM_THREADS", n.to_string());
    std::env::set_var("CANDLE_NUM_THREADS", n.to_string());
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    n
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
        Command::Embed(args) => {
            init_threads(args.model.runtime.threads);
            embed::run(args)
        }
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
        Command::Daily(args) => {
            let threads = init_threads(args.runtime.threads);
            return daily::run(args, threads);
        }
    }
    .map(|()| 0)
}
