//! `arxrank history stats|verify|export|synthesize`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Subcommand;

use super::CliError;
use crate::embed::{ModelManifest, DEFAULT_MODEL};
use crate::history::synthetic::{fill, Synthetic};
use crate::history::{History, StoragePrecision};

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Papers, segments, date range, size on disk and index coverage of a model's history.
    Stats {
        #[command(flatten)]
        at: At,
        /// Print JSON instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Hash every file of the history against its manifest (opening only checks sizes, and
    /// hashes the files whose size or modification time changed since they were verified).
    Verify {
        #[command(flatten)]
        at: At,
    },
    /// Write every paper of a history with its vector, as JSON lines (`id`, `date`,
    /// `title`, `embedding`), in the order they were added: to compare two histories or to
    /// hand the vectors to other tools.
    Export {
        #[command(flatten)]
        at: At,
        /// Where the JSON lines go (written atomically).
        #[arg(long)]
        out: PathBuf,
    },
    /// Append N synthetic papers (clustered unit vectors, the default model's fingerprint) to
    /// a history, to try `rank` at a scale no real backfill here reaches. For benchmarks.
    #[command(hide = true)]
    Synthesize {
        /// Papers to add.
        n: usize,
        #[command(flatten)]
        at: At,
        /// How the vectors are stored (f16 halves disk and memory traffic).
        #[arg(long, value_enum, default_value = "f16")]
        precision: StoragePrecision,
        /// Seed of the vector stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Papers per segment.
        #[arg(long, default_value_t = 100_000)]
        segment: usize,
    },
}

/// Which history: its root and the model whose fingerprint names its folder.
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
    pub models: super::ModelsDir,
}

impl At {
    fn open(&self) -> Result<History, CliError> {
        let manifest = ModelManifest::for_spec(&self.model, &self.models.models_dir)?;
        let fingerprint = manifest.fingerprint();
        let dir = History::dir_for(&self.history, &fingerprint);
        // all-MiniLM-L6-v2's width for a history not started yet (synthesize).
        let dim = History::stored_dim(&dir)?.unwrap_or(384);
        Ok(History::open(&dir, &fingerprint, dim)?)
    }
}

pub fn run(cmd: HistoryCommand) -> Result<(), CliError> {
    match cmd {
        HistoryCommand::Stats { at, json } => {
            let h = at.open()?;
            let s = h.stats()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&s).expect("serialises"));
            } else {
                println!("history   {}", h.dir().display());
                println!("papers    {}", s.papers);
                println!("segments  {}", s.segments);
                println!("stored as {}", s.precision);
                println!(
                    "days      {} to {}",
                    s.first_day.as_deref().unwrap_or("-"),
                    s.last_day.as_deref().unwrap_or("-")
                );
                println!("on disk   {:.1} MB", s.bytes_on_disk as f64 / 1e6);
                println!(
                    "index     {} of {} papers{}",
                    s.index_rows,
                    s.papers,
                    if s.index_rows == 0 {
                        " (exact search)"
                    } else {
                        ""
                    }
                );
            }
        }
        HistoryCommand::Verify { at } => {
            let start = Instant::now();
            let mut h = at.open()?;
            let files = h.verify()?;
            eprintln!(
                "verified {files} files of {} ({} papers) in {:.1} s: every checksum matches",
                h.dir().display(),
                h.len(),
                start.elapsed().as_secs_f64()
            );
        }
        HistoryCommand::Export { at, out } => {
            let h = at.open()?;
            crate::fsutil::write_atomic_with(&out, |w| h.export(w).map(drop))?;
            eprintln!(
                "exported {} papers of {} to {}",
                h.len(),
                h.dir().display(),
                out.display()
            );
        }
        HistoryCommand::Synthesize {
            n,
            at,
            precision,
            seed,
            segment,
        } => {
            let start = Instant::now();
            let mut h = at.open()?;
            if h.is_empty() {
                h.set_precision(precision)?;
            }
            let first = h.len();
            let mut gen = Synthetic::new(seed.wrapping_add(first as u64), 384);
            fill(&mut h, &mut gen, first, n, segment, |done| {
                eprint!("\rsynthesize: {done} of {n} papers");
            })?;
            eprintln!(
                "\nsynthesize: {} synthetic papers in {} ({}), {:.1} s",
                h.len(),
                h.dir().display(),
                h.precision(),
                start.elapsed().as_secs_f64()
            );
            println!("{}", h.dir().display());
        }
    }
    Ok(())
}
