//! Pipeline: the stages run in order, for each of the three jobs.
//!
//! The stages themselves ([`crate::ingest`], [`crate::embed`], [`crate::score`],
//! [`crate::history`], [`crate::render`]) know nothing of one another; this module is the
//! one place that strings them together, so `rank`, `eval`, `backfill`, the tests and
//! whatever comes next (a learned ranker, a daily fetch) call the same code:
//!
//! - [`rank_day`]: a day's papers → embedded → looked up in the history (both once) →
//!   scored for each profile → a [`Digest`] each, and [`remember_day`] appends the day once
//!   its digests are written;
//! - [`embed_cached`]: a labelled set's vectors, from an embedding cache where it has them;
//! - [`backfill`]: a corpus of any size streamed into the history, a checkpoint per batch.
//!
//! Nothing here prints or parses flags: progress goes to callbacks, results come back as
//! values, and the command line decides what to show.

pub mod backfill;
pub mod day;
pub mod reader;
pub mod search;
pub mod teach;
pub mod train;

use std::collections::HashMap;
use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};

use crate::embed::{EmbedError, Embedder, TextKind};
use crate::history::{History, HistoryError, Neighbour, PastPaper};
use crate::ingest::{Day, DaySource, IngestError, Paper, PaperId};
use crate::learn::Stored;
use crate::render::{round4, ClosestPick, Digest, Entry, LearnedWhy};
use crate::score::{novelty, rank_cmp, relevance_on, MarkVectors, Scorer, TopicVectors};
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
    #[error(transparent)]
    Learn(#[from] crate::learn::LearnError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
    #[error(transparent)]
    Io(#[from] crate::fsutil::IoError),
    /// Boxed: it can carry an ingest, history or embed error of its own.
    #[error(transparent)]
    Labels(#[from] Box<crate::labels::LabelsError>),
}

/// An error type that wraps each stage's error, as the command line's and eval's do, each
/// to give bad input its exit code: [`PipelineError::flatten`] turns a pipeline error into
/// the variant of the stage it came from, one rule for both.
pub trait StageError:
    From<IngestError>
    + From<EmbedError>
    + From<HistoryError>
    + From<crate::learn::LearnError>
    + From<crate::render::RenderError>
    + From<crate::labels::LabelsError>
    + From<crate::fsutil::IoError>
{
    /// A mistake in how the job was asked for.
    fn usage(message: String) -> Self;
}

impl PipelineError {
    /// The stage's own error inside, as `E` wraps it.
    pub fn flatten<E: StageError>(self) -> E {
        match self {
            PipelineError::Ingest(e) => e.into(),
            PipelineError::Embed(e) => e.into(),
            PipelineError::History(e) => e.into(),
            PipelineError::Learn(e) => e.into(),
            PipelineError::Usage(m) => E::usage(m),
            PipelineError::Render(e) => e.into(),
            PipelineError::Labels(e) => (*e).into(),
            PipelineError::Io(e) => e.into(),
        }
    }
}

/// The history as seen from one digest day.
pub struct Past<'a> {
    pub history: &'a History,
    /// The digest's day: a paper the history saw on an earlier day is a repeat.
    pub today: Day,
}

/// A day looked up in the history: each paper's earlier day when it is a repeat, else its
/// `k` nearest papers of earlier days. Looked up once, however many profiles rank the day:
/// a profile that keeps fewer neighbours reads the first of them.
pub struct Lookback {
    repeat_of: Vec<Option<Day>>,
    nearest: Vec<Vec<Neighbour>>,
}

impl Past<'_> {
    /// Looks `papers` (row `i` of `vectors` is `papers[i]`) up: one batched search for the
    /// whole day. Only earlier days count as the past, so ranking a day again gives the
    /// same digest even after that day was added to the history.
    pub fn look_up(&self, papers: &[Paper], vectors: ArrayView2<'_, f32>, k: usize) -> Lookback {
        let repeat_of: Vec<Option<Day>> = papers
            .iter()
            .map(|p| {
                let seen = self.history.get(&p.id).and_then(|h| h.date);
                seen.filter(|&d| d < self.today)
            })
            .collect();
        let fresh: Vec<usize> = (0..papers.len())
            .filter(|&i| repeat_of[i].is_none())
            .collect();
        let ids: Vec<&PaperId> = fresh.iter().map(|&i| &papers[i].id).collect();
        let queries = vectors.select(Axis(0), &fresh);
        let found = self.history.nearest_many(queries.view(), k, |q, h| {
            &h.id != ids[q] && h.date.is_some_and(|d| d < self.today)
        });
        let mut nearest = vec![Vec::new(); papers.len()];
        for (&i, near) in fresh.iter().zip(found) {
            nearest[i] = near;
        }
        Lookback { repeat_of, nearest }
    }
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

/// Texts embedded a chunk at a time and written to `out` as JSON lines (`id` when the
/// text has one, then `embedding`), so the output never sits whole in memory; an embedding
/// error stops the write and leaves no output file.
pub fn embed_texts_to(
    embedder: &mut dyn Embedder,
    items: &[crate::ingest::Text],
    kind: TextKind,
    out: &std::path::Path,
) -> Result<(), PipelineError> {
    /// Texts per call of the embedder: enough to keep a GPU's batches full, few enough that
    /// the vectors of one chunk are small.
    const CHUNK: usize = 16_384;
    let texts: Vec<&str> = items.iter().map(|i| i.text.as_str()).collect();
    let mut failed = None;
    let written = crate::fsutil::write_atomic_with(out, |w| {
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
                crate::history::write_vector_line(w, fields, &row.to_vec())?;
            }
        }
        Ok(())
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(written?)
}

/// A day's vectors: a paper the history stored on this very day, under the same title and
/// in f32, was embedded when the day was first ranked, and its stored vector is the one the
/// model gives again, bit for bit; every other paper is embedded. So ranking a day again
/// (after `learn`, or with another profile) costs no embedding, and gives what a fresh run
/// would.
pub fn embed_day(
    embedder: &mut dyn Embedder,
    papers: &[Paper],
    history: Option<&History>,
    today: Day,
) -> Result<Array2<f32>, EmbedError> {
    let stored = |p: &Paper| {
        let h = history.filter(|h| h.precision() == crate::history::StoragePrecision::F32)?;
        let past = h.get(&p.id)?;
        (past.date == Some(today) && past.title == p.title)
            .then(|| h.vector(&p.id))
            .flatten()
    };
    let known: Vec<_> = papers.iter().map(stored).collect();
    let missing: Vec<Paper> = papers
        .iter()
        .zip(&known)
        .filter(|(_, k)| k.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    if missing.len() == papers.len() {
        return embed_papers(embedder, papers);
    }
    let fresh = embed_papers(embedder, &missing)?;
    let mut out = Array2::zeros((papers.len(), embedder.dim()));
    let mut next = 0;
    for (mut row, k) in out.rows_mut().into_iter().zip(&known) {
        match k {
            Some(v) => row.assign(&ndarray::ArrayView1::from(&**v)),
            None => {
                row.assign(&fresh.row(next));
                next += 1;
            }
        }
    }
    Ok(out)
}

/// Papers with their vectors (row `i` of `docs` is `papers[i]`) as history rows, dated
/// `day` (a digest's day), or each paper's own date when `day` is `None` (a backfill).
pub fn history_rows<'a>(
    papers: &[Paper],
    docs: &'a Array2<f32>,
    day: Option<Day>,
) -> Vec<(PastPaper, &'a [f32])> {
    papers
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let past = PastPaper {
                id: p.id.clone(),
                title: p.title.clone(),
                date: day.or(p.date),
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
    let k = scorer.profile().novelty.k;
    let lookback = past.map(|p| p.look_up(papers, docs.view(), k));
    score_with(embedder, scorer, papers, docs, lookback.as_ref(), None)
}

/// [`score_embedded`], with the profile's learned model when it has one. Its ranker (if
/// any) replaces the hand-set score: its score sets relevance, the rank and the digest's
/// picks, and the comment says what pushed it. Its marks (if any) move whichever score
/// ranks: the hand-set one directly (the likes are one more topic, the dislikes anchors to
/// keep away from), the ranker's by the same amount on its own scale.
pub fn score_with(
    embedder: &mut dyn Embedder,
    scorer: &Scorer,
    papers: &[Paper],
    docs: &Array2<f32>,
    past: Option<&Lookback>,
    learned: Option<&Stored>,
) -> Result<Vec<Entry>, EmbedError> {
    let topics = topic_vectors(embedder, scorer.profile())?;
    let plain = topics.similarities(docs);
    // With marks, the scorer and similarities that know them; the ranker still reads the
    // plain similarities, as it was trained on them.
    // A model of the marks ranks by itself (below); a file from before there was one has
    // its marks move the hand-set score as anchors.
    let reader = learned.and_then(|m| Some((m.reader.as_ref()?, &m.marks)));
    let marked = learned
        .filter(|_| reader.is_none())
        .map(|m| &m.marks)
        .filter(|m| !m.is_empty())
        .map(|m| {
            let (likes, dislikes) = m.vectors(docs.ncols());
            let mut sims = plain.clone();
            sims.set_marks(MarkVectors { likes, dislikes }.closest(docs.view()));
            let names = |it: &mut dyn Iterator<Item = &crate::learn::stored::Mark>| {
                it.map(|m| (m.id.clone(), m.title.clone())).collect()
            };
            let scorer = scorer
                .clone()
                .with_marks(names(&mut m.likes()), names(&mut m.dislikes()));
            (scorer, sims)
        });
    let (scorer, sims) = match &marked {
        Some((scorer, sims)) => (scorer, sims),
        None => (scorer, &plain),
    };
    let mut scored = scorer.score_all(papers, sims);
    let mut why = vec![None; papers.len()];
    let ranker = learned.and_then(|m| m.ranker.as_ref());
    if let Some(ranker) = ranker {
        why = rank_learned(ranker, scorer, papers, docs, &plain, &mut scored);
    }
    if let Some((fitted, marks)) = reader {
        let day = (papers, docs.view(), &plain);
        reader::rank_by_marks(fitted, marks, scorer, day, ranker, &mut scored);
    }
    let mut entries: Vec<Entry> = papers
        .iter()
        .zip(scored)
        .zip(why)
        .map(|((p, scored), learned)| Entry {
            paper: p.clone(),
            scored,
            novelty: None,
            nearest: None,
            repeat_of: None,
            learned,
            ask: false,
        })
        .collect();
    if let Some(past) = past {
        look_back(&mut entries, scorer, past);
    }
    // A stable sort: equal keys (one id listed twice) keep their listing order.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&entries[a], &entries[b]);
        rank_cmp((&a.paper, &a.scored), (&b.paper, &b.scored))
    });
    let asked = ask_about(&entries, &order, docs, learned, scorer.profile().digest.ask);
    let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let mut entries: Vec<Entry> = order
        .iter()
        .map(|&i| slots[i].take().expect("once"))
        .collect();
    for place in asked {
        entries[place].ask = true;
    }
    Ok(entries)
}

