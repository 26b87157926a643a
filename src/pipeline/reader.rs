//! The reader's marks as a model ([`crate::learn::reader`]), trained and used as `eval
//! --simulate-reader` measures it: trained by `learn --feedback` (and so by `daily` when the
//! feedback log changed) on every paper of the days the reader marked, each mark at full
//! weight and each paper shown and left unmarked as a weak negative; used by `rank` and
//! `daily` in place of the score the profile ranks by without marks, which is its prior.

use std::collections::{BTreeSet, HashMap, HashSet};

use ndarray::{concatenate, Array1, Array2, ArrayView2, Axis};

use super::{embed_papers, topic_vectors, PipelineError};
use crate::embed::Embedder;
use crate::history::History;
use crate::ingest::Day;
use crate::ingest::{Paper, PaperId};
use crate::labels::sources::{title_only, Known};
use crate::learn::reader::{
    fit, interest_models, mark_columns, seen_rows, within_interests, InterestModel, InterestRows,
    Prior, ReaderModel,
};
use crate::learn::stored::{Marks, RankerModel, ReaderFit};
use crate::score::{Scorer, Similarities};
use crate::topics::Profile;

/// The papers a model of the marks trains on: each with its vector, label and weight.
#[derive(Default)]
struct Rows {
    papers: Vec<Paper>,
    /// The history's vector of each paper, where it has one (the rest are embedded).
    vectors: Vec<Option<Vec<f32>>>,
    liked: Vec<bool>,
    weights: Vec<f32>,
    /// The day each row was marked on (or shown on).
    days: Vec<Day>,
}

/// Trains the model of `marks` on the days they were made on: each day's digest papers from
/// `known` (in its rank order, with its picks), their vectors from `history` or embedded.
/// A mark whose day no digest covers trains on itself alone. `ranker` is the profile's
/// learned ranker, whose score is then the prior.
pub fn fit_marks(
    embedder: &mut dyn Embedder,
    profile: &Profile,
    marks: &Marks,
    (known, history): (&Known, Option<&History>),
    ranker: Option<&RankerModel>,
) -> Result<Option<ReaderFit>, PipelineError> {
    if marks.is_empty() {
        return Ok(None);
    }
    let dim = embedder.dim();
    let rows = training_rows(marks, known, history, dim);
    let missing: Vec<usize> = (0..rows.papers.len())
        .filter(|&i| rows.vectors[i].is_none())
        .collect();
    let mut vectors = Array2::zeros((rows.papers.len(), dim));
    for (i, v) in rows.vectors.iter().enumerate() {
        if let Some(v) = v {
            vectors.row_mut(i).assign(&Array1::from(v.clone()));
        }
    }
    if !missing.is_empty() {
        let papers: Vec<Paper> = missing.iter().map(|&i| rows.papers[i].clone()).collect();
        let embedded = embed_papers(embedder, &papers)?;
        for (k, &i) in missing.iter().enumerate() {
            vectors.row_mut(i).assign(&embedded.row(k));
        }
    }
    let sims = topic_vectors(embedder, profile)?.similarities(&vectors);
    let scorer = Scorer::new(profile);
    let day = (rows.papers.as_slice(), vectors.view(), &sims);
    let ranker_scores = |x: ArrayView2<f32>| {
        ranker.map(|r| {
            let texts: Vec<String> = rows.papers.iter().map(crate::learn::text_of).collect();
            let words = r.model.words(texts.iter().map(String::as_str));
            r.model.score_words(x, words.as_ref())
        })
    };
    let (x, prior) = design(day, &scorer, ranker_scores, marks);
    let model = fit(x.view(), &rows.liked, &rows.weights, prior);
    let topic_of = sims.closest_topics();
    let interest_rows = InterestRows {
        x: x.view(),
        y: &rows.liked,
        w: &rows.weights,
        day: &rows.days,
        topic_of: &topic_of,
    };
    let topics = &profile.topics;
    let interests = interest_models(&interest_rows, topics.len(), prior, &model)
        .into_iter()
        .zip(topics)
        .filter_map(|(m, t)| {
            m.map(|model| InterestModel {
                topic: t.name.clone(),
                model,
            })
        })
        .collect();
    Ok(Some(ReaderFit {
        model,
        interests,
        days: marks
            .papers
            .iter()
            .map(|m| m.day)
            .collect::<BTreeSet<_>>()
            .len(),
        papers: rows.papers.len(),
        over_ranker: ranker.is_some(),
    }))
}

