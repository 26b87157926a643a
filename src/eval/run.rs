//! One eval run: every labelled set embedded (through the cache), scored by each ranker,
//! measured, and optionally tuned and calibrated, as [`SetReport`]s for [`super::report`].

use std::path::PathBuf;
use std::time::Instant;

use super::rankers::{
    Bm25, EmbeddingOnly, External, Hybrid, Inputs, KeywordOnly, Learned, Random, Ranker,
};
use super::tune::{calibrate, tune, Selection, TuneReport};
use super::{compare, Calibration, EvalError, LabelledSet, RankerResult, SetReport, Truth};
use crate::ingest::Paper;
use crate::labels::Group;
use crate::learn::{Stored, Training};
pub use crate::pipeline::train::Model;
use crate::pipeline::train::{cv_summary, day_span, examples, fit_scale};
use crate::pipeline::{embed_cached, topic_vectors};
use crate::score::{Lexical, Scorer, Similarities};
use crate::topics::Profile;

/// The rankers `eval` can build from a profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankerKind {
    /// The daily ranking's score: topic similarity + keywords + authors.
    Hybrid,
    /// Best cosine to a topic anchor only.
    EmbeddingOnly,
    /// The profile's keyword boosts, penalties and authors only.
    KeywordOnly,
    /// Okapi BM25 of the paper against each topic's text.
    Bm25,
    /// Seeded uniform random scores.
    Random,
    /// Logistic regression on the paper's vector and the hybrid's parts, trained on days
    /// before the test days (`--train` or `--split-date`).
    Learned,
}

/// What to measure on every set.
#[derive(Debug, Clone)]
pub struct Options {
    pub rankers: Vec<RankerKind>,
    /// Other rankers' scores as (name, file).
    pub external: Vec<(String, PathBuf)>,
    /// Bootstrap resamples for the 95% intervals.
    pub resamples: usize,
    /// Seed for the bootstrap and the random ranker.
    pub seed: u64,
    /// Leave-one-day-out search of the profile's weights.
    pub tune: bool,
    /// Fit the 1-10 scale to the judge's selection rate and store it in the profile.
    pub calibrate: bool,
    /// With `tune`: store the weights chosen on all days too (implies `calibrate`).
    pub write_weights: bool,
    /// Replay the set as a reader would mark it (`--simulate-reader`), answering this many
    /// questions a day (`--ask`).
    pub simulate: Option<usize>,
    /// Measure one model per topic against one mixed model (`--interests`).
    pub interests: bool,
}

impl Options {
    /// Whether the profile's scale is fitted and stored.
    pub fn calibrates(&self) -> bool {
        self.calibrate || self.write_weights
    }

    /// Whether any part of the run reads embeddings, so the model must be loaded.
    pub fn needs_model(&self) -> bool {
        self.tune
            || self.simulate.is_some()
            || self.interests
            || self.calibrates()
            || self.rankers.iter().any(|k| {
                matches!(
                    k,
                    RankerKind::Hybrid | RankerKind::EmbeddingOnly | RankerKind::Learned
                )
            })
    }

    fn rankers_for(&self, profile: &Profile) -> Result<Vec<Box<dyn Ranker>>, EvalError> {
        let mut out: Vec<Box<dyn Ranker>> = Vec::new();
        for k in &self.rankers {
            out.push(match k {
                RankerKind::Hybrid => Box::new(Hybrid::new(profile)),
                RankerKind::EmbeddingOnly => Box::new(EmbeddingOnly),
                RankerKind::KeywordOnly => Box::new(KeywordOnly::new(profile)),
                RankerKind::Bm25 => Box::new(Bm25::new(profile)),
                RankerKind::Random => Box::new(Random { seed: self.seed }),
                // Trained per set by the caller (see `train_learned`), added after these.
                RankerKind::Learned => continue,
            });
        }
        for (name, path) in &self.external {
            out.push(Box::new(External::read(name, path)?));
        }
        Ok(out)
    }
}

