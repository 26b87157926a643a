//! The history searched by meaning: a query embedded as the model embeds queries (with its
//! query prefix, where it has one), and the stored papers nearest to it by cosine, through
//! the same search novelty uses (the ANN index where the history has one, exact otherwise).

use super::PipelineError;
use crate::embed::{Embedder, TextKind};
use crate::history::{History, Neighbour};

/// The `k` stored papers nearest to `query`, best first. An empty query is refused; an
/// empty history has no papers to give.
pub fn search(
    embedder: &mut dyn Embedder,
    history: &History,
    query: &str,
    k: usize,
) -> Result<Vec<Neighbour>, PipelineError> {
    let query = query.trim();
    if query.is_empty() {
        return Err(PipelineError::Usage(
            "the query is empty: give words to search for".into(),
        ));
    }
    if k == 0 || history.is_empty() {
        return Ok(Vec::new());
    }
    let v = embedder.embed(&[query], TextKind::Query)?;
    Ok(history.nearest(&v.row(0).to_vec(), k, |_| true))
}

/// A result as `arxrank search` prints it: the id first (so `cut -f1` gives ids), then the
/// cosine, the day it was added on and the title, tab-separated.
pub fn line(n: &Neighbour) -> String {
    format!(
        "{}\t{:.4}\t{}\t{}",
        n.paper.id,
        n.cosine,
        n.paper.date.map_or("-".into(), |d| d.to_string()),
        n.paper.title
    )
}