/// Every paper of each marked day, as [`seen_rows`] weighs it.
fn training_rows(marks: &Marks, known: &Known, history: Option<&History>, dim: usize) -> Rows {
    let mut rows = Rows::default();
    let by_id: HashMap<&PaperId, &crate::learn::stored::Mark> =
        marks.papers.iter().map(|m| (&m.id, m)).collect();
    let mut placed: HashSet<&PaperId> = HashSet::new();
    let days: BTreeSet<_> = marks.papers.iter().map(|m| m.day).collect();
    for day in days {
        let papers = known.day(day);
        let marked: HashSet<usize> = (0..papers.len())
            .filter(|&i| by_id.get(&papers[i].id).is_some_and(|m| m.day == day))
            .collect();
        if marked.is_empty() {
            continue;
        }
        let picks = known.picks(day).unwrap_or(marked.len()).max(1);
        let order: Vec<usize> = (0..papers.len()).collect();
        for (i, weight) in seen_rows(&order, &marked, picks) {
            let p = &papers[i];
            let mark = marked.contains(&i).then(|| by_id[&p.id]);
            if let Some(m) = mark {
                placed.insert(&m.id);
            }
            rows.papers.push(p.clone());
            rows.vectors.push(
                mark.and_then(|m| m.decode(dim))
                    .or_else(|| history.and_then(|h| h.vector(&p.id)).map(|v| v.to_vec())),
            );
            rows.liked.push(mark.is_some_and(|m| m.liked));
            rows.weights.push(weight);
            rows.days.push(day);
        }
    }
    // Marks on days no digest read here covers: the marked paper alone, by its title.
    for m in marks.papers.iter().filter(|m| !placed.contains(&m.id)) {
        rows.papers.push(title_only(&m.id, &m.title, Some(m.day)));
        rows.vectors.push(m.decode(dim));
        rows.liked.push(m.liked);
        rows.weights.push(1.0);
        rows.days.push(m.day);
    }
    rows
}

/// The features the model of the marks reads: the ranker's ([`crate::learn::features`]),
/// the ranker's score when there is one, and the closeness to the liked and disliked papers
/// (a marked paper's own mark left out); with the prior on the score that ranks without
/// marks, given the ranker's features by `ranker_scores`. `fit_marks` and `rank_by_marks`
/// both build it here, so they read the same columns.
fn design(
    (papers, vectors, sims): (&[Paper], ArrayView2<f32>, &Similarities),
    scorer: &Scorer,
    ranker_scores: impl FnOnce(ArrayView2<f32>) -> Option<Vec<f32>>,
    marks: &Marks,
) -> (Array2<f32>, Prior) {
    let mut x = crate::learn::features(papers, vectors, sims, scorer);
    let mut prior = Prior::on(vectors.ncols());
    if let Some(scores) = ranker_scores(x.view()) {
        prior = Prior::on(x.ncols());
        x = concatenate![Axis(1), x, Array1::from(scores).insert_axis(Axis(1))];
    }
    let m = columns_of_marks(papers, vectors, marks);
    (concatenate![Axis(1), x, m], prior)
}

/// Each paper's greatest cosine to a liked and to a disliked paper, its own mark left out.
fn columns_of_marks(papers: &[Paper], vectors: ArrayView2<f32>, marks: &Marks) -> Array2<f32> {
    let (likes, dislikes) = marks.vectors(vectors.ncols());
    let like_ids: Vec<&PaperId> = marks.likes().map(|m| &m.id).collect();
    let dislike_ids: Vec<&PaperId> = marks.dislikes().map(|m| &m.id).collect();
    let same = |r: usize, liked: bool, a: usize| {
        papers[r].id == *if liked { like_ids[a] } else { dislike_ids[a] }
    };
    mark_columns(vectors, (likes.view(), dislikes.view()), same)
}