/// Measures every ranker on one set, the `learned` one when given (trained on earlier days
/// by [`train_learned`]); `log` receives progress lines.
pub fn evaluate_set(
    set: &LabelledSet,
    profile: &Profile,
    opts: &Options,
    model: Option<&mut Model>,
    learned: Option<Learned>,
    log: &mut dyn FnMut(&str),
) -> Result<SetReport, EvalError> {
    let papers = set.papers();
    log(&format!(
        "{}: {} papers, {} selected by the judge, profile {}",
        set.name,
        papers.len(),
        set.positives(),
        profile.name
    ));
    let (sims, vectors, embed_seconds) = match model {
        Some(m) => {
            let (sims, vectors, secs) = embed_set(&papers, profile, m, log)?;
            (Some(sims), Some(vectors), secs)
        }
        None => (None, None, 0.0),
    };
    let inputs = Inputs {
        papers: &papers,
        sims: sims.as_ref(),
        vectors: vectors.as_ref(),
    };
    let mut rankers = opts.rankers_for(profile)?;
    let learned_scale = learned.as_ref().and_then(|l| l.scale().cloned());
    rankers.extend(learned.map(|l| Box::new(l) as Box<dyn Ranker>));
    let results = compare(
        set,
        &rankers,
        &inputs,
        embed_seconds,
        opts.resamples,
        opts.seed,
    )?;
    let mut notes = Vec::new();
    let (calibration, tuned) = match sims.as_ref() {
        Some(sims) => fit_profile(set, &papers, profile, sims, opts, &mut notes, log)?,
        None => (None, None),
    };
    let embedded = sims.as_ref().zip(vectors.as_ref());
    let embedded = embedded.map(|(sims, vectors)| (&papers[..], vectors, sims));
    let simulation = (embedded.zip(opts.simulate))
        .map(|(e, ask)| replay(set, e, profile, &results, ask, opts, log));
    let interests =
        (embedded.filter(|_| opts.interests)).map(|e| interests(set, e, profile, opts, log));
    let grades = set.relevance();
    let learned_selection = learned_scale.and_then(|scale| {
        let r = results.iter().find(|r| r.name == "learned")?;
        Some(Selection::measure(&r.scores, &set.selected(), &scale))
    });
    Ok(SetReport {
        name: set.name.clone(),
        source: set.source.clone(),
        profile: profile.name.clone(),
        papers: papers.len(),
        positives: set.positives(),
        graded: grades.iter().filter(|g| g.is_some()).count(),
        days: set.days(),
        unjudged: set.unjudged,
        unmatched: set.unmatched.clone(),
        embed_seconds,
        resamples: opts.resamples,
        rankers: results,
        calibration,
        learned_selection,
        tune: tuned,
        simulation,
        interests,
        notes,
        selected: set.selected(),
        ids: papers.iter().map(|p| p.id.to_string()).collect(),
    })
}

/// `--interests` on a set.
fn interests(
    set: &LabelledSet,
    (papers, vectors, sims): (&[Paper], &ndarray::Array2<f32>, &Similarities),
    profile: &Profile,
    opts: &Options,
    log: &mut dyn FnMut(&str),
) -> Vec<super::interests::InterestRow> {
    log("  training one model per topic and one for all topics");
    let draws = (opts.resamples, opts.seed);
    super::interests::interests(set, papers, (vectors, sims), profile, draws)
}

/// `--simulate-reader` on a set: the learned ranker, where the run has one, is what ranks
/// before any mark.
fn replay(
    set: &LabelledSet,
    (papers, vectors, sims): (&[Paper], &ndarray::Array2<f32>, &Similarities),
    profile: &Profile,
    results: &[RankerResult],
    ask: usize,
    opts: &Options,
    log: &mut dyn FnMut(&str),
) -> Vec<super::simulate::CurvePoint> {
    log(&format!(
        "  replaying {} days as a reader would mark them ({ask} questions a day)",
        set.days().len()
    ));
    let learned = results.iter().find(|r| r.name == "learned");
    super::simulate::simulate(
        set,
        papers,
        (vectors, sims),
        profile,
        learned.map(|r| r.scores.as_slice()),
        ask,
        (opts.resamples, opts.seed),
    )
}

/// The set's papers' vectors (through the cache) and their similarities to the profile's
/// topics, and the seconds that took: NaN when any vector came from the cache, since cached
/// vectors cost no model time and the embedding rankers' speed is only measured on a run
/// that embedded every paper.
fn embed_set(
    papers: &[Paper],
    profile: &Profile,
    m: &mut Model,
    log: &mut dyn FnMut(&str),
) -> Result<(Similarities, ndarray::Array2<f32>, f64), EvalError> {
    let t = Instant::now();
    let cached = embed_cached(&mut *m.embedder, papers, m.cache.as_deref_mut())?;
    let topics = topic_vectors(&mut *m.embedder, profile)?;
    let sims = topics.similarities(&cached.vectors);
    let secs = t.elapsed().as_secs_f64();
    log(&format!(
        "  embedded {} papers in {secs:.1} s ({} from the cache)",
        cached.embedded, cached.hits
    ));
    let full = if cached.hits == 0 { secs } else { f64::NAN };
    Ok((sims, cached.vectors, full))
}

