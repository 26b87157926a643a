//! The training job: a profile's learned ranker from labelled sets, each paper's features
//! measured as the daily ranking measures them (its vector through the embedding cache,
//! the hybrid's parts under the profile). `learn` fits; this strings the stages together
//! for it, and `eval` uses the same examples and scale for its `learned` ranker.

use std::time::Instant;

use super::{embed_cached, topic_vectors, PipelineError};
use crate::embed::Embedder;
use crate::history::History;
use crate::ingest::Paper;
use crate::labels::Group;
use crate::learn::stored::{LikedPaper, RankerModel, TrainingSet, MAX_LIKED};
use crate::learn::Training;
use crate::score::Scorer;
use crate::topics::Profile;

/// The model and its embedding cache, when the run needs them.
pub struct Model<'a> {
    pub embedder: &'a mut dyn Embedder,
    pub cache: Option<&'a mut History>,
}

/// The learned model's training examples: every paper's vector (the history's where a
/// vector-only set has one, else embedded through the cache) and the hybrid's parts under
/// `profile`, its pick and its day. A vector-only set's parts are not measured (its papers'
/// text is a title at most): they are set to the mean of the measured rows, so they weigh
/// nothing either way and the model learns only what their vectors say.
pub fn examples(
    sets: &[Training],
    profile: &Profile,
    model: &mut Model,
) -> Result<crate::learn::Examples, PipelineError> {
    let scorer = Scorer::new(profile);
    let topics = topic_vectors(&mut *model.embedder, profile)?;
    let (mut xs, mut y, mut days, mut blind) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut texts, mut names) = (Vec::new(), Vec::new());
    for t in sets {
        let papers = t.set.papers();
        let vectors = match &t.vectors {
            None => {
                embed_cached(&mut *model.embedder, &papers, model.cache.as_deref_mut())?.vectors
            }
            Some(known) => {
                let missing: Vec<usize> =
                    (0..papers.len()).filter(|&i| known[i].is_none()).collect();
                let todo: Vec<Paper> = missing.iter().map(|&i| papers[i].clone()).collect();
                let embedded =
                    embed_cached(&mut *model.embedder, &todo, model.cache.as_deref_mut())?.vectors;
                let dim = model.embedder.dim();
                let mut v = ndarray::Array2::<f32>::zeros((papers.len(), dim));
                for (i, row) in known.iter().enumerate() {
                    if let Some(row) = row {
                        v.row_mut(i)
                            .assign(&ndarray::ArrayView1::from(row.as_slice()));
                    }
                }
                for (k, &i) in missing.iter().enumerate() {
                    v.row_mut(i).assign(&embedded.row(k));
                }
                v
            }
        };
        let sims = topics.similarities(&vectors);
        xs.push(crate::learn::features(
            &papers,
            vectors.view(),
            &sims,
            &scorer,
        ));
        y.extend(t.set.selected());
        days.extend(t.set.items.iter().map(|j| j.day));
        blind.extend(std::iter::repeat_n(t.vectors.is_some(), papers.len()));
        names.extend(papers.iter().map(|p| (p.id.clone(), p.title.clone())));
        texts.extend(
            papers
                .iter()
                .map(|p| t.vectors.is_none().then(|| crate::learn::text_of(p))),
        );
    }
    let views: Vec<_> = xs.iter().map(|x| x.view()).collect();
    let mut x = ndarray::concatenate(ndarray::Axis(0), &views)
        .map_err(|e| PipelineError::Usage(format!("training features do not line up: {e}")))?;
    if blind.iter().any(|&b| b) {
        let dim = model.embedder.dim();
        let seen: Vec<usize> = (0..blind.len()).filter(|&i| !blind[i]).collect();
        for j in dim..x.ncols() {
            let mean = if seen.is_empty() {
                0.0
            } else {
                seen.iter().map(|&i| x[[i, j]]).sum::<f32>() / seen.len() as f32
            };
            for (i, &b) in blind.iter().enumerate() {
                if b {
                    x[[i, j]] = mean;
                }
            }
        }
    }
    Ok(crate::learn::Examples {
        x,
        names,
        texts,
        y,
        days,
    })
}

