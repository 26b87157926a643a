//! Where a job's words go, so the library never prints: notes for the reader (the command
//! line sends them to stderr) and the paths of the files it wrote (to stdout, where a
//! script reads them).

use std::path::Path;

pub trait Report {
    fn note(&mut self, line: &str);
    fn wrote(&mut self, path: &Path);
}