/// The places (in rank order) of the papers the digest asks the reader about: chosen by
/// [`crate::score::questions`] among the papers that are not picks, repeats or already
/// marked, from the line down.
fn ask_about(
    entries: &[Entry],
    order: &[usize],
    docs: &Array2<f32>,
    learned: Option<&Stored>,
    n: usize,
) -> Vec<usize> {
    let marked: std::collections::HashSet<&PaperId> = learned
        .map(|m| m.marks.papers.iter().map(|p| &p.id).collect())
        .unwrap_or_default();
    let open: Vec<usize> = (0..order.len())
        .filter(|&place| {
            let e = &entries[order[place]];
            !e.scored.selected && e.repeat_of.is_none() && !marked.contains(&e.paper.id)
        })
        .collect();
    let rows: Vec<_> = open.iter().map(|&place| docs.row(order[place])).collect();
    crate::score::questions(&rows, n)
        .into_iter()
        .map(|k| open[k])
        .collect()
}

/// Ranks with the learned ranker: each paper's learned score, moved by what the reader's
/// marks did to its hand-set score (`scored` holds the hand-set scores with the marks,
/// `plain` the similarities without them, as the ranker was trained), becomes its raw score
/// and relevance; the comment leads with why. Returns each paper's explanation.
fn rank_learned(
    ranker: &crate::learn::stored::RankerModel,
    scorer: &Scorer,
    papers: &[Paper],
    docs: &Array2<f32>,
    plain: &crate::score::Similarities,
    scored: &mut [crate::score::Scored],
) -> Vec<Option<LearnedWhy>> {
    let profile = scorer.profile();
    let dim = docs.ncols();
    let x = crate::learn::features(papers, docs.view(), plain, scorer);
    let scale = ranker.scale(profile.scale.select_min);
    // The hand-set scale's units to the ranker's: a move of the marks by one relevance
    // step on one is a step on the other.
    let units =
        (ranker.raw_at_10 - ranker.raw_at_1) / (profile.scale.raw_at_10 - profile.scale.raw_at_1);
    let texts: Vec<String> = papers.iter().map(crate::learn::text_of).collect();
    let liked = ranker.liked_index(dim);
    let closest = liked.closest(docs.view());
    // Counted once for the day: the scores and every comment's words come from these.
    let words = ranker.model.words(texts.iter().map(String::as_str));
    let learned_scores = ranker.model.score_words(x.view(), words.as_ref());
    let mut out = Vec::with_capacity(papers.len());
    for (i, (s, learned)) in scored.iter_mut().zip(learned_scores).enumerate() {
        // Column `dim` is the hand-set score without the marks.
        let moved = (s.raw - x[[i, dim]]) * units;
        let raw = learned + moved;
        s.raw = raw;
        s.relevance = relevance_on(&scale, raw);
        s.selected = s.selects(scale.select_min, &papers[i].id);
        let mut explained = ranker.explain(dim, x.row(i), words.as_ref().map(|w| w.row(i)));
        if moved != 0.0 {
            // What the reader's marks did is a part of the score like any other.
            explained.parts.push(("your marks".into(), moved));
            explained
                .parts
                .sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        }
        let pick = closest[i].map(|(p, cos)| ClosestPick {
            id: p.id.clone(),
            title: p.title.clone(),
            day: p.day.to_string(),
            cosine: round4(cos),
        });
        let why = LearnedWhy {
            score: round4(learned),
            push: explained
                .parts
                .iter()
                .take(5)
                .map(|(n, c)| (n.clone(), round4(*c)))
                .collect(),
            words: explained.words.clone(),
            closest_pick: pick,
        };
        s.comment = format!(
            "{}. {}",
            learned_comment(&why, s.relevance, scale.select_min),
            s.comment
        );
        out.push(Some(why));
    }
    out
}