/// The setting cross-validation chose, and the held-out ROC-AUC of every one tried.
pub fn cv_summary(trained: &crate::learn::Trained) -> String {
    let rows: Vec<String> = trained
        .cv
        .iter()
        .map(|c| {
            format!(
                "L2 {} words {}: {}",
                c.lambda,
                c.text_scale,
                c.roc_auc
                    .map_or("not measured".into(), |v| format!("{v:.3}"))
            )
        })
        .collect();
    format!(
        "L2 {}, words weighted {} (0: left out), {} {}-fold {} CV (held-out ROC-AUC per \
         setting: {})",
        trained.model.lambda,
        trained.model.text.as_ref().map_or(0.0, |t| t.scale),
        if trained.chosen_by_cv {
            "chosen by"
        } else {
            "the default setting: nothing measured by"
        },
        trained.folds,
        match trained.fold_by {
            crate::learn::FoldBy::Days => "day-grouped",
            crate::learn::FoldBy::Papers => "paper-grouped (one day)",
        },
        rows.join(", ")
    )
}

/// `first to last` of a list of days.
pub fn day_span(days: &[Group]) -> String {
    match (days.iter().min(), days.iter().max()) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no days".into(),
    }
}

/// The learned scores' 1-10 scale, fitted as `--calibrate` fits the hybrid's, on the
/// out-of-fold scores (what the model does on days it did not see), so that the share of
/// papers at relevance 8 or more is the judge's pick rate on the training days.
pub fn fit_scale(
    trained: &crate::learn::Trained,
    ex: &crate::learn::Examples,
    profile: &Profile,
) -> Result<crate::topics::Scale, PipelineError> {
    // With a single day no fold could be held out; the in-sample scores are all there is.
    let mut scores: Vec<f32> = trained
        .held_out
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if scores.is_empty() {
        scores = trained.model.score(ex.x.view(), ex.text_strs());
    }
    let rate = trained.positives as f64 / trained.papers as f64;
    profile
        .scale
        .fitted(&scores, rate, String::new())
        .map_err(PipelineError::Usage)
}

/// The latest picks (up to [`MAX_LIKED`]), newest day first, for the comment's "closest
/// pick".
fn liked_papers(ex: &crate::learn::Examples, dim: usize) -> Vec<LikedPaper> {
    let mut picks: Vec<usize> = (0..ex.y.len()).filter(|&i| ex.y[i]).collect();
    picks.sort_by(|&a, &b| {
        ex.days[b]
            .cmp(&ex.days[a])
            .then(ex.names[a].0.cmp(&ex.names[b].0))
    });
    picks.dedup_by(|a, b| ex.names[*a].0 == ex.names[*b].0);
    picks.truncate(MAX_LIKED);
    picks
        .into_iter()
        .map(|i| {
            let (id, title) = ex.names[i].clone();
            LikedPaper::new(id, title, ex.days[i], ex.x.row(i).slice(ndarray::s![..dim]))
        })
        .collect()
}

/// A profile's learned ranker, ready to store, and how its training went.
pub struct Learnt {
    pub ranker: RankerModel,
    /// Seconds spent fitting (cross-validation and the final fit), features excluded.
    pub fit_seconds: f64,
    /// The held-out ROC-AUC of the chosen setting, where one was measured.
    pub held_out_roc_auc: Option<f64>,
}

/// Trains the learned ranker for `profile` on every paper of `sets` and fits its 1-10 scale
/// on the out-of-fold scores (what it does on days it did not see), so that the share of
/// papers at relevance 8 or more is the judge's pick rate.
pub fn learn_profile(
    sets: &[Training],
    profile: &Profile,
    model: &mut Model,
) -> Result<Learnt, PipelineError> {
    let ex = examples(sets, profile, model)?;
    let fit_start = Instant::now();
    let trained = crate::learn::train(&ex)?;
    let fit_seconds = fit_start.elapsed().as_secs_f64();
    let scale = fit_scale(&trained, &ex, profile)?;
    let mut days = ex.days.clone();
    days.sort();
    let held_out_roc_auc = trained.held_out_roc_auc();
    let training = sets
        .iter()
        .map(|t| &t.set)
        .map(|s| TrainingSet {
            name: s.name.clone(),
            papers: s.items.len(),
            positives: s.positives(),
        })
        .collect();
    let span = (
        days.first().copied().unwrap_or(Group::Undated),
        days.last().copied().unwrap_or(Group::Undated),
    );
    let liked = liked_papers(&ex, model.embedder.dim());
    Ok(Learnt {
        ranker: RankerModel::new(trained, &scale, training, span, liked),
        fit_seconds,
        held_out_roc_auc,
    })
}
