//! The approximate nearest-neighbour index over a history's vectors: the only module that
//! names hnsw_rs.
//!
//! The index is derived data. It covers the first `count` rows of the history (rows are
//! append-only, so a prefix stays valid), is rebuilt or extended from the segments, and is
//! described by `ann.json`, which is replaced atomically after the dump files are in place.
//! hnsw_rs asserts (panics) on a damaged dump, so arxrank checks the dump's sha256 against
//! `ann.json` before handing it to hnsw_rs.

use crate::fsutil::IoError;
use std::path::{Path, PathBuf};

use hnsw_rs::prelude::{AnnT, Distance, Hnsw, HnswIo};
use serde::{Deserialize, Serialize};

use super::{corrupt, io, HistoryError};

pub(super) const META: &str = "ann.json";
const FORMAT: &str = "arxrank-ann";
const VERSION: u32 = 1;

/// Links per node and build-time search width. hnsw_rs spends about a microsecond per
/// visited node on bookkeeping, so fewer links beat more here: at 16/100, against 24/200,
/// a 100k build took 84 s instead of 288 s and a query 1.3-2.9 ms instead of 9.9 ms, with
/// recall@10 still 0.98-1.0 (`benches/ann.rs`; real MiniLM vectors in tests/history.rs).
const MAX_LINKS: usize = 16;
const EF_CONSTRUCTION: usize = 100;
const MAX_LAYERS: usize = 16;
/// Candidates examined per query unless `History::set_search_width` says otherwise. On the
/// bench's clustered vectors ef 64 kept recall@10 at 0.98-1.0 up to 100k rows, but at 1M
/// only ef 256 reached 0.975 (and moved the novelty cosine by 1e-4), so big indexes search
/// wider.
fn default_ef(count: usize) -> usize {
    if count < 300_000 {
        64
    } else {
        256
    }
}

/// 1 − cosine for unit vectors, clamped at 0: anndists' `DistDot` asserts on the tiny
/// negative values rounding gives for identical vectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitDot;

impl Distance<f32> for UnitDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - super::dot(a, b)).max(0.0)
    }
}

type Graph<'a> = Hnsw<'a, f32, UnitDot>;

self_cell::self_cell!(
    /// A graph with the loader it borrows from when it was read from disk.
    struct Loaded {
        owner: Option<HnswIo>,
        #[not_covariant]
        dependent: Graph,
    }
);

/// What `ann.json` records about the dump on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Meta {
    format: String,
    version: u32,
    /// Rows covered: the history's first `count` papers.
    pub count: usize,
    /// The number of history segments covered and the last one's vector checksum, so an
    /// index cannot be applied to another history with the same row count.
    pub segments: usize,
    pub last_segment_sha256: String,
    basename: String,
    graph_sha256: String,
    data_sha256: String,
    max_links: usize,
    ef_construction: usize,
}

pub(super) struct Ann {
    graph: Loaded,
    count: usize,
    /// Candidates examined per query (hnsw's `ef`).
    pub ef: usize,
}

impl std::fmt::Debug for Ann {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ann").field("count", &self.count).finish()
    }
}

impl Ann {
    pub fn new(expected_rows: usize) -> Self {
        let graph = Loaded::new(None, |_| {
            Hnsw::new(
                MAX_LINKS,
                expected_rows.max(1),
                MAX_LAYERS,
                EF_CONSTRUCTION,
                UnitDot,
            )
        });
        Self {
            graph,
            count: 0,
            ef: default_ef(0),
        }
    }

    /// Rows covered so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Adds rows `count..count + n` from `vectors` (`n` rows of `dim`), in parallel.
    pub fn extend(&mut self, vectors: &[f32], dim: usize) {
        let start = self.count;
        let items: Vec<(&[f32], usize)> = vectors
            .chunks_exact(dim)
            .enumerate()
            .map(|(i, v)| (v, start + i))
            .collect();
        self.graph
            .with_dependent(|_, g| g.parallel_insert_slice(&items));
        self.count += items.len();
        self.ef = self.ef.max(default_ef(self.count));
    }

    /// Up to `k` rows accepted by `keep`, best first. Only rows: the caller recomputes
    /// cosines from its own vectors.
    pub fn search(&self, query: &[f32], k: usize, keep: &dyn Fn(usize) -> bool) -> Vec<usize> {
        let filter = |id: &usize| keep(*id);
        self.graph.with_dependent(|_, g| {
            g.search_filter(query, k, self.ef.max(k), Some(&filter))
                .into_iter()
                .map(|n| n.d_id)
                .collect()
        })
    }

