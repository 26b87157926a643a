//! History: every paper arxrank has embedded, on disk, one directory per model fingerprint.
//!
//! Layout (format version 1), tantivy-style: immutable segment files plus a small manifest
//! that is replaced atomically. An append writes a new segment (`seg-NNNNNN.f32` vectors,
//! little-endian f32 rows; `seg-NNNNNN.jsonl` one `{id,title,date}` per row), fsyncs it, then
//! renames a new `manifest.json` over the old one. A crash before the rename leaves the old
//! manifest, which never names the half-written segment, so no paper is half-added. One
//! writer at a time holds `LOCK`.
//!
//! Searching is exact (a dot product against every stored vector). The ANN index is to come.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ingest::PaperId;

pub const FORMAT: &str = "arxrank-history";
pub const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const LOCK: &str = "LOCK";

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot access {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: history data is corrupt: {message}")]
    DataCorruption { path: PathBuf, message: String },
    #[error("{path}: not an arxrank history manifest ({message})")]
    Foreign { path: PathBuf, message: String },
    #[error("{path}: history format version {found} is newer than this arxrank reads ({VERSION}); upgrade arxrank")]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: history was built with model {index} but the model in use is {model}; vectors of different models cannot be compared (use that model, or another --history)")]
    ModelMismatch {
        path: PathBuf,
        index: String,
        model: String,
    },
    #[error("{path}: another arxrank ({holder}) is writing this history; if no arxrank is running, the lock is stale and safe to delete")]
    Locked { path: PathBuf, holder: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HistoryError + '_ {
    move |source| HistoryError::Io {
        path: path.to_owned(),
        source,
    }
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
    count: usize,
    segments: Vec<Segment>,
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
    /// The digest day it was added on.
    pub date: Option<String>,
}

/// One stored paper close to a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Neighbour {
    pub paper: PastPaper,
    pub cosine: f32,
}

/// An opened history: all vectors in memory, row `i` belongs to `papers[i]`.
#[derive(Debug)]
pub struct History {
    dir: PathBuf,
    fingerprint: String,
    dim: usize,
    vectors: Vec<f32>,
    papers: Vec<PastPaper>,
    rows: HashMap<PaperId, usize>,
    segments: Vec<Segment>,
}

impl History {
    /// The directory of a model's history under `root`.
    pub fn dir_for(root: &Path, fingerprint: &str) -> PathBuf {
        root.join(fingerprint)
    }

    /// Opens `dir`, or starts an empty history there if it has no manifest yet. The manifest
    /// must be arxrank's, of a version this build reads, and of this model.
    pub fn open(dir: &Path, fingerprint: &str, dim: usize) -> Result<Self, HistoryError> {
        let mut h = Self {
            dir: dir.to_owned(),
            fingerprint: fingerprint.to_owned(),
            dim,
            vectors: Vec::new(),
            papers: Vec::new(),
            rows: HashMap::new(),
            segments: Vec::new(),
        };
        let mpath = dir.join(MANIFEST);
        if !mpath.exists() {
            return Ok(h);
        }
        let text = fs_err::read_to_string(&mpath).map_err(io(&mpath))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| corrupt(&mpath, format!("manifest is not JSON: {e}")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(HistoryError::Foreign {
                path: mpath,
                message: format!("its \"format\" is not {FORMAT:?}"),
            });
        }
        let found = value.get("version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found > VERSION {
            return Err(HistoryError::Version { path: mpath, found });
        }
        let m: Manifest = serde_json::from_value(value)
            .map_err(|e| corrupt(&mpath, format!("manifest fields: {e}")))?;
        if m.fingerprint != fingerprint || m.dim != dim {
            return Err(HistoryError::ModelMismatch {
                path: mpath,
                index: format!("{} ({} dims)", m.fingerprint, m.dim),
                model: format!("{fingerprint} ({dim} dims)"),
            });
        }
        for seg in &m.segments {
            h.load_segment(seg)?;
        }
        if h.papers.len() != m.count {
            return Err(corrupt(
                &mpath,
                format!(
                    "manifest counts {} papers, segments hold {}",
                    m.count,
                    h.papers.len()
                ),
            ));
        }
        h.segments = m.segments;
        Ok(h)
    }

