//! File helpers every stage shares: the one I/O error shape, the atomic write (render,
//! history, site, eval) and streaming sha256 (model files, history segments, index dumps).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// A file operation that failed, naming the file. Every stage's error type carries this one
/// shape (as its `Io` variant), so the message reads the same wherever a file goes missing.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}", path.display())]
pub struct IoError {
    pub action: IoAction,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// What was being done to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoAction {
    Read,
    Write,
    /// Opening, locking or listing, where reading and writing are both in play.
    Access,
}

impl std::fmt::Display for IoAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IoAction::Read => "read",
            IoAction::Write => "write",
            IoAction::Access => "access",
        })
    }
}

impl IoError {
    /// For `map_err`: the error of reading `path`.
    pub fn read(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        Self::with(IoAction::Read, path)
    }

    /// For `map_err`: the error of writing `path`.
    pub fn write(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        Self::with(IoAction::Write, path)
    }

    /// For `map_err`: the error of opening, locking or listing `path`.
    pub fn access(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        Self::with(IoAction::Access, path)
    }

    fn with(action: IoAction, path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self {
            action,
            path: path.to_owned(),
            source,
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory: written,
/// made world-readable (temporary files start private), fsynced, renamed over `path`, and
/// the directory fsynced so the rename itself survives a crash. Readers see the old file or
/// the new one, never a mix.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] for output too large to hold in memory: `fill` writes it in pieces (through
/// a buffer) to the temporary file, which replaces `path` only if `fill` succeeds. An error
/// of `fill`'s own is reported as a failure to write `path`.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), IoError> {
    write_atomic_io(path, fill).map_err(IoError::write(path))
}

fn write_atomic_io(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = fs_err::File::open(dir) {
        // Not every platform can fsync a directory; the data itself is already synced.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Copies `src` into `sink` and returns the sha256 (hex) of what passed through, in 1 MiB
/// pieces, so files of any size are hashed without being held in memory.
pub(crate) fn hash_copy(src: &mut impl Read, sink: &mut impl Write) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        sink.write_all(&buf[..n])?;
    }
    Ok(format!("{:x}", h.finalize()))
}

/// The sha256 (hex) of a file's contents.
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = fs_err::File::open(path)?;
    hash_copy(&mut f, &mut std::io::sink())
}

/// A stable 64-bit hash (FNV-1a), so negatives drawn and folds made from ids are the same
/// on every machine and run.
pub(crate) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