/// Reorders each interest's papers among `open` by its own model, where the marks trained
/// one (within the places `model` gives them); returns, per paper, the interest whose own
/// model ordered it.
fn by_interests<'a>(
    fitted: &'a ReaderFit,
    scorer: &Scorer,
    (x, sims): (&Array2<f32>, &Similarities),
    model: &mut [f32],
    open: &[usize],
) -> Vec<Option<&'a str>> {
    if fitted.interests.is_empty() {
        return vec![None; model.len()];
    }
    let topic_of = sims.closest_topics();
    let own: Vec<Option<&InterestModel>> = (scorer.profile().topics.iter())
        .map(|t| fitted.interests.iter().find(|i| i.topic == t.name))
        .collect();
    let models: Vec<Option<&ReaderModel>> = own.iter().map(|o| o.map(|i| &i.model)).collect();
    within_interests(model, x.view(), &topic_of, &models, open);
    topic_of
        .iter()
        .map(|&t| own[t].map(|i| i.topic.as_str()))
        .collect()
}

/// See [`rank_by_marks`]: how far down the model of the marks may rank a profile's pick
/// before it leaves the digest, in multiples of the day's picks.
const KEEP: usize = 3;

/// A marked paper is named in a comment when the paper is at least this close to it.
const MARK_NAMED: f32 = 0.5;

/// Ranks a day by the model of the marks: each paper's score (`scored`, by the hand-set
/// profile or the profile's `ranker`, on that one's 1-10 scale) becomes the model's, on
/// that scale; the comment leads with what the marks did and the marked paper it is most
/// like.
pub fn rank_by_marks(
    fitted: &ReaderFit,
    marks: &Marks,
    scorer: &Scorer,
    (papers, docs, sims): (&[Paper], ArrayView2<f32>, &Similarities),
    ranker: Option<&RankerModel>,
    scored: &mut [crate::score::Scored],
) {
    let select_min = scorer.profile().scale.select_min;
    let scale = &ranker.map_or_else(|| scorer.profile().scale.clone(), |r| r.scale(select_min));
    let base: Vec<f32> = scored.iter().map(|s| s.raw).collect();
    let ranker_scores = |_: ArrayView2<f32>| fitted.over_ranker.then(|| base.clone());
    let (x, _) = design((papers, docs, sims), scorer, ranker_scores, marks);
    let mut model = fitted.model.score(x.view());
    // A paper the reader marked keeps its score (they decided on it); the rest share theirs.
    let marked: HashSet<&PaperId> = marks.papers.iter().map(|m| &m.id).collect();
    let open: Vec<usize> = (0..papers.len())
        .filter(|&i| !marked.contains(&papers[i].id))
        .collect();
    let own_order = by_interests(fitted, scorer, (&x, sims), &mut model, &open);
    let (moved, model_place) = reorder(&base, &model, &open);
    let (likes, dislikes) = marks.vectors(docs.ncols());
    let closest = crate::score::MarkVectors { likes, dislikes }.closest(docs);
    let liked: Vec<&crate::learn::stored::Mark> = marks.likes().collect();
    let disliked: Vec<&crate::learn::stored::Mark> = marks.dislikes().collect();
    let step = (scale.raw_at_10 - scale.raw_at_1) / 9.0;
    // A pick of the profile stays one unless the marks push it out of the model's top
    // `KEEP` times as many papers as the profile picks: a narrow dislike costs only the
    // picks like it, and likes add papers rather than crowd the profile's out.
    let was_pick: Vec<bool> = scored.iter().map(|s| s.selected).collect();
    let picks = open.iter().filter(|&&i| was_pick[i]).count();
    for (i, s) in scored.iter_mut().enumerate() {
        let points = (moved[i] - s.raw) / step;
        let near = |m: &crate::learn::stored::Mark, cosine: f32| crate::score::MarkMatch {
            id: m.id.clone(),
            title: m.title.clone(),
            cosine,
        };
        // The marked paper it is most like, when that is the way the marks moved it (or
        // it is that paper).
        let id = &papers[i].id;
        let pushed = |(k, c): (usize, f32), way: bool, of: &[&crate::learn::stored::Mark]| {
            let m = of[k];
            (&m.id == id || (way && c >= MARK_NAMED)).then(|| near(m, c))
        };
        s.liked = closest[i]
            .liked
            .and_then(|b| pushed(b, points > 0.0, &liked));
        s.disliked = closest[i]
            .disliked
            .and_then(|b| pushed(b, points < 0.0, &disliked));
        s.raw = moved[i];
        s.relevance = crate::score::relevance_on(scale, s.raw);
        // A paper the reader liked is a pick, as one they marked not for them is not.
        let liked_itself = s.liked.as_ref().is_some_and(|m| &m.id == id);
        let stays = was_pick[i] && model_place[i] < KEEP * picks;
        s.selected = liked_itself
            || ((s.selects(scale.select_min, id) || stays)
                && s.disliked.as_ref().is_none_or(|m| &m.id != id));
        // After the ranker's verdict when it ranks, so the comment still leads with it.
        let mut sentence = marks_sentence(s, id, points);
        if let Some(topic) = own_order[i].filter(|_| open.binary_search(&i).is_ok()) {
            sentence.push_str(&format!(
                " Among the {topic} papers, ordered by that interest's own marks."
            ));
        }
        s.comment = match s.comment.split_once(". ").filter(|_| fitted.over_ranker) {
            Some((verdict, rest)) => format!("{verdict}. {sentence} {rest}"),
            None => format!("{sentence} {}", s.comment),
        };
    }
}

