//! A job's error as the [`CliError`] of the stage it came from, so each keeps its exit code
//! (bad input: 2) whichever job met it.

use super::CliError;
use crate::eval::EvalError;

impl crate::pipeline::StageError for CliError {
    fn usage(message: String) -> Self {
        CliError::Usage(message)
    }
}

impl From<crate::pipeline::PipelineError> for CliError {
    fn from(e: crate::pipeline::PipelineError) -> Self {
        e.flatten()
    }
}

impl From<crate::daily::DailyError> for CliError {
    fn from(e: crate::daily::DailyError) -> Self {
        use crate::daily::DailyError as D;
        match e {
            D::Pipeline(e) => (*e).into(),
            D::Topics(e) => e.into(),
            D::Embed(e) => e.into(),
            D::Ingest(e) => e.into(),
            D::Fetch(e) => e.into(),
            D::Site(e) => e.into(),
            D::Deliver(e) => e.into(),
            D::Io(e) => e.into(),
            D::Usage(m) => CliError::Usage(m),
        }
    }
}

impl From<crate::config::init::InitError> for CliError {
    fn from(e: crate::config::init::InitError) -> Self {
        use crate::config::init::InitError as I;
        match e {
            I::Topics(e) => e.into(),
            I::Embed(e) => e.into(),
            I::Io(e) => e.into(),
            I::Usage(m) => CliError::Usage(m),
        }
    }
}

impl From<crate::labels::LabelsError> for CliError {
    fn from(e: crate::labels::LabelsError) -> Self {
        EvalError::from(e).into()
    }
}

impl From<crate::serve::ServeError> for CliError {
    fn from(e: crate::serve::ServeError) -> Self {
        use crate::serve::ServeError as S;
        match e {
            S::Embed(e) => e.into(),
            S::History(e) => e.into(),
            S::Site(e) => e.into(),
            S::Io(e) => e.into(),
            // Another port or address is the way out: the reader's to choose.
            e @ S::Bind { .. } => CliError::Usage(e.to_string()),
            S::Usage(m) => CliError::Usage(m),
        }
    }
}
