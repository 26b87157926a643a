//! `arxrank embed`: texts in, vectors out, as JSON lines. For checking a model, an engine or a
//! device against another implementation (sentence-transformers' vectors, the CPU's against
//! the GPU's), and for handing vectors to other tools.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{CliError, ModelArgs};
use crate::embed::{Embedder, TextKind};
use crate::ingest::read_texts;
use crate::pipeline::embed_texts_to;

#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// JSON lines: each object's `text` is embedded as it is; an object without `text` is
    /// read as a paper (arxrank's schema, the labelled pools or the Kaggle dump) and its
    /// title and abstract are embedded as `rank` embeds them.
    pub input: PathBuf,

    /// Where the vectors go: one `{"id", "embedding"}` per input line, in input order
    /// (`id` only where the input has one). Written atomically.
    #[arg(long)]
    pub out: PathBuf,

    /// Embed the texts as queries (the model's query prefix) instead of documents.
    #[arg(long)]
    pub query: bool,

    #[command(flatten)]
    pub model: ModelArgs,
}

pub fn run(args: EmbedArgs) -> Result<(), CliError> {
    super::threads::init_threads(args.model.runtime.threads);
    let items = read_texts(&args.input)?;
    let (model_dir, mut embedder) = args.model.load()?;
    let kind = if args.query {
        TextKind::Query
    } else {
        TextKind::Document
    };
    let start = Instant::now();
    embed_texts_to(&mut embedder, &items, kind, &args.out)?;
    let seconds = start.elapsed().as_secs_f64();
    eprintln!(
        "embedded {} texts ({} tokens) with {} on {:?} in {:.2} s: {:.0} texts/s; wrote {}",
        items.len(),
        embedder.tokens_processed(),
        model_dir.fingerprint,
        args.model.device,
        seconds,
        items.len() as f64 / seconds.max(1e-9),
        args.out.display()
    );
    Ok(())
}
