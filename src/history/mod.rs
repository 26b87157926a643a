//! History: every paper arxrank has embedded, on disk, one directory per model fingerprint.
//!
//! Layout (format version 1), tantivy-style: immutable segment files plus a small manifest
//! that is replaced atomically. An append writes a new segment (`seg-NNNNNN.f32` vectors,
//! little-endian f32 rows; `seg-NNNNNN.jsonl` one `{id,title,date}` per row), fsyncs it, then
//! renames a new `manifest.json` over the old one. A crash before the rename leaves the old
//! manifest, which never names the half-written segment, so no paper is half-added. One
//! writer at a time holds `LOCK`.
//!
//! Vectors are memory-mapped, not read: opening checks sizes and the manifest, and hashes
//! only files whose size or modification time changed since they were verified
//! (`verified.rs`). A day's search is batched and exact (`nearest_many`): blocks of stored
//! rows scored against all the day's papers at once in 16-bit integer lanes, candidates
//! re-scored in f32, pages released behind the scan. The HNSW index in `ann` is built only
//! from `ANN_MIN_ROWS` papers; where one exists, a search asks it for the rows it covers and
//! scans the rows appended since. Measured by `benches/history.rs` and `benches/ann.rs`.

use crate::fsutil::IoError;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::{Day, PaperId};

mod ann;
mod export;
mod lock;
mod search;
pub mod synthetic;
mod verified;

pub use export::write_vector_line;
use lock::Lock;
use search::dot;

pub const FORMAT: &str = "arxrank-history";
/// The newest format this build reads and writes. Version 2 added f16 vectors; an f32
/// history is still written as version 1, so older arxrank builds keep reading it.
pub const VERSION: u32 = 2;
const MANIFEST: &str = "manifest.json";
const LOCK: &str = "LOCK";

/// Rows from which `rank` and `backfill` build an ANN index. Batched exact search
/// (`nearest_many`) does a 700-paper day against 3M stored papers in about 9 s with 1 GB of
/// memory (`benches/history.rs`), while loading hnsw_rs's index alone took 34 s at 1M and
/// it holds its own copy of the vectors (`benches/ann.rs`): below 10M papers, more than
/// arXiv has, no index is built. A history that has one from an earlier release still uses
/// it; deleting `ann.json` returns it to exact search.
pub const ANN_MIN_ROWS: usize = 10_000_000;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{path}: history data is corrupt: {message}")]
    DataCorruption { path: PathBuf, message: String },
    #[error("{path}: not an arxrank history file ({message})")]
    Foreign { path: PathBuf, message: String },
    #[error("{path}: format version {found} is newer than this arxrank reads; upgrade arxrank")]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: history was built with model {index} but the model in use is {model}; vectors of different models cannot be compared (use that model, or another --history)")]
    ModelMismatch {
        path: PathBuf,
        index: String,
        model: String,
    },
    #[error("{path}: the history stores {stored} vectors, {asked} was asked for; the precision is chosen when a history is started")]
    Precision {
        path: PathBuf,
        stored: StoragePrecision,
        asked: StoragePrecision,
    },
    #[error("{path}: another arxrank ({holder}) is writing this history; wait for it to finish (its lock is released when it exits, however it exits)")]
    Locked { path: PathBuf, holder: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HistoryError + '_ {
    move |source| IoError::access(path)(source).into()
}

fn corrupt(path: &Path, message: impl Into<String>) -> HistoryError {
    HistoryError::DataCorruption {
        path: path.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    format: String,
    version: u32,
    fingerprint: String,
    dim: usize,
    /// Absent in version 1, which only knew f32.
    #[serde(default)]
    precision: StoragePrecision,
    count: usize,
    segments: Vec<Segment>,
}

/// How vectors are stored on disk. In memory they are always f32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum StoragePrecision {
    /// 4 bytes per dimension, exact.
    #[default]
    F32,
    /// 2 bytes per dimension: half the disk; cosines move by about 1e-3.
    F16,
}

impl std::fmt::Display for StoragePrecision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.ext())
    }
}

impl StoragePrecision {
    fn bytes(self) -> usize {
        match self {
            StoragePrecision::F32 => 4,
            StoragePrecision::F16 => 2,
        }
    }

