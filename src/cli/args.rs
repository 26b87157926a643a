//! The flags several commands share: where models live, threads, the model, the cache.

use std::path::PathBuf;

use super::CliError;
use crate::embed::ModelManifest;
use crate::embed::{
    BertEmbedder, ComputePrecision, DeviceKind, EmbedError, Embedder, ModelDir, DEFAULT_MODEL,
};
use crate::history::{History, HistoryError};

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
        BertEmbedder::load_for(dir, self.device, self.compute)
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
        History::open_under(&self.cache, embedder.fingerprint(), embedder.dim()).map(Some)
    }
}

/// The model flags of the commands that run with `arxrank.toml`'s settings (`daily`,
/// `serve`): the model is a setting there, so the flag only overrides the file's.
#[derive(Debug, clap::Args)]
pub struct SettingsModel {
    /// Embedding model: a manifest name under --models-dir, or a model directory.
    #[arg(long)]
    pub model: Option<String>,

    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,

    /// Arithmetic of the encoder (as `rank --compute`).
    #[arg(long, value_enum, value_name = "PRECISION")]
    pub compute: Option<ComputePrecision>,

    #[command(flatten)]
    pub runtime: Runtime,
}

impl SettingsModel {
    /// `settings` with a models folder given by flag or environment in place of the
    /// file's.
    pub fn models_over(&self, settings: &mut crate::config::DailySettings) {
        let models_dir = self.runtime.models_dir().to_owned();
        if models_dir != crate::config::defaults().models().value {
            settings.models = crate::config::Setting {
                value: models_dir,
                from: "flag or environment".into(),
            };
        }
    }
}

/// Which history a `history` subcommand reads: its root and the model it belongs to.
#[derive(Debug, clap::Args)]
pub struct At {
    /// History root (as `rank --history`).
    #[arg(long, env = "ARXRANK_HISTORY", default_value_os_t = crate::config::defaults().history().value)]
    pub history: PathBuf,

    /// Model whose history it is: a manifest name under --models-dir (the files need not be
    /// installed; the manifest names the fingerprint), or a model directory.
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: String,

    #[command(flatten)]
    pub models: ModelsDir,
}

impl At {
    pub(super) fn open(&self) -> Result<History, CliError> {
        let manifest = ModelManifest::for_spec(&self.model, &self.models.models_dir)?;
        let fingerprint = manifest.fingerprint();
        let dir = History::dir_for(&self.history, &fingerprint);
        // all-MiniLM-L6-v2's width for a history not started yet (synthesize).
        let dim = History::stored_dim(&dir)?.unwrap_or(384);
        Ok(History::open(&dir, &fingerprint, dim)?)
    }
}
