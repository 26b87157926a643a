//! `arxrank embed`: texts in, vectors out, as JSON lines. For checking a model, an engine or a
//! device against another implementation (sentence-transformers' vectors, the CPU's against
//! the GPU's), and for handing vectors to other tools.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::{CliError, ModelArgs};
use crate::embed::{Embedder, TextKind};
use crate::history::write_vector_line;
use crate::ingest::read_texts;

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

/// Texts per call of the embedder: enough to keep a GPU's batches full, few enough that the
/// vectors of one chunk are small.
const CHUNK: usize = 16_384;

pub fn run(args: EmbedArgs) -> Result<(), CliError> {
    let items = read_texts(&args.input)?;
    let (model_dir, mut embedder) = args.model.load()?;
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let kind = if args.query {
        TextKind::Query
    } else {
        TextKind::Document
    };
    let start = Instant::now();
    // Embedded and written a chunk at a time, so the output never sits whole in memory; an
    // embedding error stops the write and leaves no output file.
    let mut failed = None;
    let written = crate::fsutil::write_atomic_with(&args.out, |w| {
        for (items, texts) in items.chunks(CHUNK).zip(texts.chunks(CHUNK)) {
            let vectors = match embedder.embed(texts, kind) {
                Ok(v) => v,
                Err(e) => {
                    failed = Some(e);
                    return Err(std::io::Error::other("embedding failed"));
                }
            };
            for (item, row) in items.iter().zip(vectors.rows()) {
                let mut fields = serde_json::Map::new();
                if let Some(id) = &item.id {
                    fields.insert("id".into(), id.clone());
                }
                write_vector_line(w, fields, &row.to_vec())?;
            }
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    written?;
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
