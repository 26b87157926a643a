//! `arxrank feedback import`: the static site's exported marks into the feedback log.

use std::path::PathBuf;

use clap::Subcommand;

use super::CliError;
use crate::labels::feedback::import;

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Append the marks the static site's "Export feedback" button saved
    /// (`feedback.jsonl`) to the feedback log, where `learn --feedback` finds them. The
    /// whole file is checked first: a bad line adds nothing.
    Import {
        /// The exported file.
        file: PathBuf,
        /// The feedback log; default: `feedback.jsonl` in the data directory.
        #[arg(long, env = "ARXRANK_FEEDBACK", default_value_os_t = crate::config::defaults().feedback().value)]
        log: PathBuf,
    },
}

pub fn run(cmd: FeedbackCommand) -> Result<(), CliError> {
    match cmd {
        FeedbackCommand::Import { file, log } => {
            if let Some(dir) = log.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs_err::create_dir_all(dir).map_err(crate::fsutil::IoError::write(dir))?;
            }
            let n = import(&file, &log)?;
            eprintln!(
                "feedback: {n} marks from {} added to {}",
                file.display(),
                log.display()
            );
            println!("{}", log.display());
            Ok(())
        }
    }
}