/// What a part of the learned score is, in a reader's words.
fn part_words(part: &str) -> &str {
    match part {
        "vector like past picks" => "content like that of past picks",
        "words" => "its words",
        "hybrid score" => "the profile's topics and keywords",
        "best topic cosine" => "closeness to a topic",
        "second anchor cosine" => "closeness to a second sub-area",
        "negative anchor cosine" => "closeness to unwanted work",
        "lexical (BM25)" => "the topics' terms",
        "keywords matched" => "its keywords",
        "keyword in the title" => "a keyword in its title",
        "penalty keywords" => "off-topic keywords",
        "author match" => "an author you follow",
        "your marks" => "papers you marked",
        other => other,
    }
}

/// The learned score's verdict and its two strongest reasons, in a sentence.
fn learned_comment(why: &LearnedWhy, relevance: u8, select_min: u8) -> String {
    let verdict = if relevance >= select_min {
        "a likely pick"
    } else if relevance + 3 >= select_min {
        "a possible pick"
    } else {
        "an unlikely pick"
    };
    // The reasons that push the way of the verdict.
    let up = relevance + 3 >= select_min;
    let reasons: Vec<String> = why
        .push
        .iter()
        .filter(|(_, c)| if up { *c > 0.0 } else { *c < 0.0 })
        .take(2)
        .map(|(n, _)| match n.as_str() {
            "words" if !why.words.is_empty() => {
                format!("its words ({})", why.words.join(", "))
            }
            n => part_words(n).to_owned(),
        })
        .collect();
    let mut s = format!("Learned from past picks: {verdict}");
    if !reasons.is_empty() {
        s.push_str(&format!(
            ", {} {}",
            if up { "mostly for" } else { "mostly against" },
            reasons.join(" and ")
        ));
    }
    if let Some(p) = &why.closest_pick {
        s.push_str(&format!("; closest past pick: \"{}\" ({})", p.title, p.day));
    }
    s
}