    fn ext(self) -> &'static str {
        match self {
            StoragePrecision::F32 => "f32",
            StoragePrecision::F16 => "f16",
        }
    }

    fn encode(self, v: &[f32], out: &mut Vec<u8>) {
        match self {
            StoragePrecision::F32 => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
            StoragePrecision::F16 => {
                out.extend(v.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes()))
            }
        }
    }

    fn decode(self, bytes: &[u8]) -> Vec<f32> {
        match self {
            StoragePrecision::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("chunks of 4")))
                .collect(),
            StoragePrecision::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Segment {
    vectors: String,
    papers: String,
    count: usize,
    vectors_sha256: String,
    papers_sha256: String,
}

/// A paper the history has seen: what a novelty comment needs to name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PastPaper {
    pub id: PaperId,
    pub title: String,
    /// The digest day it was added on (for a backfill, the paper's first-version day).
    pub date: Option<Day>,
}

/// A history's size and extent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub papers: usize,
    pub segments: usize,
    pub precision: StoragePrecision,
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    /// Every file in the history's directory (segments, manifest, index).
    pub bytes_on_disk: u64,
    /// Papers the ANN index on disk covers.
    pub index_rows: usize,
}

/// The table `history stats` prints, a line per figure.
impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "papers    {}", self.papers)?;
        writeln!(f, "segments  {}", self.segments)?;
        writeln!(f, "stored as {}", self.precision)?;
        writeln!(
            f,
            "days      {} to {}",
            self.first_day.map_or("-".into(), |d| d.to_string()),
            self.last_day.map_or("-".into(), |d| d.to_string())
        )?;
        writeln!(f, "on disk   {:.1} MB", self.bytes_on_disk as f64 / 1e6)?;
        let exact = if self.index_rows == 0 {
            " (exact search)"
        } else {
            ""
        };
        writeln!(
            f,
            "index     {} of {} papers{exact}",
            self.index_rows, self.papers
        )
    }
}

/// One stored paper close to a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub paper: PastPaper,
    pub cosine: f32,
}

/// One segment's vectors, memory-mapped: the operating system reads pages in as a search
/// touches them and drops them under memory pressure, so nothing is copied on open and a
/// history larger than RAM can still be searched.
#[derive(Debug)]
struct Mapped {
    map: memmap2::Mmap,
    /// The file itself, for reading single rows without mapping them in.
    file: std::fs::File,
    first_row: usize,
    rows: usize,
}

/// An opened history: row `i` belongs to `papers[i]`; vectors stay on disk, mapped.
#[derive(Debug)]
pub struct History {
    dir: PathBuf,
    fingerprint: String,
    dim: usize,
    /// One per segment, in row order (empty when opened for appending only).
    vectors: Vec<Mapped>,
    papers: Vec<PastPaper>,
    rows: HashMap<PaperId, usize>,
    segments: Vec<Segment>,
    precision: StoragePrecision,
    /// False for a history opened only to append to (a backfill): `vectors` stays empty.
    keep_vectors: bool,
    /// Files whose checksums were verified, with their size and modification time.
    verified: verified::Verified,
    /// Covers the first `ann.count()` rows; rows after it are scanned exactly.
    ann: Option<ann::Ann>,
}

impl History {
    /// The directory of a model's history under `root`.
    pub fn dir_for(root: &Path, fingerprint: &str) -> PathBuf {
        root.join(fingerprint)
    }

    /// [`open`](Self::open) of the model's history under `root` ([`dir_for`](Self::dir_for)).
    pub fn open_under(root: &Path, fingerprint: &str, dim: usize) -> Result<Self, HistoryError> {
        Self::open(&Self::dir_for(root, fingerprint), fingerprint, dim)
    }

    /// Opens `dir` for search and append, or starts an empty history there if it has no
    /// manifest yet. The manifest must be arxrank's, of a version this build reads, and of
    /// this model. Every file must have the size the manifest implies; its checksum is
    /// computed only when its size or modification time differ from those recorded when it
    /// was last verified (`verified.json`), so opening a large unchanged history reads no
    /// vectors. Vectors are memory-mapped; the ANN index, where one was built, is loaded.
    pub fn open(dir: &Path, fingerprint: &str, dim: usize) -> Result<Self, HistoryError> {
        Self::open_with(dir, fingerprint, dim, true)
    }

    /// The vector width of the history in `dir`, from its manifest (`None` before the first
    /// append), for tools that open a history without loading its model.
    pub fn stored_dim(dir: &Path) -> Result<Option<usize>, HistoryError> {
        let Some(value) = manifest_value(dir)? else {
            return Ok(None);
        };
        Ok(value
            .get("dim")
            .and_then(|d| d.as_u64())
            .map(|d| d as usize))
    }