/// Tunes the weights (held out by day), calibrates the scale, and stores what was asked.
fn fit_profile(
    set: &LabelledSet,
    papers: &[Paper],
    profile: &Profile,
    sims: &Similarities,
    opts: &Options,
    notes: &mut Vec<String>,
    log: &mut dyn FnMut(&str),
) -> Result<(Option<Calibration>, Option<TuneReport>), EvalError> {
    let selected = set.selected();
    let grades = set.relevance();
    let scorer = Scorer::new(profile);
    // Tuning may weigh the lexical part even where the profile does not.
    let mut sims = sims.clone();
    sims.set_lexical(Lexical::new(profile).normalized(papers));
    let features: Vec<_> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| scorer.features(p, sims.row(i)))
        .collect();
    let mut tuned = None;
    if opts.tune && set.days().len() < 2 {
        let n = format!(
            "not tuned: --tune holds out one day at a time and this set has {} day",
            set.days().len()
        );
        log(&format!("  {n}"));
        notes.push(n);
    } else if opts.tune {
        let days: Vec<Group> = set.items.iter().map(|j| j.day).collect();
        tuned = Some(tune(
            &features,
            Truth {
                selected: &selected,
                grades: &grades,
            },
            &days,
            &profile.weights,
            &profile.scale,
        )?);
    }
    let weights = match (&tuned, opts.write_weights) {
        (Some(t), true) => t.all_days.clone(),
        _ => profile.weights.clone(),
    };
    let raws: Vec<f32> = features.iter().map(|f| Scorer::raw(f, &weights)).collect();
    let fitted = calibrate(
        &raws,
        set.selection_rate(),
        &profile.scale,
        format!(
            "arxrank eval on {} ({} papers, judge selection rate {:.2}%)",
            set.name,
            papers.len(),
            set.selection_rate() * 100.0
        ),
    );
    let fitted = match fitted {
        Ok(f) => f,
        // Only a report section is lost; the rankings still stand.
        Err(e) if !opts.calibrates() => {
            log(&format!("  no calibration section: {e}"));
            return Ok((None, tuned));
        }
        Err(e) => return Err(e),
    };
    let calibration = Calibration {
        profile_scale: Selection::measure(&raws, &selected, &profile.scale),
        fitted: (&fitted).into(),
        fitted_selection: Selection::measure(&raws, &selected, &fitted),
    };
    if opts.calibrates() {
        let written = profile.store(&fitted, opts.write_weights.then_some(&weights))?;
        log(&format!(
            "  stored the fitted scale in {}",
            written.display()
        ));
    }
    Ok((Some(calibration), tuned))
}

/// Trains the learned ranker for `profile` on `sets` (days before the test days; the caller
/// splits them). Too few picks keep the hybrid, with a note saying so.
pub fn train_learned(
    sets: &[LabelledSet],
    profile: &Profile,
    model: &mut Model,
    log: &mut dyn FnMut(&str),
) -> Result<Learned, EvalError> {
    let t = Instant::now();
    let training: Vec<Training> = sets.iter().cloned().map(Training::full_text).collect();
    let ex = examples(&training, profile, model)?;
    let names: Vec<&str> = sets.iter().map(|s| s.name.as_str()).collect();
    let span = day_span(&ex.days);
    match crate::learn::train(&ex) {
        Ok(trained) => {
            let note = format!(
                "learned: trained on {} ({} papers, {} picks, {span}) in {:.1} s; {}",
                names.join(", "),
                trained.papers,
                trained.positives,
                t.elapsed().as_secs_f64(),
                cv_summary(&trained),
            );
            log(&format!("  {note}"));
            let scale = fit_scale(&trained, &ex, profile)?;
            Ok(Learned::new(
                Some((trained.model, scale)),
                profile,
                vec![note],
            ))
        }
        Err(e @ crate::learn::LearnError::ColdStart { .. }) => {
            let note = format!("learned: {e} (training days {span})");
            log(&format!("  {note}"));
            Ok(Learned::new(None, profile, vec![note]))
        }
        Err(e) => Err(EvalError::Usage(format!(
            "cannot learn from {}: {e}",
            names.join(", ")
        ))),
    }
}

