//! Pipeline: the stages run in order, for each of the three jobs.
//!
//! The stages themselves ([`crate::ingest`], [`crate::embed`], [`crate::score`],
//! [`crate::history`], [`crate::render`]) know nothing of one another; this module is the
//! one place that strings them together, so `rank`, `eval`, `backfill`, the tests and
//! whatever comes next (a learned ranker, a daily fetch) call the same code:
//!
//! - [`rank_day`]: a day's papers → embedded → looked up in the history → scored → a
//!   [`Digest`], and [`remember_day`] appends the day once its digest is written;
//! - [`embed_cached`]: a labelled set's vectors, from an embedding cache where it has them;
//! - [`backfill`]: a corpus of any size streamed into the history, a checkpoint per batch.
//!
//! Nothing here prints or parses flags: progress goes to callbacks, results come back as
//! values, and the command line decides what to show.

pub mod backfill;

use std::collections::HashMap;
use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};

use crate::embed::{EmbedError, Embedder, TextKind};
use crate::history::{History, HistoryError, PastPaper};
use crate::ingest::{IngestError, Paper, PaperId};
use crate::learn::Stored;
use crate::render::{Digest, Entry};
use crate::score::{novelty, rank_cmp, relevance_on, Scorer, TopicVectors};
use crate::topics::Profile;