    /// Reads the dump `meta` names from `dir` after checking its checksums.
    pub fn load(dir: &Path, meta: &Meta) -> Result<Self, HistoryError> {
        verify(dir, meta)?;
        let loader = HnswIo::new(dir, &meta.basename);
        let graph = Loaded::try_new(Some(loader), |io| {
            io.as_ref()
                .expect("loaded graphs have a loader")
                .load_hnsw_with_dist(UnitDot)
        })
        .map_err(|e| corrupt(&dir.join(meta.graph_file()), format!("{e:#}")))?;
        let nb = graph.with_dependent(|_, g| g.get_nb_point());
        if nb != meta.count {
            return Err(corrupt(
                &dir.join(meta.graph_file()),
                format!("holds {nb} points, {META} says {}", meta.count),
            ));
        }
        Ok(Self {
            graph,
            count: meta.count,
            ef: default_ef(meta.count),
        })
    }

    /// Dumps the graph next to the history under a name of its own, so the previous dump,
    /// which the current `ann.json` names, stays intact until the new `ann.json` replaces it.
    pub fn dump(
        &self,
        dir: &Path,
        segments: usize,
        last_segment_sha256: &str,
    ) -> Result<Meta, HistoryError> {
        let basename = format!("ann-{:010}", self.count);
        let staging = tempfile::Builder::new()
            .prefix(".ann-")
            .tempdir_in(dir)
            .map_err(io(dir))?;
        let written = self
            .graph
            .with_dependent(|_, g| g.file_dump(staging.path(), &basename))
            .map_err(|e| IoError::write(staging.path())(std::io::Error::other(format!("{e:#}"))))?;
        let mut meta = Meta {
            format: FORMAT.into(),
            version: VERSION,
            count: self.count,
            segments,
            last_segment_sha256: last_segment_sha256.to_owned(),
            basename: written,
            graph_sha256: String::new(),
            data_sha256: String::new(),
            max_links: MAX_LINKS,
            ef_construction: EF_CONSTRUCTION,
        };
        for file in [meta.graph_file(), meta.data_file()] {
            let from = staging.path().join(&file);
            fsync_file(&from)?;
            let to = dir.join(&file);
            fs_err::rename(&from, &to).map_err(io(&to))?;
        }
        meta.graph_sha256 = super::sha256_file(&dir.join(meta.graph_file()))?;
        meta.data_sha256 = super::sha256_file(&dir.join(meta.data_file()))?;
        Ok(meta)
    }
}

/// Checks the dump's files against `meta`'s checksums (hnsw_rs panics on a damaged dump,
/// so this runs before every load). Returns the files checked.
pub fn verify(dir: &Path, meta: &Meta) -> Result<usize, HistoryError> {
    for (file, want) in [
        (meta.graph_file(), &meta.graph_sha256),
        (meta.data_file(), &meta.data_sha256),
    ] {
        let path = dir.join(file);
        if &super::sha256_file(&path)? != want {
            return Err(corrupt(
                &path,
                format!(
                    "checksum does not match {META}; delete {META} and the index is rebuilt from the segments"
                ),
            ));
        }
    }
    Ok(2)
}

impl Meta {
    fn graph_file(&self) -> String {
        format!("{}.hnsw.graph", self.basename)
    }

    fn data_file(&self) -> String {
        format!("{}.hnsw.data", self.basename)
    }

    /// Files of this dump, for removing the ones no `ann.json` names any more.
    pub fn files(&self) -> [String; 2] {
        [self.graph_file(), self.data_file()]
    }

    pub fn read(path: &Path) -> Result<Option<Self>, HistoryError> {
        let text = match fs_err::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(IoError::read(path)(source).into()),
        };
        let value = super::check_header(path, &text, FORMAT, VERSION)?;
        serde_json::from_value(value)
            .map(Some)
            .map_err(|e| corrupt(path, format!("index description: {e}")))
    }
}

fn fsync_file(path: &Path) -> Result<(), HistoryError> {
    fs_err::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(path))
}

/// Dump files in `dir` that `keep` does not name: left by an earlier index or a crash.
pub(super) fn stale_files(dir: &Path, keep: &Meta) -> Vec<PathBuf> {
    let keep = keep.files();
    fs_err::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (name.starts_with("ann-") && !keep.iter().any(|k| k == name))
                || (name.starts_with(".ann-") && p.is_dir())
        })
        .collect()
}