    /// Opens `dir` for appending only: ids and titles are read and every file is checked,
    /// but vectors are not kept, so a backfill's memory does not grow with the history.
    /// `nearest` must not be called on it.
    pub fn open_for_append(
        dir: &Path,
        fingerprint: &str,
        dim: usize,
    ) -> Result<Self, HistoryError> {
        Self::open_with(dir, fingerprint, dim, false)
    }

    fn open_with(
        dir: &Path,
        fingerprint: &str,
        dim: usize,
        keep_vectors: bool,
    ) -> Result<Self, HistoryError> {
        let mut h = Self {
            dir: dir.to_owned(),
            fingerprint: fingerprint.to_owned(),
            dim,
            keep_vectors,
            precision: StoragePrecision::F32,
            vectors: Vec::new(),
            verified: verified::Verified::load(dir),
            papers: Vec::new(),
            rows: HashMap::new(),
            segments: Vec::new(),
            ann: None,
        };
        let Some(m) = read_manifest(dir, fingerprint, dim)? else {
            return Ok(h);
        };
        h.precision = m.precision;
        let mut first_row = 0;
        for seg in &m.segments {
            h.check_segment(seg, first_row)?;
            first_row += seg.count;
        }
        // Each segment's papers parsed on its own thread: at millions of papers, parsing
        // them is most of what opening costs.
        let parsed: Vec<Result<Vec<PastPaper>, HistoryError>> = m
            .segments
            .par_iter()
            .map(|seg| read_papers(dir, seg))
            .collect();
        h.papers.reserve(m.count);
        h.rows.reserve(m.count);
        for papers in parsed {
            for p in papers? {
                h.rows.insert(p.id.clone(), h.papers.len());
                h.papers.push(p);
            }
        }
        if h.papers.len() != m.count {
            return Err(corrupt(
                &dir.join(MANIFEST),
                format!(
                    "manifest counts {} papers, segments hold {}",
                    m.count,
                    h.papers.len()
                ),
            ));
        }
        h.segments = m.segments;
        if keep_vectors {
            if let Some(meta) = h.index_meta()? {
                h.ann = Some(ann::Ann::load(dir, &meta)?);
            }
        }
        Ok(h)
    }

    /// Checks a segment's files (size; checksum unless its stamp holds) and maps its
    /// vectors, which start at row `first_row`.
    fn check_segment(&mut self, seg: &Segment, first_row: usize) -> Result<(), HistoryError> {
        let vpath = self.dir.join(&seg.vectors);
        let len = fs_err::metadata(&vpath).map_err(io(&vpath))?.len();
        let want = seg.count * self.dim * self.precision.bytes();
        if len != want as u64 {
            return Err(corrupt(
                &vpath,
                format!(
                    "{len} bytes, expected {want} ({} {} vectors of {} dims); truncated or overwritten",
                    seg.count, self.precision.ext(), self.dim
                ),
            ));
        }
        self.verified
            .check(&self.dir, &seg.vectors, &seg.vectors_sha256)?;
        self.verified
            .check(&self.dir, &seg.papers, &seg.papers_sha256)?;
        if self.keep_vectors {
            self.vectors
                .push(map_segment(&vpath, first_row, seg.count)?);
        }
        Ok(())
    }

    /// The index description, if there is one, checked against this history: it must cover
    /// a prefix of these very segments.
    fn index_meta(&self) -> Result<Option<ann::Meta>, HistoryError> {
        let path = self.dir.join(ann::META);
        let Some(meta) = ann::Meta::read(&path)? else {
            return Ok(None);
        };
        let covered = self.segments.get(..meta.segments);
        let fits = covered.is_some_and(|segs| {
            segs.iter().map(|s| s.count).sum::<usize>() == meta.count
                && segs.last().map_or(meta.count == 0, |s| {
                    s.vectors_sha256 == meta.last_segment_sha256
                })
        });
        if !fits {
            return Err(corrupt(
                &path,
                format!(
                    "the index covers {} papers in {} segments, which is not a prefix of this history ({} papers in {} segments); delete {} and the index is rebuilt",
                    meta.count,
                    meta.segments,
                    self.papers.len(),
                    self.segments.len(),
                    ann::META
                ),
            ));
        }
        Ok(Some(meta))
    }

