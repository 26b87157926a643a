//! `verified.json`: the history files whose sha256 was checked against the manifest, with
//! their size and modification time at that moment.
//!
//! Hashing every segment on every open made a daily `rank` against a million-paper history
//! spend most of its time reading vectors it never needed. Like tantivy and SQLite, a
//! history now trusts a file whose size and modification time are what they were when it
//! was last verified (written by arxrank, or hashed by an open or `arxrank history
//! verify`), and hashes any other. A file replaced or edited in place gets a new
//! modification time and is hashed again; a byte changed without touching the time is only
//! found by `history verify`, which hashes everything. The file is a cache: missing or
//! damaged, it is ignored and every file is hashed once more.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{corrupt, io, sha256_file, write_synced, HistoryError};

pub(super) const FILE: &str = "verified.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    len: u64,
    modified_secs: u64,
    modified_nanos: u32,
    sha256: String,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct Verified {
    files: BTreeMap<String, Stamp>,
}

fn stamp(path: &Path, sha256: &str) -> Result<Stamp, HistoryError> {
    let meta = fs_err::metadata(path).map_err(io(path))?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    Ok(Stamp {
        len: meta.len(),
        modified_secs: modified.as_secs(),
        modified_nanos: modified.subsec_nanos(),
        sha256: sha256.to_owned(),
    })
}

impl Verified {
    /// The record in `dir`; none, or a damaged one, is an empty record.
    pub(super) fn load(dir: &Path) -> Self {
        fs_err::read_to_string(dir.join(FILE))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Checks `name` against the manifest's `sha256`: trusted when its stamp still holds,
    /// hashed otherwise (and stamped when it matches).
    pub(super) fn check(
        &mut self,
        dir: &Path,
        name: &str,
        sha256: &str,
    ) -> Result<(), HistoryError> {
        let path = dir.join(name);
        let now = stamp(&path, sha256)?;
        if self.files.get(name) == Some(&now) {
            return Ok(());
        }
        self.hash(dir, name, sha256)
    }

    /// Hashes `name` whatever its stamp says.
    pub(super) fn hash(
        &mut self,
        dir: &Path,
        name: &str,
        sha256: &str,
    ) -> Result<(), HistoryError> {
        let path = dir.join(name);
        if sha256_file(&path)? != sha256 {
            self.files.remove(name);
            return Err(corrupt(&path, "checksum does not match the manifest"));
        }
        self.files.insert(name.to_owned(), stamp(&path, sha256)?);
        Ok(())
    }

    /// Stamps a file arxrank has just written with the checksum it computed.
    pub(super) fn record(
        &mut self,
        dir: &Path,
        name: &str,
        sha256: &str,
    ) -> Result<(), HistoryError> {
        let s = stamp(&dir.join(name), sha256)?;
        self.files.insert(name.to_owned(), s);
        Ok(())
    }

    /// Keeps only the files in `names` (segments of the manifest).
    pub(super) fn retain(&mut self, names: &std::collections::HashSet<&str>) {
        self.files.retain(|k, _| names.contains(k.as_str()));
    }

    pub(super) fn save(&self, dir: &Path) -> Result<(), HistoryError> {
        let mut json = serde_json::to_string_pretty(self).expect("stamps serialise");
        json.push('\n');
        write_synced(&dir.join(FILE), json.as_bytes())
    }
}
