//! `arxrank history stats|verify|export|synthesize`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;

use super::{At, CliError};
use crate::history::synthetic::{fill, Synthetic};
use crate::history::StoragePrecision;

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
pub fn run(cmd: HistoryCommand) -> Result<(), CliError> {
    match cmd {
        HistoryCommand::Stats { at, json } => stats(&at, json),
        HistoryCommand::Verify { at } => verify(&at),
        HistoryCommand::Export { at, out } => export(&at, &out),
        HistoryCommand::Synthesize {
            n,
            at,
            precision,
            seed,
            segment,
        } => synthesize(&at, n, precision, seed, segment),
    }
}

fn stats(at: &At, json: bool) -> Result<(), CliError> {
    let h = at.open()?;
    let s = h.stats()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&s).expect("serialises"));
    } else {
        println!("history   {}", h.dir().display());
        print!("{s}");
    }
    Ok(())
}

fn verify(at: &At) -> Result<(), CliError> {
    let start = Instant::now();
    let mut h = at.open()?;
    let files = h.verify()?;
    eprintln!(
        "verified {files} files of {} ({} papers) in {:.1} s: every checksum matches",
        h.dir().display(),
        h.len(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn export(at: &At, out: &Path) -> Result<(), CliError> {
    let h = at.open()?;
    crate::fsutil::write_atomic_with(out, |w| h.export(w).map(drop))?;
    eprintln!(
        "exported {} papers of {} to {}",
        h.len(),
        h.dir().display(),
        out.display()
    );
    Ok(())
}

fn synthesize(
    at: &At,
    n: usize,
    precision: StoragePrecision,
    seed: u64,
    segment: usize,
) -> Result<(), CliError> {
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
    Ok(())
}
