//! File helpers several stages share: the atomic write (render, history) and streaming
//! sha256 (model files, history segments and index dumps).

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Writes `bytes` to `path` through a temporary file in the same directory: written,
/// made world-readable (temporary files start private), fsynced, renamed over `path`, and
/// the directory fsynced so the rename itself survives a crash. Readers see the old file or
/// the new one, never a mix.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
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