/// What can stop a pipeline: one of its stages' errors, unchanged.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    History(#[from] HistoryError),
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
) -> Result<Array2<f32>, EmbedError> {
    let texts: Vec<String> = papers.iter().map(Paper::embedding_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    embedder.embed(&refs, TextKind::Document)
}

/// Papers with their vectors (row `i` of `docs` is `papers[i]`) as history rows, dated
/// `day` (a digest's day), or each paper's own date when `day` is `None` (a backfill).
pub fn history_rows<'a>(
    papers: &[Paper],
    docs: &'a Array2<f32>,
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

/// Scores already-embedded papers (row `i` of `docs` is `papers[i]`), with novelty and
/// repeats when a history is given, in rank order.
pub fn score_embedded(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
    docs: &Array2<f32>,
    past: Option<&Past>,
) -> Result<Vec<Entry>, EmbedError> {
    score_with(embedder, scorer, papers, docs, past, None)
}

/// [`score_embedded`], with the profile's learned model when it has one: the model's score
/// then sets relevance, the rank and the digest's picks, and the comment says what pushed
/// it; the topic and keyword parts stay in the comment and the digest's `arxrank` block.
pub fn score_with(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
    docs: &Array2<f32>,
    past: Option<&Past>,
    learned: Option<&Stored>,
) -> Result<Vec<Entry>, EmbedError> {
    let topics = topic_vectors(embedder, scorer.profile())?;
    let sims = topics.similarities(docs);
    let mut scored = scorer.score_all(papers, &sims);
    if let Some(model) = learned {
        let profile = scorer.profile();
        let x = crate::learn::features(papers, docs.view(), &sims, scorer);
        let scale = model.scale(profile.scale.select_min);
        let texts: Vec<String> = papers.iter().map(crate::learn::text_of).collect();
        let liked = model.liked_index();
        let closest = liked.closest(docs.view());
        // Counted once for the day: the scores and every comment's words come from these.
        let words = model.model.words(texts.iter().map(String::as_str));
        let learned_scores = model.model.score_words(x.view(), words.as_ref());
        for (i, (s, learned)) in scored.iter_mut().zip(learned_scores).enumerate() {
            s.raw = learned;
            s.relevance = relevance_on(&scale, learned);
            s.selected = s.relevance >= scale.select_min || s.author.is_some();
            let near = match closest[i] {
                Some((pick, cos)) => format!(
                    "; closest past pick: \"{}\" ({}, {}, cosine {cos:.2})",
                    pick.title, pick.id, pick.day
                ),
                None => String::new(),
            };
            s.comment = format!(
                "Learned score {learned:.2} ({}{near}); {}",
                model.explain(x.row(i), words.as_ref().map(|w| w.row(i))),
                s.comment
            );
        }
    }
    let mut entries: Vec<Entry> = papers
        .iter()
        .zip(scored)
        .map(|(p, scored)| Entry {
            paper: p.clone(),
            scored,
            novelty: None,
            nearest: None,
            repeat_of: None,
        })
        .collect();
    if let Some(past) = past {
        look_back(&mut entries, docs.view(), scorer, past);
    }
    // A stable sort: equal keys (one id listed twice) keep their listing order.
    entries.sort_by(|a, b| rank_cmp((&a.paper, &a.scored), (&b.paper, &b.scored)));
    Ok(entries)
}

/// Marks repeats, and measures the other papers' novelty against the papers of earlier
/// days: one batched search for the whole day (row `i` of `vectors` is `entries[i]`).
fn look_back(entries: &mut [Entry], vectors: ArrayView2<'_, f32>, scorer: &Scorer, past: &Past) {
    let mut fresh = Vec::new();
    for (i, e) in entries.iter_mut().enumerate() {
        let seen = past.history.get(&e.paper.id).and_then(|h| h.date.clone());
        if let Some(day) = seen.filter(|d| d.as_str() < past.today) {
            // Announced before: keep its scores for the record, but it is not news.
            e.scored.selected = false;
            e.scored.comment = format!("Repeat: in the history since {day}; {}", e.scored.comment);
            e.repeat_of = Some(day);
        } else {
            fresh.push(i);
        }
    }
    let k = scorer.profile().novelty.k;
    let ids: Vec<PaperId> = fresh.iter().map(|&i| entries[i].paper.id.clone()).collect();
    let queries = vectors.select(Axis(0), &fresh);
    // Only earlier days count as the past, so re-running a day gives the same digest even
    // after that day was added to the history.
    let found = past.history.nearest_many(queries.view(), k, |q, h| {
        h.id != ids[q] && h.date.as_deref().is_some_and(|d| d < past.today)
    });
    for (&i, near) in fresh.iter().zip(found) {
        let e = &mut entries[i];
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

/// What ranks a day besides its papers: who ran it, against what, and since when.
pub struct DayRun<'a> {
    /// The digest's day (`YYYY-MM-DD`).
    pub date: &'a str,
    /// Where the day came from (`--date`, the listing, the file name, today).
    pub date_from: &'a str,
    /// Entries in the listing before filtering by announce type and dedupe.
    pub listed: usize,
    pub profile: &'a Profile,
    /// The model's name and the device it ran on, for the digest's header.
    pub model: &'a str,
    pub device: &'a str,
    /// The history to measure novelty and repeats against, if any.
    pub history: Option<&'a History>,
    /// The profile's learned model, if it has one and it is wanted.
    pub learned: Option<&'a Stored>,
    /// When the run began: the digest reports the time from reading to scoring.
    pub start: Instant,
}

/// A ranked day and the papers' vectors (row `i` is `papers[i]`), which
/// [`remember_day`] stores once the digest is written.
pub struct RankedDay {
    pub digest: Digest,
    pub vectors: Array2<f32>,
}

/// Embeds and scores a day's papers against the profile and the history.
pub fn rank_day(
    embedder: &mut dyn Embedder,
    papers: &[Paper],
    run: &DayRun,
) -> Result<RankedDay, EmbedError> {
    let scorer = Scorer::new(run.profile);
    let vectors = embed_papers(embedder, papers)?;
    let past = run.history.map(|history| Past {
        history,
        today: run.date,
    });
    let entries = score_with(
        embedder,
        &scorer,
        papers,
        &vectors,
        past.as_ref(),
        run.learned,
    )?;
    let digest = Digest {
        date: run.date.to_owned(),
        total: run.listed,
        entries,
        model: run.model.to_owned(),
        fingerprint: embedder.fingerprint().to_owned(),
        device: run.device.to_owned(),
        profile: run.profile.name.clone(),
        tokens: embedder.tokens_processed(),
        seconds: run.start.elapsed().as_secs_f64(),
        author_score: run.profile.digest.author_score,
        date_from: run.date_from.to_owned(),
    };
    Ok(RankedDay { digest, vectors })
}

/// What [`remember_day`] added to the history.
#[derive(Debug, Clone, Copy)]
pub struct Remembered {
    pub added: usize,
    /// Papers added to the ANN index (0 while the history is below `ann_min_rows`).
    pub indexed: usize,
}

/// Appends a ranked day to the history, then extends its ANN index once the history holds
/// `ann_min_rows` papers. Called last, after the digest is written, so a failed write
/// never leaves a day in the history that has no digest.
pub fn remember_day(
    history: &mut History,
    papers: &[Paper],
    vectors: &Array2<f32>,
    date: &str,
    ann_min_rows: usize,
) -> Result<Remembered, HistoryError> {
    let added = history.append(&history_rows(papers, vectors, Some(date)))?;
    let indexed = history.build_index(ann_min_rows)?;
    Ok(Remembered { added, indexed })
}

/// A set's vectors and where they came from.
pub struct Cached {
    /// Row `i` is `papers[i]`.
    pub vectors: Array2<f32>,
    /// Texts the model embedded (a paper listed twice is embedded once).
    pub embedded: usize,
    /// Rows taken from the cache.
    pub hits: usize,
}

/// The papers' vectors: from the cache where it holds the paper with the same title, from
/// the model otherwise; new vectors are added to the cache, so a rerun embeds nothing.
/// Without a cache every paper is embedded.
pub fn embed_cached(
    embedder: &mut dyn Embedder,
    papers: &[Paper],
    cache: Option<&mut History>,
) -> Result<Cached, PipelineError> {
    let Some(cache) = cache else {
        return Ok(Cached {
            vectors: embed_papers(embedder, papers)?,
            embedded: papers.len(),
            hits: 0,
        });
    };
    // Per paper: None for a cache hit, or its row among the texts to embed. A text listed
    // twice (one paper on two days) is embedded once.
    let mut missing: Vec<Paper> = Vec::new();
    let mut row_of: HashMap<(&PaperId, &str), usize> = HashMap::new();
    let source: Vec<Option<usize>> = papers
        .iter()
        .map(|p| {
            if cache.get(&p.id).is_some_and(|c| c.title == p.title) {
                return None;
            }
            Some(*row_of.entry((&p.id, &p.title)).or_insert_with(|| {
                missing.push(p.clone());
                missing.len() - 1
            }))
        })
        .collect();
    let fresh = embed_papers(embedder, &missing)?;
    let mut vectors = Array2::zeros((papers.len(), embedder.dim()));
    for ((p, src), mut dst) in papers.iter().zip(&source).zip(vectors.rows_mut()) {
        match src {
            Some(r) => dst.assign(&fresh.row(*r)),
            None => dst.assign(&ndarray::ArrayView1::from(
                &*cache.vector(&p.id).expect("a cache hit"),
            )),
        }
    }
    if !missing.is_empty() {
        // A paper re-embedded because its title changed keeps its old cache row (append
        // skips stored ids), so it is embedded again next time.
        cache.append(&history_rows(&missing, &fresh, None))?;
    }
    Ok(Cached {
        vectors,
        embedded: missing.len(),
        hits: source.iter().filter(|s| s.is_none()).count(),
    })
}
