//! `arxrank backfill`: a corpus of any size into the history, resumably.
//!
//! The input is streamed line by line and never held whole. Papers pass the filters, skip
//! what the history already holds, and are embedded `--checkpoint` at a time; each batch is
//! appended as one history segment, atomically. That append is the checkpoint: after a
//! `kill -9` the next run skips every committed paper by id and starts its next batch at the
//! first uncommitted one, so it embeds exactly the batches an uninterrupted run would have.

use std::collections::HashSet;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

use super::{CliError, ModelArgs};
use crate::embed::Embedder;
use crate::history::{History, Precision, ANN_MIN_ROWS};
use crate::ingest::{IngestError, JsonLines, Paper};

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
    #[arg(long, default_value = "history")]
    pub history: PathBuf,

    #[command(flatten)]
    pub model: ModelArgs,

    /// How a new history stores its vectors (f16 halves the disk). An existing history
    /// keeps the precision it was started with; asking for another one is an error.
    #[arg(long, value_enum)]
    pub precision: Option<Precision>,

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

/// What a backfill did, printed at the end (and written with `--summary`).
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Papers read from the input files.
    pub read: usize,
    /// Papers dropped by the date or category filters.
    pub filtered: usize,
    /// Papers the history already held (from an earlier run, or repeated in the input).
    pub known: usize,
    /// Papers embedded and stored by this run.
    pub added: usize,
    /// Lines skipped with `--skip-invalid`.
    pub invalid: usize,
    pub tokens: u64,
    pub embed_seconds: f64,
    pub wall_seconds: f64,
    pub abstracts_per_second: f64,
    pub history_papers: usize,
    pub indexed_papers: usize,
    pub history_dir: PathBuf,
}

struct Filter {
    from: Option<String>,
    to: Option<String>,
    categories: Vec<String>,
}

impl Filter {
    fn keeps(&self, p: &Paper) -> bool {
        if self.from.is_some() || self.to.is_some() {
            let Some(d) = p.date.as_deref() else {
                return false;
            };
            if self.from.as_deref().is_some_and(|f| d < f)
                || self.to.as_deref().is_some_and(|t| d > t)
            {
                return false;
            }
        }
        self.categories.is_empty()
            || p.categories.iter().any(|c| {
                self.categories.iter().any(|want| {
                    c == want || (c.starts_with(want.as_str()) && c[want.len()..].starts_with('.'))
                })
            })
    }
}