/// Marks repeats, and measures the other papers' novelty by the profile's `k` nearest
/// past papers (row `i` of `past` is `entries[i]`, in listing order).
fn look_back(entries: &mut [Entry], scorer: &Scorer, past: &Lookback) {
    let k = scorer.profile().novelty.k;
    for (i, e) in entries.iter_mut().enumerate() {
        if let Some(day) = past.repeat_of[i] {
            // Announced before: keep its scores for the record, but it is not news.
            e.scored.selected = false;
            e.scored.comment = format!("Repeat: in the history since {day}; {}", e.scored.comment);
            e.repeat_of = Some(day);
            continue;
        }
        let near = &past.nearest[i][..past.nearest[i].len().min(k)];
        let cosines: Vec<f32> = near.iter().map(|n| n.cosine).collect();
        e.novelty = novelty(&cosines, &scorer.profile().novelty);
        if let Some(n) = near.first() {
            e.scored.comment.push_str(&format!(
                "; nearest past paper: {} \"{}\" (cosine {:.2})",
                n.paper.id, n.paper.title, n.cosine
            ));
        }
        e.nearest = near.first().cloned();
    }
}

/// The profile's learned model as a day's ranking sees it: the model to rank with (if
/// any), what `run.json` records, and why a model that is there could not be used.
pub struct LearnedForDay {
    pub model: Option<Stored>,
    pub ranked_with: crate::render::RankedWith,
    pub error: Option<crate::learn::LearnError>,
}

