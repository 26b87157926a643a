//! The history's writer lock.

use std::io::Write;
use std::path::Path;

use super::{io, HistoryError};

/// The writer lock: an advisory lock on `LOCK` (`flock` on Unix, `LockFileEx` on Windows),
/// held for as long as this value lives. The kernel drops it when the holder exits, however
/// it exits (`kill -9`, a crash, power loss), so an interrupted backfill resumes without
/// anyone deleting files by hand. The file itself stays, naming the last holder's pid for
/// the message a blocked writer prints.
pub(super) struct Lock {
    file: fs_err::File,
}

impl Lock {
    pub(super) fn acquire(path: &Path) -> Result<Self, HistoryError> {
        let mut file = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io(path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = fs_err::read_to_string(path)
                    .ok()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "a process that has not said its pid yet".into());
                return Err(HistoryError::Locked {
                    path: path.to_owned(),
                    holder,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(path)(e)),
        }
        // Only for the message above: the lock is the kernel's, not the file's content.
        file.set_len(0)
            .and_then(|()| writeln!(file, "pid {}", std::process::id()))
            .map_err(io(path))?;
        Ok(Self { file })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes it immediate.
        let _ = self.file.unlock();
    }
}