    pub fn len(&self) -> usize {
        self.papers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.papers.is_empty()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn precision(&self) -> StoragePrecision {
        self.precision
    }

    /// Chooses how vectors are stored. Only a history with nothing stored yet can change;
    /// asking an existing one for another precision is an error that names both.
    pub fn set_precision(&mut self, precision: StoragePrecision) -> Result<(), HistoryError> {
        if precision == self.precision {
            return Ok(());
        }
        if !self.segments.is_empty() {
            return Err(HistoryError::Precision {
                path: self.dir.join(MANIFEST),
                stored: self.precision,
                asked: precision,
            });
        }
        self.precision = precision;
        Ok(())
    }

    /// Every stored paper in row order, the order they were added in.
    pub fn papers(&self) -> &[PastPaper] {
        &self.papers
    }

    pub fn get(&self, id: &PaperId) -> Option<&PastPaper> {
        self.rows.get(id).map(|&r| &self.papers[r])
    }

    /// The stored vector of `id`, borrowed from the mapped file when it is stored in f32.
    pub fn vector(&self, id: &PaperId) -> Option<Cow<'_, [f32]>> {
        self.rows.get(id).map(|&r| self.row(r))
    }

    /// Rows the index on disk covers (0 without one).
    pub fn index_rows(&self) -> Result<usize, HistoryError> {
        Ok(self.index_meta()?.map_or(0, |m| m.count))
    }

    /// Candidates the ANN search examines per query: higher is slower and closer to exact.
    /// The default (64, or 256 from 300k rows) is what kept recall@10 ≥ 0.975 in
    /// `benches/ann.rs`.
    pub fn set_search_width(&mut self, ef: usize) {
        if let Some(a) = &mut self.ann {
            a.ef = ef.max(1);
        }
    }

    /// Rows covered by the ANN index in memory (0 without one): what `nearest` will use.
    pub fn indexed(&self) -> usize {
        self.ann.as_ref().map_or(0, |a| a.count())
    }

    /// The mapped segment holding `row`, and the row's place in it.
    fn segment_of(&self, row: usize) -> (&Mapped, usize) {
        let seg = self
            .vectors
            .partition_point(|m| m.first_row + m.rows <= row);
        let m = &self.vectors[seg];
        (m, row - m.first_row)
    }