/// Reads the profile's learned model for ranking a day (unless `use_learned` is off or the
/// profile is not a folder) and stamps the profile and model for `run.json`. A model that
/// cannot be used is not an error here: the caller decides whether to stop (`rank`) or to
/// rank with the hand-set profile and say so (`daily`).
pub fn learned_for_day(
    topics: &std::path::Path,
    authors: Option<&std::path::Path>,
    use_learned: bool,
    fingerprint: &str,
) -> Result<LearnedForDay, crate::topics::TopicsError> {
    let profile_sha256 = crate::topics::profile_sha256(topics, authors)?;
    let path = Stored::path(topics);
    let present = topics.is_dir() && path.is_file();
    let learned_sha256 = if use_learned && present {
        Some(crate::fsutil::sha256_file(&path).map_err(crate::fsutil::IoError::read(&path))?)
    } else {
        None
    };
    let (model, error) = match &learned_sha256 {
        Some(_) => match Stored::load(topics, fingerprint) {
            Ok(m) => (m, None),
            Err(e) => (None, Some(e)),
        },
        None => (None, None),
    };
    let learned = match (&model, &error) {
        (Some(m), _) => m.summary(),
        (None, Some(e)) => {
            format!("the hand-set profile (the learned model could not be used: {e})")
        }
        (None, None) if present => "the hand-set profile (--no-learned)".into(),
        (None, None) => "the hand-set profile".into(),
    };
    Ok(LearnedForDay {
        ranked_with: crate::render::RankedWith {
            profile_sha256,
            learned_sha256,
            learned,
            learned_used: model.is_some(),
        },
        model,
        error,
    })
}

