//! `arxrank rank`: listing in, digest out.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;

use super::{CliError, ModelArgs};
use crate::embed::{EmbedError, Embedder, TextKind};
use crate::history::{History, PastPaper, ANN_MIN_ROWS};
use crate::ingest::{read_listing, AnnounceType, Format, Paper, ReadOptions};
use crate::render::{write_digest, Digest, Entry};
use crate::score::{novelty, rank_cmp, Scorer, TopicVectors};
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

    #[command(flatten)]
    pub model: ModelArgs,

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

    /// History root: novelty is measured against the papers stored under
    /// `<history>/<model fingerprint>/`, and the day is added there after the digest is
    /// written.
    #[arg(long, default_value = "history")]
    pub history: PathBuf,

    /// Read the history for novelty but do not add this day's papers to it.
    #[arg(long)]
    pub no_append: bool,

    /// Neither read nor write a history (novelty is left unavailable).
    #[arg(long, conflicts_with = "no_append")]
    pub no_history: bool,
}

/// The history as seen from one digest day.
pub struct Past<'a> {
    pub history: &'a History,
    /// The digest's day: a paper the history saw on an earlier day is a repeat.
    pub today: &'a str,
}

/// Embeds the profile's topics and the papers and scores every paper, in rank order.
pub fn score_papers(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
) -> Result<Vec<Entry>, EmbedError> {
    let docs = embed_papers(embedder, papers)?;
    score_embedded(embedder, scorer, papers, &docs, None)
}

/// The papers' title + abstract vectors, in listing order.
pub fn embed_papers(
    embedder: &mut dyn Embedder,
    papers: &[Paper],
) -> Result<ndarray::Array2<f32>, EmbedError> {
    let texts: Vec<String> = papers.iter().map(Paper::embedding_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed(&refs, TextKind::Document)
}

/// Papers with their vectors (row `i` of `docs` is `papers[i]`) as history rows, dated
/// `day` (a digest's day), or each paper's own date when `day` is `None` (a backfill).
pub fn history_rows<'a>(
    papers: &[Paper],
    docs: &'a ndarray::Array2<f32>,
    day: Option<&str>,
) -> Vec<(PastPaper, &'a [f32])> {
    papers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let past = PastPaper {
                id: p.id.clone(),
                title: p.title.clone(),
                date: day.map(str::to_owned).or_else(|| p.date.clone()),
            };
            (past, docs.row(i).to_slice().expect("row-major"))
        })
        .collect()
}

/// Scores already-embedded papers (row `i` of `docs` is `papers[i]`), with novelty and
/// repeats when a history is given, in rank order.
pub fn score_embedded(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
    docs: &ndarray::Array2<f32>,
    past: Option<&Past>,
) -> Result<Vec<Entry>, EmbedError> {
    let topics = topic_vectors(embedder, scorer.profile())?;
    let sims = topics.similarities(docs);
    let mut entries: Vec<Entry> = papers
        .iter()
        .zip(scorer.score_all(papers, &sims))
        .map(|(p, scored)| Entry {
            paper: p.clone(),
            scored,
            novelty: None,
            nearest: None,
            repeat_of: None,
        })
        .collect();
    if let Some(past) = past {
        for (i, e) in entries.iter_mut().enumerate() {
            let id = &e.paper.id;
            let seen = past.history.get(id).and_then(|h| h.date.clone());
            if let Some(day) = seen.filter(|d| d.as_str() < past.today) {
                // Announced before: keep its scores for the record, but it is not news.
                e.scored.selected = false;
                e.scored.comment =
                    format!("Repeat: in the history since {day}; {}", e.scored.comment);
                e.repeat_of = Some(day);
                continue;
            }
            let row = docs.row(i);
            let k = scorer.profile().novelty.k;
            // Only earlier days count as the past, so re-running a day gives the same
            // digest even after that day was added to the history.
            let near = past
                .history
                .nearest(row.as_slice().expect("row-major"), k, |h| {
                    h.id != *id && h.date.as_deref().is_some_and(|d| d < past.today)
                });
            let cosines: Vec<f32> = near.iter().map(|n| n.cosine).collect();
            e.novelty = novelty(&cosines, &scorer.profile().novelty);
            if let Some(n) = near.first() {
                e.scored.comment.push_str(&format!(
                    "; nearest past paper: {} \"{}\" (cosine {:.2})",
                    n.paper.id, n.paper.title, n.cosine
                ));
            }
            e.nearest = near.into_iter().next();
        }
    }
    // A stable sort: equal keys (one id listed twice) keep their listing order.
    entries.sort_by(|a, b| rank_cmp((&a.paper, &a.scored), (&b.paper, &b.scored)));
    Ok(entries)
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
    let date = args
        .date
        .clone()
        .or(listing.date.clone())
        .unwrap_or_else(|| chrono::Local::now().format("%Y-%m-%d").to_string());
    let (model_dir, mut embedder) = args.model.load(models_dir)?;
    let mut history = if args.no_history {
        None
    } else {
        let dir = History::dir_for(&args.history, embedder.fingerprint());
        Some(History::open(&dir, embedder.fingerprint(), embedder.dim())?)
    };
    eprintln!(
        "ranking {} papers from {} with {} on {:?} ({threads} threads)",
        listing.papers.len(),
        args.listing.display(),
        model_dir.manifest.name,
        args.model.device
    );
    let scorer = Scorer::new(&profile);
    let docs = embed_papers(&mut embedder, &listing.papers)?;
    let past = history.as_ref().map(|history| Past {
        history,
        today: &date,
    });
    let entries = score_embedded(
        &mut embedder,
        &scorer,
        &listing.papers,
        &docs,
        past.as_ref(),
    )?;
    let digest = Digest {
        date: date.clone(),
        total: listing.entries,
        entries,
        model: model_dir.manifest.name.clone(),
        fingerprint: embedder.fingerprint().to_owned(),
        device: format!("{:?}", args.model.device).to_lowercase(),
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
    // Last, after the digest is safely written: remember the day.
    if let (Some(h), false) = (history.as_mut(), args.no_append) {
        let rows = history_rows(&listing.papers, &docs, Some(&date));
        let added = h.append(&rows)?;
        let indexed = h.build_index(ANN_MIN_ROWS)?;
        eprintln!(
            "history {}: +{added} papers, {} in all{}",
            h.dir().display(),
            h.len(),
            if h.indexed() > 0 {
                format!(", {indexed} added to the ANN index")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
