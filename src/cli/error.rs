//! `CliError`: every library error a command can end with, and its exit code.

use crate::embed::EmbedError;
use crate::eval::EvalError;
use crate::history::HistoryError;
use crate::ingest::IngestError;
use crate::learn::LearnError;
use crate::render::RenderError;
use crate::site::SiteError;
use crate::topics::TopicsError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error(transparent)]
    Site(#[from] SiteError),
    #[error(transparent)]
    Learn(#[from] LearnError),
    /// Boxed: it can carry an ingest or embed error of its own.
    #[error(transparent)]
    Eval(Box<EvalError>),
    #[error(transparent)]
    Io(#[from] crate::IoError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Deliver(#[from] crate::deliver::DeliverError),
    #[error("{0}")]
    Usage(String),
    /// The profile's learned model cannot be used; the message says how to go on.
    #[error("{source}\n{way_out}")]
    LearnedUnusable { source: LearnError, way_out: String },
}

/// The error for a learned model that cannot be used, with every way out: rank without it,
/// remove it, or train it again.
pub fn learned_unusable(source: LearnError, topics: &std::path::Path) -> CliError {
    CliError::LearnedUnusable {
        source,
        way_out: crate::learn::stored::way_out(topics),
    }
}

impl From<EvalError> for CliError {
    fn from(e: EvalError) -> Self {
        CliError::Eval(Box::new(e))
    }
}

impl CliError {
    /// 2 for bad input (the user can fix the file or the flags), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        // A file that is not UTF-8 (a topics file, labels, arxrank.toml) is malformed input
        // like any other, whichever reader found it.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = source {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
            {
                return 2;
            }
            source = e.source();
        }
        match self {
            CliError::Ingest(IngestError::Io(_)) => 1,
            CliError::Ingest(_)
            | CliError::Topics(TopicsError::Invalid { .. })
            | CliError::Embed(EmbedError::Unsupported(_))
            | CliError::Site(SiteError::Invalid { .. } | SiteError::Empty(_))
            | CliError::Usage(_) => 2,
            CliError::Learn(e) | CliError::LearnedUnusable { source: e, .. }
                if e.is_bad_input() =>
            {
                2
            }
            CliError::Config(crate::config::ConfigError::Invalid { .. })
            | CliError::Fetch(crate::fetch::FetchError::Usage(_)) => 2,
            CliError::Eval(e) => eval_exit_code(e),
            _ => 1,
        }
    }
}

/// [`CliError::exit_code`] of an eval error: the same rules, on eval's variants.
fn eval_exit_code(e: &EvalError) -> u8 {
    match e {
        EvalError::Ingest(IngestError::Io(_)) => 1,
        EvalError::Invalid { .. }
        | EvalError::Usage(_)
        | EvalError::Topics(TopicsError::Invalid { .. })
        | EvalError::Ingest(_)
        | EvalError::Site(SiteError::Invalid { .. } | SiteError::Empty(_)) => 2,
        EvalError::Learn(l) if l.is_bad_input() => 2,
        EvalError::Labels(l) if l.is_bad_input() => 2,
        _ => 1,
    }
}