    fn load_segment(&mut self, seg: &Segment) -> Result<(), HistoryError> {
        let vpath = self.dir.join(&seg.vectors);
        let bytes = fs_err::read(&vpath).map_err(io(&vpath))?;
        let want = seg.count * self.dim * 4;
        if bytes.len() != want {
            return Err(corrupt(
                &vpath,
                format!(
                    "{} bytes, expected {want} ({} vectors of {} dims); truncated or overwritten",
                    bytes.len(),
                    seg.count,
                    self.dim
                ),
            ));
        }
        if sha256(&bytes) != seg.vectors_sha256 {
            return Err(corrupt(&vpath, "checksum does not match the manifest"));
        }
        let ppath = self.dir.join(&seg.papers);
        let text = fs_err::read_to_string(&ppath).map_err(io(&ppath))?;
        if sha256(text.as_bytes()) != seg.papers_sha256 {
            return Err(corrupt(&ppath, "checksum does not match the manifest"));
        }
        let start = self.papers.len();
        for (i, line) in text.lines().enumerate() {
            let p: PastPaper = serde_json::from_str(line)
                .map_err(|e| corrupt(&ppath, format!("line {}: {e}", i + 1)))?;
            self.rows.insert(p.id.clone(), self.papers.len());
            self.papers.push(p);
        }
        if self.papers.len() - start != seg.count {
            return Err(corrupt(
                &ppath,
                format!(
                    "{} rows, the manifest says {}",
                    self.papers.len() - start,
                    seg.count
                ),
            ));
        }
        self.vectors.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("chunks of 4"))),
        );
        Ok(())
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

    pub fn get(&self, id: &PaperId) -> Option<&PastPaper> {
        self.rows.get(id).map(|&r| &self.papers[r])
    }

    pub fn vector(&self, id: &PaperId) -> Option<&[f32]> {
        self.rows
            .get(id)
            .map(|&r| &self.vectors[r * self.dim..(r + 1) * self.dim])
    }

    /// The `k` stored papers most similar to `query` (a unit vector), best first, among
    /// those `keep` accepts (callers exclude the paper itself, and with version-less ids
    /// that excludes its other versions too).
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&PastPaper) -> bool,
    ) -> Vec<Neighbour> {
        assert_eq!(query.len(), self.dim, "query of the wrong dimension");
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        for (row, v) in self.vectors.chunks_exact(self.dim).enumerate() {
            let c: f32 = v.iter().zip(query).map(|(a, b)| a * b).sum();
            if best.len() == k && best.last().is_some_and(|&(w, _)| c <= w) {
                continue;
            }
            if !keep(&self.papers[row]) {
                continue;
            }
            let pos = best.partition_point(|&(b, _)| b >= c);
            best.insert(pos, (c, row));
            best.truncate(k);
        }
        best.into_iter()
            .map(|(cosine, row)| Neighbour {
                paper: self.papers[row].clone(),
                cosine,
            })
            .collect()
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
        let fresh = Self::open(&self.dir, &self.fingerprint, self.dim)?;
        if fresh.segments.len() != self.segments.len() {
            *self = fresh;
            let again: Vec<(PastPaper, &[f32])> =
                new.iter().map(|(p, v)| (p.clone(), *v)).collect();
            drop(_lock);
            return self.append(&again);
        }
        let n = self.segments.len() + 1;
        let seg_name = |ext: &str| format!("seg-{n:06}.{ext}");
        let mut vbytes = Vec::with_capacity(new.len() * self.dim * 4);
        let mut ptext = String::new();
        for (p, v) in &new {
            assert_eq!(v.len(), self.dim, "vector of the wrong dimension");
            vbytes.extend(v.iter().flat_map(|x| x.to_le_bytes()));
            ptext.push_str(&serde_json::to_string(p).expect("paper serialises"));
            ptext.push('\n');
        }
        let seg = Segment {
            vectors: seg_name("f32"),
            papers: seg_name("jsonl"),
            count: new.len(),
            vectors_sha256: sha256(&vbytes),
            papers_sha256: sha256(ptext.as_bytes()),
        };
        write_synced(&self.dir.join(&seg.vectors), &vbytes)?;
        write_synced(&self.dir.join(&seg.papers), ptext.as_bytes())?;
        let mut segments = self.segments.clone();
        segments.push(seg);
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            fingerprint: self.fingerprint.clone(),
            dim: self.dim,
            count: self.papers.len() + new.len(),
            segments: segments.clone(),
        };
        let mut json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        json.push('\n');
        write_synced(&self.dir.join(MANIFEST), json.as_bytes())?;
        // Only now, with the manifest in place, does the in-memory view change.
        let added = new.len();
        for (p, v) in new {
            self.rows.insert(p.id.clone(), self.papers.len());
            self.papers.push(p.clone());
            self.vectors.extend_from_slice(v);
        }
        self.segments = segments;
        Ok(added)
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), HistoryError> {
    crate::fsutil::write_atomic(path, bytes).map_err(io(path))
}

/// The writer lock: a file created exclusively, holding the writer's pid, removed on drop.
struct Lock(PathBuf);

impl Lock {
    fn acquire(path: &Path) -> Result<Self, HistoryError> {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut f) => {
                let _ = writeln!(f, "pid {}", std::process::id());
                Ok(Self(path.to_owned()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(HistoryError::Locked {
                path: path.to_owned(),
                holder: std::fs::read_to_string(path)
                    .map(|s| s.trim().to_owned())
                    .unwrap_or_else(|_| "unknown process".into()),
            }),
            Err(source) => Err(HistoryError::Io {
                path: path.to_owned(),
                source,
            }),
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
