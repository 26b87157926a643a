//! `arxrank rank`: listing in, digest out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::CliError;
use crate::embed::{
    BertEmbedder, DeviceKind, EmbedError, Embedder, ModelDir, TextKind, DEFAULT_MODEL,
};
use crate::ingest::{read_listing, AnnounceType, Format, Paper, ReadOptions};
use crate::render::{write_digest, Digest, Entry};
use crate::score::{rank_order, Scorer, TopicVectors};
use crate::topics::Profile;

#[derive(Debug, Args)]
pub struct RankArgs {
    /// The day's listing: arXiv RSS, arXiv API Atom, or JSON lines (arxrank's schema or the
    /// Kaggle arxiv-metadata-oai-snapshot format).
    pub listing: PathBuf,

    /// Output directory; the digest goes to `<out>/<date>/`.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,

    /// Profile: a directory of TOML topic files, or gpt_paper_assistant's paper_topics.txt
    /// (or a directory holding it and authors.txt).
    #[arg(long, default_value = "topics")]
    pub topics: PathBuf,

    /// gpt_paper_assistant-style authors.txt (one `Name[, id]` per line) that replaces the
    /// profile's author list.
    #[arg(long)]
    pub authors: Option<PathBuf>,

    /// Embedding model: a manifest name under --models-dir, or a model directory.
    #[arg(long, default_value = DEFAULT_MODEL)]
    pub model: String,

    /// Where the model runs.
    #[arg(long, value_enum, default_value = "cpu")]
    pub device: DeviceKind,

    /// Input format; `auto` sniffs the file's content.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,

    /// RSS announce types to keep (comma-separated: new, cross, replace, replace-cross).
    #[arg(long, value_delimiter = ',', default_value = "new,cross")]
    pub announce: Vec<AnnounceType>,

    /// The digest's day (YYYY-MM-DD); defaults to the listing's own date.
    #[arg(long)]
    pub date: Option<String>,

    /// Override the profile's selection threshold (relevance 1-10).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub min_relevance: Option<u8>,
}

/// Embeds the profile's topics and the papers and scores every paper, in rank order.
pub fn score_papers(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
) -> Result<Vec<Entry>, EmbedError> {
    let topics = topic_vectors(embedder, scorer.profile())?;
    let texts: Vec<String> = papers.iter().map(Paper::embedding_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let docs = embedder.embed(&refs, TextKind::Document)?;
    let sims = topics.similarities(&docs);
    let scored: Vec<_> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let row = sims.topics.row(i);
            scorer.score(p, row.as_slice().expect("row-major"), sims.negative[i])
        })
        .collect();
    Ok(rank_order(papers, &scored)
        .into_iter()
        .map(|i| Entry {
            paper: papers[i].clone(),
            scored: scored[i].clone(),
            novelty: None,
        })
        .collect())
}

/// Embeds every topic's description and anchors once.
pub fn topic_vectors(
    embedder: &mut dyn Embedder,
    profile: &Profile,
) -> Result<TopicVectors, EmbedError> {
    let mut texts = Vec::new();
    let mut owner = Vec::new();
    for (i, t) in profile.topics.iter().enumerate() {
        for a in t.anchor_texts() {
            texts.push(a);
            owner.push(i);
        }
    }
    for a in &profile.negative.anchors {
        texts.push(a.clone());
        owner.push(profile.topics.len());
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&refs, TextKind::Query)?;
    Ok(TopicVectors::new(vectors, owner, profile.topics.len()))
}

pub fn run(args: RankArgs, models_dir: &Path, threads: usize) -> Result<(), CliError> {
    let start = Instant::now();
    if let Some(d) = &args.date {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            return Err(CliError::Usage(format!("--date {d:?} is not YYYY-MM-DD")));
        }
    }
    // Everything that can be wrong with the inputs is checked before anything is written.
    let listing = read_listing(
        &args.listing,
        &ReadOptions {
            format: args.format,
            announce: args.announce.clone(),
        },
    )?;
    let mut profile = Profile::load(&args.topics)?;
    if let Some(a) = &args.authors {
        profile = profile.with_authors_file(a)?;
    }
    if let Some(m) = args.min_relevance {
        profile.scale.select_min = m;
    }
    let model_dir = ModelDir::resolve(&args.model, models_dir)?;
    let mut embedder = BertEmbedder::load(&model_dir, args.device)?;
    eprintln!(
        "ranking {} papers from {} with {} on {:?} ({threads} threads)",
        listing.papers.len(),
        args.listing.display(),
        model_dir.manifest.name,
        args.device
    );
    let scorer = Scorer::new(&profile);
    let entries = score_papers(&mut embedder, &scorer, &listing.papers)?;
    let date = args
        .date
        .or(listing.date)
        .unwrap_or_else(|| chrono::Local::now().format("%Y-%m-%d").to_string());
    let digest = Digest {
        date: date.clone(),
        total: listing.entries,
        entries,
        model: model_dir.manifest.name.clone(),
        fingerprint: model_dir.fingerprint.clone(),
        device: format!("{:?}", args.device).to_lowercase(),
        profile: profile.name.clone(),
        tokens: embedder.tokens_processed(),
        seconds: start.elapsed().as_secs_f64(),
    };
    let written = write_digest(&digest, &args.out.join(&date))?;
    eprintln!(
        "{}: {} scanned, {} relevant, {:.1} s, {:.1} papers/s",
        date,
        digest.entries.len(),
        digest.selected().count(),
        digest.seconds,
        digest.entries.len() as f64 / digest.seconds
    );
    for p in written {
        println!("{}", p.display());
    }
    Ok(())
}