/// The day's scores `base` reassigned in the order of the model's scores `model` among the
/// papers not marked (`open`; a marked one keeps its own): the open paper the model ranks
/// k-th gets the k-th best of the open papers' scores. The marks decide the order; how many
/// papers reach each relevance, and so how long the digest is, stays the profile's (a model
/// trained on balanced classes has no say in where the line is). Also returns each open
/// paper's place in the model's order (`usize::MAX` for a marked one).
fn reorder(base: &[f32], model: &[f32], open: &[usize]) -> (Vec<f32>, Vec<usize>) {
    let mut sorted: Vec<f32> = open.iter().map(|&i| base[i]).collect();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let order = crate::metrics::ranking(&open.iter().map(|&i| model[i]).collect::<Vec<f32>>());
    let (mut moved, mut place) = (base.to_vec(), vec![usize::MAX; base.len()]);
    for (p, k) in order.into_iter().enumerate() {
        moved[open[k]] = sorted[p];
        place[open[k]] = p;
    }
    (moved, place)
}

/// What the reader's marks did to a paper, in a sentence.
fn marks_sentence(s: &crate::score::Scored, id: &PaperId, points: f32) -> String {
    if s.disliked.as_ref().is_some_and(|m| &m.id == id) {
        return "You marked this paper not for you, so it is not a pick.".into();
    }
    if s.liked.as_ref().is_some_and(|m| &m.id == id) {
        return "You liked this paper.".into();
    }
    let (way, like) = match points >= 0.0 {
        true => ("up", s.liked.as_ref().map(|m| ("liked", m))),
        false => (
            "down",
            s.disliked.as_ref().map(|m| ("marked not for you", m)),
        ),
    };
    let mut out = format!("Your marks moved it {way} {:.1} points", points.abs());
    if let Some((what, m)) = like {
        out.push_str(&format!(
            "; most like \"{}\", which you {what} (cosine {:.2})",
            m.title, m.cosine
        ));
    }
    out.push('.');
    out
}
