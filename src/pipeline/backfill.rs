//! Backfill: a corpus of any size into the history, resumably.
//!
//! The input is streamed line by line and never held whole. Papers pass the filters, skip
//! what the history already holds, and are embedded `checkpoint` at a time; each batch is
//! appended as one history segment, atomically. That append is the checkpoint: after a
//! `kill -9` the next run skips every committed paper by id and starts its next batch at the
//! first uncommitted one, so it embeds exactly the batches an uninterrupted run would have.

use std::cell::Cell;
use std::collections::HashSet;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use serde::Serialize;

use super::{embed_papers, history_rows, PipelineError};
use crate::embed::Embedder;
use crate::fsutil::IoError;
use crate::history::History;
use crate::ingest::{Day, IngestError, JsonLines, Paper, PaperId};

/// Which papers of the corpus to keep.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Keep papers dated on or after this day.
    pub from: Option<Day>,
    /// Keep papers dated on or before this day.
    pub to: Option<Day>,
    /// Keep papers listed in any of these categories; an archive (`cs`) matches all its
    /// subjects (`cs.LG`). Empty keeps every category.
    pub categories: Vec<String>,
}

impl Filter {
    fn keeps(&self, p: &Paper) -> bool {
        if self.from.is_some() || self.to.is_some() {
            let Some(d) = p.date else {
                return false;
            };
            if self.from.is_some_and(|f| d < f) || self.to.is_some_and(|t| d > t) {
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

/// How a backfill batches and what it does with bad lines.
#[derive(Debug, Clone)]
pub struct Options {
    /// Papers per checkpoint (one history segment each).
    pub checkpoint: usize,
    /// Stop after embedding this many new papers.
    pub limit: Option<usize>,
    /// Count and skip lines that are not valid papers instead of stopping.
    pub skip_invalid: bool,
    /// Build or extend the ANN index at the end once the history holds this many papers.
    pub ann_min_rows: usize,
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

/// What a running backfill reports, for a progress display.
pub enum Event<'a> {
    /// This many more bytes of the input were read.
    Read(u64),
    /// A line was skipped (`skip_invalid`).
    Skipped(&'a IngestError),
    /// A batch was committed to the history.
    Checkpoint {
        added: usize,
        summary: &'a Summary,
        history_papers: usize,
        /// Seconds since embedding began.
        elapsed: f64,
    },
    /// This many papers were added to the ANN index at the end.
    Indexed(usize),
}

/// The total size of the input files, for a progress bar; also checks they can be read
/// before the model is loaded.
pub fn input_bytes(files: &[PathBuf]) -> Result<u64, IngestError> {
    let mut total = 0;
    for f in files {
        total += fs_err::metadata(f).map_err(IoError::read(f))?.len();
    }
    Ok(total)
}

/// Streams `files` through the filter into `history`, then builds or extends its ANN index.
/// Whatever stops the run, the papers already embedded are committed first, so a rerun
/// resumes after them. The summary's `wall_seconds` is the caller's to fill in: only it
/// knows when the run began.
pub fn run(
    files: &[PathBuf],
    filter: &Filter,
    opts: &Options,
    history: &mut History,
    embedder: &mut dyn Embedder,
    on_event: &mut dyn FnMut(Event),
) -> Result<Summary, PipelineError> {
    let mut run = Run {
        opts,
        history: &mut *history,
        embedder: &mut *embedder,
        on_event: &mut *on_event,
        pending: Vec::new(),
        pending_ids: HashSet::new(),
        summary: Summary::default(),
        embed_start: Instant::now(),
    };
    let outcome = files.iter().try_for_each(|f| run.read_file(f, filter));
    // Whatever stopped the run, the papers already embedded are kept.
    let flushed = run.flush();
    let mut summary = std::mem::take(&mut run.summary);
    match outcome {
        Err(Stop::Failed(e)) => return Err(*e),
        Ok(()) | Err(Stop::Limit) => flushed?,
    }
    let indexed = history.build_index(opts.ann_min_rows)?;
    if indexed > 0 {
        on_event(Event::Indexed(indexed));
    }
    summary.abstracts_per_second = summary.added as f64 / summary.embed_seconds.max(1e-9);
    summary.tokens = embedder.tokens_processed();
    summary.history_papers = history.len();
    summary.indexed_papers = history.index_rows()?;
    summary.history_dir = history.dir().to_owned();
    Ok(summary)
}

/// Why reading ended early.
enum Stop {
    /// `limit` new papers are pending or stored.
    Limit,
    /// Boxed: the error is large and the happy path returns often.
    Failed(Box<PipelineError>),
}

impl<E: Into<PipelineError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(Box::new(e.into()))
    }
}

/// One backfill's moving parts: the batch being filled and the counters.
struct Run<'a> {
    opts: &'a Options,
    history: &'a mut History,
    embedder: &'a mut dyn Embedder,
    on_event: &'a mut dyn FnMut(Event<'_>),
    pending: Vec<Paper>,
    pending_ids: HashSet<PaperId>,
    summary: Summary,
    embed_start: Instant,
}

/// Counts the bytes read through it, so progress can be reported between lines.
struct Counted<R> {
    inner: R,
    bytes: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

impl Run<'_> {
    fn read_file(&mut self, path: &Path, filter: &Filter) -> Result<(), Stop> {
        let file =
            fs_err::File::open(path).map_err(|e| IngestError::from(IoError::read(path)(e)))?;
        let bytes = Rc::new(Cell::new(0));
        let reader = BufReader::with_capacity(
            1 << 20,
            Counted {
                inner: file,
                bytes: Rc::clone(&bytes),
            },
        );
        let mut reported = 0;
        for item in JsonLines::new(path, reader) {
            if bytes.get() > reported {
                (self.on_event)(Event::Read(bytes.get() - reported));
                reported = bytes.get();
            }
            let paper = match item {
                Ok(p) => p,
                Err(e @ IngestError::Io(_)) => return Err(e.into()),
                Err(e) if self.opts.skip_invalid => {
                    self.summary.invalid += 1;
                    (self.on_event)(Event::Skipped(&e));
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
                .opts
                .limit
                .is_some_and(|l| self.summary.added + self.pending.len() >= l)
            {
                return Err(Stop::Limit);
            }
            self.pending_ids.insert(paper.id.clone());
            self.pending.push(paper);
            if self.pending.len() >= self.opts.checkpoint {
                self.flush()?;
            }
        }
        (self.on_event)(Event::Read(bytes.get() - reported));
        Ok(())
    }

    /// Embeds the pending batch and commits it as one segment. The batch is taken first:
    /// if embedding or the commit fails, the final flush after the error must not embed it
    /// a second time (a resumed run redoes it).
    fn flush(&mut self) -> Result<(), PipelineError> {
        let batch = std::mem::take(&mut self.pending);
        self.pending_ids.clear();
        if batch.is_empty() {
            return Ok(());
        }
        let t = Instant::now();
        let vectors = embed_papers(self.embedder, &batch)?;
        self.summary.embed_seconds += t.elapsed().as_secs_f64();
        let added = self.history.append(&history_rows(&batch, &vectors, None))?;
        self.summary.added += added;
        (self.on_event)(Event::Checkpoint {
            added,
            summary: &self.summary,
            history_papers: self.history.len(),
            elapsed: self.embed_start.elapsed().as_secs_f64(),
        });
        Ok(())
    }
}
/// The three lines `backfill` ends with: what was read, the embedding, the history.
impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backfill: {} read, {} filtered out, {} already stored, {} added, {} invalid skipped\n\
             embedding: {} tokens, {:.1} abstracts/s, {:.1} s embedding, {:.1} s wall\n\
             history: {} papers ({} in the ANN index) in {}",
            self.read,
            self.filtered,
            self.known,
            self.added,
            self.invalid,
            self.tokens,
            self.abstracts_per_second,
            self.embed_seconds,
            self.wall_seconds,
            self.history_papers,
            self.indexed_papers,
            self.history_dir.display()
        )
    }
}