    fn row(&self, row: usize) -> Cow<'_, [f32]> {
        let (m, at) = self.segment_of(row);
        self.rows_of(m, at, at + 1)
    }

    /// One row read from its file with a positioned read (the map's pages stay out).
    fn read_row(&self, row: usize) -> Vec<f32> {
        let (m, at) = self.segment_of(row);
        let width = self.dim * self.precision.bytes();
        let mut bytes = vec![0u8; width];
        let at = (at * width) as u64;
        #[cfg(unix)]
        let read = std::os::unix::fs::FileExt::read_exact_at(&m.file, &mut bytes, at);
        #[cfg(not(unix))]
        let read: std::io::Result<()> = Err(std::io::Error::other("no positioned reads"));
        match read {
            Ok(()) => self.precision.decode(&bytes),
            // The map reads the same bytes.
            Err(_) => self.row(row).into_owned(),
        }
    }

    /// Rows `from..to` of a mapped segment as f32: borrowed from the map when the file holds
    /// little-endian f32 (it is page-aligned), decoded otherwise.
    fn rows_of<'a>(&self, m: &'a Mapped, from: usize, to: usize) -> Cow<'a, [f32]> {
        if let Some(rows) = self.mapped_f32(m, from, to) {
            return Cow::Borrowed(rows);
        }
        let mut out = Vec::new();
        self.decode_rows(m, from, to, &mut out);
        Cow::Owned(out)
    }

    /// As [`rows_of`](Self::rows_of), decoding into `buf` (reused from call to call) instead
    /// of a fresh allocation: a scan decodes a few hundred rows at a time, millions of times.
    fn rows_in<'a>(
        &self,
        m: &'a Mapped,
        from: usize,
        to: usize,
        buf: &'a mut Vec<f32>,
    ) -> &'a [f32] {
        if let Some(rows) = self.mapped_f32(m, from, to) {
            return rows;
        }
        self.decode_rows(m, from, to, buf);
        buf
    }

    /// The rows' bytes as the map's own f32s, where they are little-endian f32 and aligned.
    fn mapped_f32<'a>(&self, m: &'a Mapped, from: usize, to: usize) -> Option<&'a [f32]> {
        let little_f32 = self.precision == StoragePrecision::F32 && cfg!(target_endian = "little");
        little_f32
            .then(|| bytemuck::try_cast_slice::<u8, f32>(self.row_bytes(m, from, to)).ok())
            .flatten()
    }

    /// Decodes the rows into `out` (resized to fit): f16 with the CPU's conversion
    /// instructions where it has them, anything else value by value.
    fn decode_rows(&self, m: &Mapped, from: usize, to: usize, out: &mut Vec<f32>) {
        let bytes = self.row_bytes(m, from, to);
        if self.precision == StoragePrecision::F16 && cfg!(target_endian = "little") {
            use half::slice::{HalfBitsSliceExt, HalfFloatSliceExt};
            if let Ok(bits) = bytemuck::try_cast_slice::<u8, u16>(bytes) {
                let halves: &[half::f16] = bits.reinterpret_cast();
                out.resize(halves.len(), 0.0);
                halves.convert_to_f32_slice(out);
                return;
            }
        }
        *out = self.precision.decode(bytes);
    }

    fn row_bytes<'a>(&self, m: &'a Mapped, from: usize, to: usize) -> &'a [u8] {
        let width = self.dim * self.precision.bytes();
        &m.map[from * width..to * width]
    }

    /// Adds papers not stored yet (by id) as one new segment, atomically, under the writer
    /// lock. Returns how many were added.
    pub fn append(&mut self, papers: &[(PastPaper, &[f32])]) -> Result<usize, HistoryError> {
        let mut seen = std::collections::HashSet::new();
        let new: Vec<&(PastPaper, &[f32])> = papers
            .iter()
            .filter(|(p, _)| !self.rows.contains_key(&p.id) && seen.insert(p.id.clone()))
            .collect();
        if new.is_empty() {
            return Ok(0);
        }
        fs_err::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let _lock = Lock::acquire(&self.dir.join(LOCK))?;
        // Another writer may have appended since we opened: re-read before writing.
        if self.changed_on_disk()? {
            *self = Self::open_with(&self.dir, &self.fingerprint, self.dim, self.keep_vectors)?;
            let again: Vec<(PastPaper, &[f32])> =
                new.iter().map(|(p, v)| (p.clone(), *v)).collect();
            drop(_lock);
            return self.append(&again);
        }
        let n = self.segments.len() + 1;
        let seg_name = |ext: &str| format!("seg-{n:06}.{ext}");
        let mut vbytes = Vec::with_capacity(new.len() * self.dim * self.precision.bytes());
        let mut ptext = String::new();
        for (p, v) in &new {
            assert_eq!(v.len(), self.dim, "vector of the wrong dimension");
            self.precision.encode(v, &mut vbytes);
            ptext.push_str(&serde_json::to_string(p).expect("paper serialises"));
            ptext.push('\n');
        }
        let seg = Segment {
            vectors: seg_name(self.precision.ext()),
            papers: seg_name("jsonl"),
            count: new.len(),
            vectors_sha256: sha256(&vbytes),
            papers_sha256: sha256(ptext.as_bytes()),
        };
        write_synced(&self.dir.join(&seg.vectors), &vbytes)?;
        write_synced(&self.dir.join(&seg.papers), ptext.as_bytes())?;
        self.verified
            .record(&self.dir, &seg.vectors, &seg.vectors_sha256)?;
        self.verified
            .record(&self.dir, &seg.papers, &seg.papers_sha256)?;
        let mut segments = self.segments.clone();
        segments.push(seg);
        let manifest = Manifest {
            format: FORMAT.into(),
            version: match self.precision {
                StoragePrecision::F32 => 1,
                StoragePrecision::F16 => 2,
            },
            fingerprint: self.fingerprint.clone(),
            dim: self.dim,
            precision: self.precision,
            count: self.papers.len() + new.len(),
            segments: segments.clone(),
        };
        let mut json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        json.push('\n');
        write_synced(&self.dir.join(MANIFEST), json.as_bytes())?;
        // What was verified: a cache, so a crash before this write only costs a rehash.
        self.verified.save(&self.dir)?;
        // Only now, with the manifest in place, does the in-memory view change.
        let added = new.len();
        if self.keep_vectors {
            let vpath = self.dir.join(seg_name(self.precision.ext()));
            self.vectors
                .push(map_segment(&vpath, self.papers.len(), added)?);
        }
        for (p, _) in new {
            self.rows.insert(p.id.clone(), self.papers.len());
            self.papers.push(p.clone());
        }
        self.segments = segments;
        Ok(added)
    }

    /// Hashes every segment file (and the ANN index dump) against the manifest, whatever
    /// the stamps say, and records the stamps: what `arxrank history verify` runs. Returns
    /// the files checked.
    pub fn verify(&mut self) -> Result<usize, HistoryError> {
        if self.segments.is_empty() {
            return Ok(0);
        }
        let _lock = Lock::acquire(&self.dir.join(LOCK))?;
        let mut checked = 0;
        for seg in &self.segments {
            self.verified
                .hash(&self.dir, &seg.vectors, &seg.vectors_sha256)?;
            self.verified
                .hash(&self.dir, &seg.papers, &seg.papers_sha256)?;
            checked += 2;
        }
        if let Some(meta) = self.index_meta()? {
            checked += ann::verify(&self.dir, &meta)?;
        }
        let names: std::collections::HashSet<&str> = self
            .segments
            .iter()
            .flat_map(|s| [s.vectors.as_str(), s.papers.as_str()])
            .collect();
        self.verified.retain(&names);
        self.verified.save(&self.dir)?;
        Ok(checked)
    }

    /// What `arxrank history stats` prints.
    pub fn stats(&self) -> Result<Stats, HistoryError> {
        let mut bytes = 0;
        for entry in fs_err::read_dir(&self.dir).map_err(io(&self.dir))? {
            let entry = entry.map_err(io(&self.dir))?;
            let meta = entry.metadata().map_err(io(&entry.path()))?;
            if meta.is_file() {
                bytes += meta.len();
            } else if meta.is_dir() {
                for f in fs_err::read_dir(entry.path()).map_err(io(&entry.path()))? {
                    let f = f.map_err(io(&entry.path()))?;
                    bytes += f.metadata().map_or(0, |m| m.len());
                }
            }
        }
        let dates = self.papers.iter().filter_map(|p| p.date);
        Ok(Stats {
            papers: self.papers.len(),
            segments: self.segments.len(),
            precision: self.precision,
            first_day: dates.clone().min(),
            last_day: dates.max(),
            bytes_on_disk: bytes,
            index_rows: self.index_rows()?,
        })
    }

    fn changed_on_disk(&self) -> Result<bool, HistoryError> {
        let on_disk = read_manifest(&self.dir, &self.fingerprint, self.dim)?;
        Ok(on_disk.map_or(0, |m| m.segments.len()) != self.segments.len())
    }

    /// Brings the ANN index up to date with every stored row, if the history holds at
    /// least `min_rows` papers or already has an index: loads the index on disk (or starts
    /// one), inserts the rows it lacks, dumps it, and replaces `ann.json` atomically under
    /// the writer lock. A crash leaves the previous index in force; stale dump files are
    /// removed by the next build. Returns how many rows were inserted.
    pub fn build_index(&mut self, min_rows: usize) -> Result<usize, HistoryError> {
        let meta = self.index_meta()?;
        if meta.is_none() && self.ann.is_none() && self.len() < min_rows.max(1) {
            return Ok(0);
        }
        fs_err::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let lock = Lock::acquire(&self.dir.join(LOCK))?;
        if self.changed_on_disk()? {
            *self = Self::open_with(&self.dir, &self.fingerprint, self.dim, self.keep_vectors)?;
            drop(lock);
            return self.build_index(min_rows);
        }
        let mut index = match (self.ann.take(), &meta) {
            (Some(a), _) => a,
            (None, Some(m)) => ann::Ann::load(&self.dir, m)?,
            (None, None) => ann::Ann::new(self.len()),
        };
        let from = index.count();
        let mut start = 0;
        for seg in &self.segments {
            let end = start + seg.count;
            if end > from {
                let skip = (from.max(start) - start) * self.dim;
                let v = read_vectors(&self.dir.join(&seg.vectors), self.precision)?;
                index.extend(&v[skip..], self.dim);
            }
            start = end;
        }
        let added = index.count() - from;
        if added > 0 || meta.is_none() {
            let last = self
                .segments
                .last()
                .map_or("", |s| s.vectors_sha256.as_str());
            let meta = index.dump(&self.dir, self.segments.len(), last)?;
            let mut json = serde_json::to_string_pretty(&meta).expect("index meta serialises");
            json.push('\n');
            write_synced(&self.dir.join(ann::META), json.as_bytes())?;
            for stale in ann::stale_files(&self.dir, &meta) {
                let _ = if stale.is_dir() {
                    fs_err::remove_dir_all(&stale)
                } else {
                    fs_err::remove_file(&stale)
                };
            }
        }
        if self.keep_vectors {
            self.ann = Some(index);
        }
        drop(lock);
        Ok(added)
    }
}