/// What ranks a day besides its papers and profiles: who ran it, against what, and since
/// when.
pub struct DayRun<'a> {
    /// The digest's day.
    pub date: Day,
    /// Where the day came from (`--date`, the listing, the file name, today).
    pub date_from: DaySource,
    /// Entries in the listing before filtering by announce type and dedupe.
    pub listed: usize,
    /// The model's name and the device it ran on, for the digest's header.
    pub model: &'a str,
    pub device: &'a str,
    /// The history to measure novelty and repeats against, if any.
    pub history: Option<&'a History>,
    /// When the run began: each digest reports the time from reading to its scoring.
    pub start: Instant,
}

/// One profile a day is ranked for.
pub struct ProfileRun<'a> {
    pub profile: &'a Profile,
    /// The profile's learned model, if it has one and it is wanted.
    pub learned: Option<&'a Stored>,
    /// What it is ranked with, recorded in `run.json`.
    pub ranked_with: Option<crate::render::RankedWith>,
}

/// A ranked day: a digest per profile, the papers' vectors (row `i` is `papers[i]`), which
/// [`remember_day`] stores once the digests are written, and where the time went.
pub struct RankedDay {
    pub digests: Vec<Digest>,
    pub vectors: Array2<f32>,
    pub stages: Stages,
}

/// Seconds spent in each stage of ranking a day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stages {
    /// Embedding the day's papers (once for every profile).
    pub embed: f64,
    /// Looking the day up in the history (once for every profile).
    pub history: f64,
    /// Scoring for each profile: its topics embedded, its learned model, its ranking.
    pub score: Vec<f64>,
}

/// Embeds a day's papers once, looks them up in the history once, and scores them for
/// each profile: one digest per profile, in the order given.
pub fn rank_day(
    embedder: &mut dyn Embedder,
    papers: &[Paper],
    run: &DayRun,
    profiles: &[ProfileRun],
) -> Result<RankedDay, EmbedError> {
    let mut stages = Stages::default();
    let clock = Instant::now();
    let vectors = embed_day(embedder, papers, run.history, run.date)?;
    stages.embed = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let k = profiles.iter().map(|p| p.profile.novelty.k).max();
    let lookback = run.history.zip(k).map(|(history, k)| {
        let past = Past {
            history,
            today: run.date,
        };
        past.look_up(papers, vectors.view(), k)
    });
    stages.history = clock.elapsed().as_secs_f64();
    let mut digests = Vec::with_capacity(profiles.len());
    for p in profiles {
        let clock = Instant::now();
        let scorer = Scorer::new(p.profile);
        let entries = score_with(
            embedder,
            &scorer,
            papers,
            &vectors,
            lookback.as_ref(),
            p.learned,
        )?;
        digests.push(Digest {
            date: run.date,
            total: run.listed,
            entries,
            model: run.model.to_owned(),
            fingerprint: embedder.fingerprint().to_owned(),
            device: run.device.to_owned(),
            profile: p.profile.name.clone(),
            tokens: embedder.tokens_processed(),
            seconds: run.start.elapsed().as_secs_f64(),
            author_score: p.profile.digest.author_score,
            date_from: run.date_from,
            ranked_with: p.ranked_with.clone(),
        });
        stages.score.push(clock.elapsed().as_secs_f64());
    }
    Ok(RankedDay {
        digests,
        vectors,
        stages,
    })
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
    date: Day,
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