pub fn run(args: BackfillArgs, models_dir: &Path) -> Result<(), CliError> {
    let start = Instant::now();
    if let (Some(f), Some(t)) = (args.from, args.to) {
        if f > t {
            return Err(CliError::Usage(format!("--from {f} is after --to {t}")));
        }
    }
    let mut total_bytes = 0;
    for f in &args.files {
        let meta = fs_err::metadata(f).map_err(|source| IngestError::Io {
            path: f.clone(),
            source,
        })?;
        total_bytes += meta.len();
    }
    let filter = Filter {
        from: args.from.map(|d| d.to_string()),
        to: args.to.map(|d| d.to_string()),
        categories: args.categories.clone(),
    };
    let (model_dir, mut embedder) = args.model.load(models_dir)?;
    let dir = History::dir_for(&args.history, embedder.fingerprint());
    let mut history = History::open_for_append(&dir, embedder.fingerprint(), embedder.dim())?;
    if let Some(p) = args.precision {
        history.set_precision(p)?;
    }
    eprintln!(
        "backfill into {} ({} papers already, {} vectors), {} per checkpoint, {} on {:?}",
        dir.display(),
        history.len(),
        history.precision(),
        args.checkpoint,
        model_dir.manifest.name,
        args.model.device
    );

    let bar = ProgressBar::new(total_bytes).with_style(
        ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} read, {msg} [{elapsed_precise}, ETA {eta}]",
        )
        .expect("valid template"),
    );
    let mut run = Run {
        args: &args,
        history: &mut history,
        embedder: &mut embedder,
        bar: &bar,
        pending: Vec::new(),
        pending_ids: HashSet::new(),
        summary: Summary::default(),
        embed_start: Instant::now(),
    };
    let outcome = run.read_all(&filter);
    // Whatever stopped the run, the papers already embedded are kept.
    let flushed = run.flush();
    let mut summary = std::mem::take(&mut run.summary);
    bar.finish_and_clear();
    outcome?;
    flushed?;

    let indexed_now = history.build_index(args.ann_min_rows)?;
    if indexed_now > 0 {
        eprintln!("ANN index: +{indexed_now} papers");
    }
    summary.wall_seconds = start.elapsed().as_secs_f64();
    summary.abstracts_per_second = summary.added as f64 / summary.embed_seconds.max(1e-9);
    summary.tokens = embedder.tokens_processed();
    summary.history_papers = history.len();
    summary.indexed_papers = history.index_rows()?;
    summary.history_dir = dir;
    println!(
        "backfill: {} read, {} filtered out, {} already stored, {} added, {} invalid skipped\n\
         embedding: {} tokens, {:.1} abstracts/s, {:.1} s embedding, {:.1} s wall\n\
         history: {} papers ({} in the ANN index) in {}",
        summary.read,
        summary.filtered,
        summary.known,
        summary.added,
        summary.invalid,
        summary.tokens,
        summary.abstracts_per_second,
        summary.embed_seconds,
        summary.wall_seconds,
        summary.history_papers,
        summary.indexed_papers,
        summary.history_dir.display()
    );
    if let Some(path) = &args.summary {
        let mut json = serde_json::to_string_pretty(&summary).expect("summary serialises");
        json.push('\n');
        crate::fsutil::write_atomic(path, json.as_bytes()).map_err(|source| {
            crate::render::RenderError::Io {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(())
}

/// One backfill's moving parts: the batch being filled and the counters.
struct Run<'a> {
    args: &'a BackfillArgs,
    history: &'a mut History,
    embedder: &'a mut dyn Embedder,
    bar: &'a ProgressBar,
    pending: Vec<Paper>,
    pending_ids: HashSet<crate::ingest::PaperId>,
    summary: Summary,
    embed_start: Instant,
}

impl Run<'_> {
    fn read_all(&mut self, filter: &Filter) -> Result<(), CliError> {
        for path in &self.args.files {
            let file = fs_err::File::open(path).map_err(|source| IngestError::Io {
                path: path.clone(),
                source,
            })?;
            let reader = BufReader::with_capacity(1 << 20, self.bar.wrap_read(file));
            for item in JsonLines::new(path, reader) {
                let paper = match item {
                    Ok(p) => p,
                    Err(e @ IngestError::Io { .. }) => return Err(e.into()),
                    Err(e) if self.args.skip_invalid => {
                        self.summary.invalid += 1;
                        self.bar.suspend(|| eprintln!("skipped: {e}"));
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                };
                self.summary.read += 1;
                if !filter.keeps(&paper) {
                    self.summary.filtered += 1;
                    continue;
                }
                if self.history.get(&paper.id).is_some() || self.pending_ids.contains(&paper.id) {
                    self.summary.known += 1;
                    continue;
                }
                if self
                    .args
                    .limit
                    .is_some_and(|l| self.summary.added + self.pending.len() >= l)
                {
                    return Ok(());
                }
                self.pending_ids.insert(paper.id.clone());
                self.pending.push(paper);
                if self.pending.len() as u64 >= self.args.checkpoint {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    /// Embeds the pending batch and commits it as one segment. The batch is taken first:
    /// if embedding or the commit fails, the final flush after the error must not embed it
    /// a second time (a resumed run redoes it).
    fn flush(&mut self) -> Result<(), CliError> {
        let batch = std::mem::take(&mut self.pending);
        self.pending_ids.clear();
        if batch.is_empty() {
            return Ok(());
        }
        let t = Instant::now();
        let vectors = super::rank::embed_papers(self.embedder, &batch)?;
        self.summary.embed_seconds += t.elapsed().as_secs_f64();
        let rows = super::rank::history_rows(&batch, &vectors, None);
        let added = self.history.append(&rows)?;
        self.summary.added += added;
        let rate = self.summary.added as f64 / self.summary.embed_seconds.max(1e-9);
        let line = format!(
            "checkpoint: +{added}, {} added this run, {} in the history ({rate:.1} abstracts/s, {:.0} s)",
            self.summary.added,
            self.history.len(),
            self.embed_start.elapsed().as_secs_f64()
        );
        self.bar.set_message(format!(
            "{} added, {rate:.1} abstracts/s",
            self.summary.added
        ));
        self.bar.suspend(|| eprintln!("{line}"));
        Ok(())
    }
}