/// Reads and checks a header's `format` and `version` before the fields, so a foreign or
/// newer file says so instead of failing on an unknown field.
fn check_header(
    path: &Path,
    text: &str,
    format: &str,
    version: u32,
) -> Result<serde_json::Value, HistoryError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| corrupt(path, format!("not JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(format) {
        return Err(HistoryError::Foreign {
            path: path.to_owned(),
            message: format!("its \"format\" is not {format:?}"),
        });
    }
    let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
    if found > version {
        return Err(HistoryError::Version {
            path: path.to_owned(),
            found,
        });
    }
    Ok(value)
}

/// The manifest in `dir` as JSON whose format and version were checked, `None` for a
/// history not started yet.
fn manifest_value(dir: &Path) -> Result<Option<serde_json::Value>, HistoryError> {
    let mpath = dir.join(MANIFEST);
    let text = match fs_err::read_to_string(&mpath) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(&mpath)(e)),
    };
    check_header(&mpath, &text, FORMAT, VERSION).map(Some)
}

/// The manifest in `dir`, `None` for a history not started yet.
fn read_manifest(
    dir: &Path,
    fingerprint: &str,
    dim: usize,
) -> Result<Option<Manifest>, HistoryError> {
    let mpath = dir.join(MANIFEST);
    let Some(value) = manifest_value(dir)? else {
        return Ok(None);
    };
    let m: Manifest = serde_json::from_value(value)
        .map_err(|e| corrupt(&mpath, format!("manifest fields: {e}")))?;
    if m.fingerprint != fingerprint || m.dim != dim {
        return Err(HistoryError::ModelMismatch {
            path: mpath,
            index: format!("{} ({} dims)", m.fingerprint, m.dim),
            model: format!("{fingerprint} ({dim} dims)"),
        });
    }
    Ok(Some(m))
}