/// The learned ranker measured by cross-validation grouped by day on `set` itself: its days
/// go round-robin into `folds` folds, and each fold is scored by a model trained (with its own
/// inner cross-validation and 1-10 scale) on the other folds only. Scores are put on the
/// relevance scale of their fold's model, so the folds rank and select on one scale.
pub fn cross_validate_learned(
    set: &LabelledSet,
    profile: &Profile,
    model: &mut Model,
    folds: usize,
    log: &mut dyn FnMut(&str),
) -> Result<Learned, EvalError> {
    let days = set.days();
    let folds = folds.min(days.len());
    if folds < 2 {
        return Err(EvalError::Usage(format!(
            "{}: cross-validation by day needs at least two days, and it has {}",
            set.name,
            days.len()
        )));
    }
    let t = Instant::now();
    let ex = examples(&[Training::full_text(set.clone())], profile, model)?;
    let (_, fold_of) = crate::learn::day_folds(&ex.days, folds);
    let mut scores = vec![f32::NAN; ex.y.len()];
    let mut notes = Vec::new();
    for k in 0..folds {
        let fold = Fold {
            set: &set.name,
            k,
            folds,
            days: days.len(),
        };
        let note = fold.score(&ex, &fold_of, profile, model.embedder.dim(), &mut scores)?;
        log(&format!("  {note}"));
        notes.push(note);
    }
    notes.push(format!(
        "learned: day-grouped {folds}-fold cross-validation on this set ({:.1} s); each paper \
         scored by the fold model that never saw its day, on that model's 1-10 scale",
        t.elapsed().as_secs_f64()
    ));
    let scale = crate::topics::Scale {
        raw_at_1: 1.0,
        raw_at_10: 10.0,
        select_min: profile.scale.select_min,
        calibrated: None,
    };
    Ok(Learned::precomputed(scores, scale, profile, notes))
}

/// One fold of [`cross_validate_learned`]: fold `k` of `folds` of the set `set`, which has
/// `days` days.
struct Fold<'a> {
    set: &'a str,
    k: usize,
    folds: usize,
    days: usize,
}

impl Fold<'_> {
    /// Scores the fold's held-out papers (into `scores`) with a model trained on the other
    /// folds, on that model's 1-10 scale, or with the hybrid on the profile's when the other
    /// folds hold too few picks; returns the note saying which.
    fn score(
        &self,
        ex: &crate::learn::Examples,
        fold_of: &[usize],
        profile: &Profile,
        dim: usize,
        scores: &mut [f32],
    ) -> Result<String, EvalError> {
        let (k, folds) = (self.k, self.folds);
        let (train_rows, test_rows): (Vec<usize>, Vec<usize>) =
            (0..ex.y.len()).partition(|&i| fold_of[i] != k);
        let (train, test) = (ex.rows(&train_rows), ex.rows(&test_rows));
        let mut held: Vec<Group> = test.days.clone();
        held.sort();
        held.dedup();
        let on_scale = |scale: &crate::topics::Scale, raw: Vec<f32>, scores: &mut [f32]| {
            for (&i, r) in test_rows.iter().zip(raw) {
                scores[i] = scale.position(r);
            }
        };
        let what = format!(
            "learned, fold {} of {folds}: {} held-out days ({}), the other {} days",
            k + 1,
            held.len(),
            day_span(&held),
            self.days - held.len(),
        );
        let note = match crate::learn::train(&train) {
            Ok(trained) => {
                let scale = fit_scale(&trained, &train, profile)?;
                on_scale(
                    &scale,
                    trained.model.score(test.x.view(), test.text_strs()),
                    scores,
                );
                format!(
                    "{what} trained on ({} papers, {} picks); {}",
                    trained.papers,
                    trained.positives,
                    cv_summary(&trained)
                )
            }
            // The fold keeps the hybrid (its score is the first part column), on the
            // profile's scale.
            Err(e @ crate::learn::LearnError::ColdStart { .. }) => {
                let hybrid = test.x.column(dim).to_vec();
                on_scale(&profile.scale, hybrid, scores);
                format!("{what}: {e}")
            }
            Err(e) => {
                return Err(EvalError::Usage(format!(
                    "{}: fold {} of {folds}: {e}",
                    self.set,
                    k + 1
                )))
            }
        };
        Ok(note)
    }
}

/// The profile's stored model as the `learned` ranker, if it has one, saying which of the
/// set's days it was trained on: figures on those days are in-sample.
pub fn stored_ranker(
    set: &LabelledSet,
    profile: &Profile,
    fingerprint: &str,
) -> Result<Option<Learned>, EvalError> {
    let Some(stored) = Stored::load(&profile.source, fingerprint)?.and_then(|s| s.ranker) else {
        return Ok(None);
    };
    let days = set.days();
    let seen = days
        .iter()
        .filter(|d| (stored.first_day..=stored.last_day).contains(d))
        .count();
    let trained_on: Vec<String> = stored
        .training
        .iter()
        .map(|t| format!("{}: {} papers, {} picks", t.name, t.papers, t.positives))
        .collect();
    let mut note = format!(
        "learned: the profile's model ({}), trained on {} ({} to {})",
        Stored::path(&profile.source).display(),
        trained_on.join("; "),
        stored.first_day,
        stored.last_day,
    );
    if seen > 0 {
        note.push_str(&format!(
            "; {seen} of this set's {} days fall in that range, so its figures there are \
             in-sample",
            days.len()
        ));
    }
    let scale = stored.scale(profile.scale.select_min);
    Ok(Some(Learned::new(
        Some((stored.model, scale)),
        profile,
        vec![note],
    )))
}