/// A segment's papers, one JSON object per line, as many as the manifest says.
fn read_papers(dir: &Path, seg: &Segment) -> Result<Vec<PastPaper>, HistoryError> {
    let ppath = dir.join(&seg.papers);
    let text = fs_err::read_to_string(&ppath).map_err(io(&ppath))?;
    let mut papers = Vec::with_capacity(seg.count);
    for (i, line) in text.lines().enumerate() {
        let p: PastPaper = serde_json::from_str(line)
            .map_err(|e| corrupt(&ppath, format!("line {}: {e}", i + 1)))?;
        papers.push(p);
    }
    if papers.len() != seg.count {
        return Err(corrupt(
            &ppath,
            format!("{} rows, the manifest says {}", papers.len(), seg.count),
        ));
    }
    Ok(papers)
}

/// A segment's vectors, read whole (the index copies them anyway). The file was checked
/// when the history was opened.
fn read_vectors(path: &Path, precision: StoragePrecision) -> Result<Vec<f32>, HistoryError> {
    let bytes = fs_err::read(path).map_err(io(path))?;
    Ok(precision.decode(&bytes))
}

/// Maps a segment's vector file.
fn map_segment(path: &Path, first_row: usize, rows: usize) -> Result<Mapped, HistoryError> {
    let file = fs_err::File::open(path).map_err(io(path))?;
    // SAFETY: segment files are immutable once the manifest names them: arxrank never
    // writes to one again, and README says nothing else may while arxrank runs. The map is
    // read-only; its length was checked against the manifest before mapping.
    let map = unsafe { memmap2::Mmap::map(file.file()) }.map_err(io(path))?;
    Ok(Mapped {
        map,
        file: file.into_parts().0,
        first_row,
        rows,
    })
}

fn sha256_file(path: &Path) -> Result<String, HistoryError> {
    crate::fsutil::sha256_file(path).map_err(io(path))
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), HistoryError> {
    Ok(crate::fsutil::write_atomic(path, bytes)?)
}
