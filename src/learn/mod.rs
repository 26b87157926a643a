//! Learn: a ranker trained on the papers a judge (GPT, or the reader) picked on earlier days.
//!
//! The hand-set profile misses papers the judge picks; the judge's own past picks say what
//! it rewards. The model is a class-balanced, L2-regularised logistic regression over each
//! paper's sentence-embedding vector and the hybrid score's parts, every column z-scored on
//! the training papers. The regularisation strength is chosen by cross-validation grouped by
//! day: papers of one day share a listing and a judge's mood, so splitting a day across
//! folds would leak. With fewer than [`MIN_POSITIVES`] picks there is too little to learn
//! from and training refuses ([`LearnError::ColdStart`]), so callers keep the hybrid.
//! With a single day there are no days to hold out, so the folds are fixed groups of papers
//! instead ([`FoldBy::Papers`]); where no fold yields a held-out figure at all, the model is
//! trained with [`DEFAULT_SETTING`] and says so, rather than pretend to have chosen.
//!
//! Deterministic: full-batch gradient descent from zero, a fixed number of steps, one thread,
//! the same order every time, so the same inputs give the same weights bit for bit.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::fsutil::fnv;
use crate::ingest::Paper;
use crate::labels::Group;
use crate::metrics::roc_auc;
use crate::score::{Features, Lexical, Scorer, Similarities};
use crate::topics::Weights;

/// Fewer picks than this and the model would learn the handful of papers, not a taste.
pub const MIN_POSITIVES: usize = 20;

/// The L2 strengths tried by cross-validation, strongest first (ties go to the simpler model).
const LAMBDAS: [f32; 5] = [1.0, 0.1, 0.03, 0.01, 0.001];

/// How much the TF-IDF block counts against the z-scored columns (its rows have unit
/// length, a z-scored row about √393): 0 leaves the words out. Cross-validation chooses.
const TEXT_SCALES: [f32; 4] = [0.0, 8.0, 24.0, 64.0];

/// The setting used when cross-validation measured nothing (every fold lacked a pick or a
/// non-pick on one side): the middle L2 strength, words left out, the simplest model that
/// is not starved of the vector.
pub const DEFAULT_SETTING: (f32, f32) = (LAMBDAS[2], TEXT_SCALES[0]);

/// Gradient steps per fit: enough for the held-out AUC to settle on the labelled sets.
const STEPS: usize = 300;

/// The hybrid's parts the model sees beside the vector, in column order after it.
pub const PART_NAMES: [&str; 9] = [
    "hybrid score",
    "best topic cosine",
    "second anchor cosine",
    "negative anchor cosine",
    "lexical (BM25)",
    "keywords matched",
    "keyword in the title",
    "penalty keywords",
    "author match",
];

pub mod reader;
pub mod stored;
pub mod tfidf;

pub use crate::labels::Training;
pub use stored::Stored;

#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error(transparent)]
    Io(#[from] crate::fsutil::IoError),
    #[error("{path}: {message}")]
    Invalid {
        path: std::path::PathBuf,
        message: String,
    },
    #[error(
        "{path}: this learned model was trained on vectors of {trained}, but the model in use \
         is {model}; train it again with `arxrank learn`, or rank with --no-learned"
    )]
    ModelMismatch {
        path: std::path::PathBuf,
        trained: String,
        model: String,
    },
    #[error(
        "{positives} positive papers to learn from; at least {MIN_POSITIVES} are needed, \
         so the hybrid ranking is kept"
    )]
    ColdStart { positives: usize },
    #[error("no negative papers to learn from: every training paper is a pick")]
    NoNegatives,
}

impl LearnError {
    /// Whether the user can fix it (the labels, the model file, the flags), rather than
    /// the machine (a file that cannot be read or written).
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, LearnError::Io(_))
    }
}

/// Training examples: one row of features per paper, its text (title and abstract; `None`
/// where only a vector is known), its label and its day.
pub struct Examples {
    pub x: Array2<f32>,
    /// Each paper's id and title, to name the picks a comment compares with.
    pub names: Vec<(crate::ingest::PaperId, String)>,
    pub texts: Vec<Option<String>>,
    pub y: Vec<bool>,
    pub days: Vec<Group>,
}

impl Examples {
    /// Each paper's text, empty where only a vector is known (it then counts no words).
    pub fn text_strs(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map(|t| t.as_deref().unwrap_or(""))
    }

    /// The given rows, in that order.
    pub fn rows(&self, rows: &[usize]) -> Examples {
        Examples {
            x: self.x.select(Axis(0), rows),
            names: rows.iter().map(|&i| self.names[i].clone()).collect(),
            texts: rows.iter().map(|&i| self.texts[i].clone()).collect(),
            y: rows.iter().map(|&i| self.y[i]).collect(),
            days: rows.iter().map(|&i| self.days[i]).collect(),
        }
    }
}

/// Cross-validation folds grouped by day: the distinct days, sorted, go round-robin into
/// `max_folds` folds (fewer when there are fewer days). Returns the number of folds and
/// each row's fold. Training and `eval --cv-folds` split the same way.
pub fn day_folds(days: &[Group], max_folds: usize) -> (usize, Vec<usize>) {
    let mut distinct: Vec<Group> = days.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let folds = distinct.len().min(max_folds);
    let fold_of = |d: &Group| distinct.binary_search(d).expect("a known day") % folds.max(1);
    (folds, days.iter().map(fold_of).collect())
}

/// What the cross-validation folds of a training run hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FoldBy {
    /// Whole days: papers of one day share a listing and a judge's mood, so they never
    /// straddle train and test.
    Days,
    /// Fixed groups of papers (by a hash of the id): a single day has no other day to hold
    /// out. Optimistic, as papers of the held-out group share their day with the training
    /// ones; the model file and `learn` say so.
    Papers,
}

/// Folds for `ex`: by day where there are two days or more, else five fixed groups of
/// papers. Returns the number of folds, each row's fold, and which kind.
pub fn folds_for(ex: &Examples, max_folds: usize) -> (usize, Vec<usize>, FoldBy) {
    let (folds, fold) = day_folds(&ex.days, max_folds);
    if folds >= 2 {
        return (folds, fold, FoldBy::Days);
    }
    let groups = max_folds.min(ex.y.len()).max(1);
    let fold = ex
        .names
        .iter()
        .map(|(id, _)| (fnv(id.as_str()) % groups as u64) as usize)
        .collect();
    (groups, fold, FoldBy::Papers)
}

/// The text a paper's words are counted in, as the learned model reads it.
pub fn text_of(paper: &Paper) -> String {
    paper.embedding_text()
}

/// Each paper's features: its vector (row `i` of `vectors`), then the hybrid's parts under
/// the scorer's profile ([`PART_NAMES`]). `papers` are scored together (a day, or a labelled
/// set): the lexical part is measured among them, as the daily ranking and the tuner do.
pub fn features(
    papers: &[Paper],
    vectors: ArrayView2<f32>,
    sims: &Similarities,
    scorer: &Scorer,
) -> Array2<f32> {
    let profile = scorer.profile();
    let lexical = Lexical::new(profile).normalized(papers);
    let dim = vectors.ncols();
    let mut x = Array2::zeros((papers.len(), dim + PART_NAMES.len()));
    for (i, p) in papers.iter().enumerate() {
        let mut sim = sims.row(i);
        sim.lexical = lexical[i];
        let f = scorer.features(p, sim);
        let mut row = x.row_mut(i);
        row.slice_mut(ndarray::s![..dim]).assign(&vectors.row(i));
        for (j, v) in parts(&f, &profile.weights).into_iter().enumerate() {
            row[dim + j] = v;
        }
    }
    x
}

fn parts(f: &Features, w: &Weights) -> [f32; 9] {
    [
        Scorer::raw(f, w),
        f.best_similarity(),
        f.top_anchors[1],
        f.negative,
        f.lexical,
        f.keywords.len() as f32,
        f32::from(u8::from(f.title_keyword)),
        (f.irrelevant.len() + f.application.len()) as f32,
        f32::from(u8::from(f.author.is_some())),
    ]
}

/// A trained model: z-scoring, then a linear score (the log-odds of a pick).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LinearModel {
    pub mean: Vec<f32>,
    pub scale: Vec<f32>,
    pub weights: Vec<f32>,
    pub bias: f32,
    /// The L2 strength cross-validation chose.
    pub lambda: f32,
    /// The word part, when cross-validation kept one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextWeights>,
}

/// The TF-IDF block: its vocabulary, its weight against the other columns, a weight per term.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TextWeights {
    pub scale: f32,
    pub vocabulary: tfidf::Vocabulary,
    pub weights: Vec<f32>,
}

impl TextWeights {
    /// Each row's word part of the score.
    fn score(&self, m: &tfidf::Sparse) -> Vec<f32> {
        m.dot(&self.weights)
            .into_iter()
            .map(|v| v * self.scale)
            .collect()
    }

    /// One paper's word part of the score, from its row of [`LinearModel::words`].
    pub fn row_score(&self, (idx, val): (&[u32], &[f32])) -> f32 {
        idx.iter()
            .zip(val)
            .map(|(&j, v)| v * self.weights[j as usize])
            .sum::<f32>()
            * self.scale
    }

    /// The terms of one paper's row of [`LinearModel::words`] that raised its score most,
    /// most first.
    pub fn top_terms(&self, (idx, val): (&[u32], &[f32]), k: usize) -> Vec<(String, f32)> {
        let mut c: Vec<(String, f32)> = idx
            .iter()
            .zip(val)
            .map(|(&j, v)| {
                let j = j as usize;
                (
                    self.vocabulary.terms[j].clone(),
                    v * self.weights[j] * self.scale,
                )
            })
            .filter(|(_, c)| *c > 0.0)
            .collect();
        c.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        c.truncate(k);
        c
    }
}

impl LinearModel {
    /// One score per row of `x` (features as [`features`] builds them) and its paper's
    /// text ([`text_of`]); higher is a likelier pick.
    pub fn score<'a>(
        &self,
        x: ArrayView2<f32>,
        texts: impl IntoIterator<Item = &'a str>,
    ) -> Vec<f32> {
        self.score_words(x, self.words(texts).as_ref())
    }

    /// The papers' TF-IDF rows under the model's vocabulary, when it has a word part.
    pub fn words<'a>(&self, texts: impl IntoIterator<Item = &'a str>) -> Option<tfidf::Sparse> {
        self.text.as_ref().map(|t| t.vocabulary.transform(texts))
    }

    /// [`LinearModel::score`] with the words already counted ([`LinearModel::words`], or
    /// training's rows under the same vocabulary).
    pub fn score_words(&self, x: ArrayView2<f32>, words: Option<&tfidf::Sparse>) -> Vec<f32> {
        let z = standardize(x, &self.mean, &self.scale);
        let w = Array1::from(self.weights.clone());
        let mut s = (z.dot(&w) + self.bias).to_vec();
        if let (Some(t), Some(words)) = (&self.text, words) {
            for (s, v) in s.iter_mut().zip(t.score(words)) {
                *s += v;
            }
        }
        s
    }

    /// The dense part's contribution per column of one row (z-scored value × weight).
    pub fn contributions(&self, row: ndarray::ArrayView1<f32>) -> Vec<f32> {
        (0..self.weights.len())
            .map(|j| self.weights[j] * (row[j] - self.mean[j]) / self.scale[j])
            .collect()
    }
}

/// One setting cross-validation tried, and its mean held-out ROC-AUC over the folds (`None`
/// where no fold had a pick and a non-pick on both sides, so nothing was measured).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CvResult {
    pub lambda: f32,
    pub text_scale: f32,
    pub roc_auc: Option<f64>,
}

/// What training found: the model and the held-out AUC of every setting tried.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: LinearModel,
    /// Every setting tried, in the order tried (words off first, strongest L2 first).
    pub cv: Vec<CvResult>,
    pub folds: usize,
    pub fold_by: FoldBy,
    /// Whether cross-validation chose the setting, or measured nothing and
    /// [`DEFAULT_SETTING`] was used.
    pub chosen_by_cv: bool,
    pub positives: usize,
    pub papers: usize,
    /// Each training paper's score from the fold that held its day out, at the chosen
    /// setting (NaN where no fold could): what the model does on days it has not seen, so
    /// the 1-10 scale is fitted on these rather than on the flattering in-sample scores.
    pub held_out: Vec<f32>,
}

impl Trained {
    /// The held-out ROC-AUC of the chosen setting, where one was measured.
    pub fn held_out_roc_auc(&self) -> Option<f64> {
        let text_scale = self.model.text.as_ref().map_or(0.0, |t| t.scale);
        self.cv
            .iter()
            .find(|c| c.lambda == self.model.lambda && c.text_scale == text_scale)
            .and_then(|c| c.roc_auc)
    }
}

/// Trains on `ex`, choosing the L2 strength and the words' weight by cross-validation over
/// whole days (or groups of papers, for a single day; see [`folds_for`]).
pub fn train(ex: &Examples) -> Result<Trained, LearnError> {
    let positives = ex.y.iter().filter(|&&y| y).count();
    if positives < MIN_POSITIVES {
        return Err(LearnError::ColdStart { positives });
    }
    if positives == ex.y.len() {
        return Err(LearnError::NoNegatives);
    }
    let vocabulary = tfidf::Vocabulary::fit(ex.texts.iter().flatten().map(String::as_str));
    let words = vocabulary.transform(ex.text_strs());
    let (folds, fold, fold_by) = folds_for(ex, 5);
    let scales: &[f32] = if vocabulary.is_empty() {
        &TEXT_SCALES[..1]
    } else {
        &TEXT_SCALES
    };
    let settings: Vec<(f32, f32)> = scales
        .iter()
        .flat_map(|&t| LAMBDAS.iter().map(move |&l| (t, l)))
        .collect();
    let split: Vec<(Vec<usize>, Vec<usize>)> = (0..folds)
        .map(|k| (0..ex.y.len()).partition(|&i| fold[i] != k))
        .collect();
    let cv_input = Cv {
        ex,
        words: &words,
        vocabulary: &vocabulary,
        settings: &settings,
        split: &split,
    };
    let (cv, mut held_out) = cv_input.summarize(&cv_input.fit_folds());
    let (chosen, chosen_by_cv) = choose(&cv);
    let CvResult {
        lambda, text_scale, ..
    } = cv[chosen];
    Ok(Trained {
        model: fit(
            ex.x.view(),
            (text_scale > 0.0).then_some((&words, text_scale, &vocabulary)),
            &ex.y,
            lambda,
        ),
        cv,
        folds,
        fold_by,
        chosen_by_cv,
        positives,
        papers: ex.y.len(),
        held_out: held_out.swap_remove(chosen),
    })
}

/// One cross-validation: every setting fitted on every fold's training rows.
struct Cv<'a> {
    ex: &'a Examples,
    words: &'a tfidf::Sparse,
    vocabulary: &'a tfidf::Vocabulary,
    /// (words' weight, L2) in the order tried.
    settings: &'a [(f32, f32)],
    /// Per fold: (training rows, held-out rows).
    split: &'a [(Vec<usize>, Vec<usize>)],
}

/// A fold's held-out scores and ROC-AUC; `None` when its training rows lack a class.
type FoldResult = Option<(Vec<f32>, Option<f64>)>;

impl Cv<'_> {
    /// Every (setting, fold) fit, setting-major. They are independent and deterministic, so
    /// they run in parallel and are gathered in order: the result is the same on any
    /// number of threads.
    fn fit_folds(&self) -> Vec<FoldResult> {
        let ex = self.ex;
        let folds = self.split.len();
        let jobs: Vec<(usize, usize)> = (0..self.settings.len())
            .flat_map(|s| (0..folds).map(move |k| (s, k)))
            .collect();
        jobs.par_iter()
            .map(|&(si, k)| {
                let (text_scale, lambda) = self.settings[si];
                let (train_rows, test_rows) = &self.split[k];
                let ty: Vec<bool> = train_rows.iter().map(|&i| ex.y[i]).collect();
                if !ty.contains(&true) || !ty.contains(&false) {
                    return None;
                }
                let train_words = self.words.select(train_rows);
                let model = fit(
                    ex.x.select(Axis(0), train_rows).view(),
                    (text_scale > 0.0).then_some((&train_words, text_scale, self.vocabulary)),
                    &ty,
                    lambda,
                );
                let scores = model.score_words(
                    ex.x.select(Axis(0), test_rows).view(),
                    Some(&self.words.select(test_rows)),
                );
                let held: Vec<bool> = test_rows.iter().map(|&i| ex.y[i]).collect();
                let auc = roc_auc(&scores, &held);
                Some((scores, auc))
            })
            .collect()
    }

    /// Each setting's mean held-out ROC-AUC and its out-of-fold scores.
    fn summarize(&self, results: &[FoldResult]) -> (Vec<CvResult>, Vec<Vec<f32>>) {
        let folds = self.split.len();
        let mut cv = Vec::new();
        let mut held_out = Vec::new();
        for (si, &(text_scale, lambda)) in self.settings.iter().enumerate() {
            let mut aucs = Vec::new();
            let mut oof = vec![f32::NAN; self.ex.y.len()];
            for (k, (_, test_rows)) in self.split.iter().enumerate() {
                let Some((scores, auc)) = &results[si * folds + k] else {
                    continue;
                };
                for (&i, &v) in test_rows.iter().zip(scores) {
                    oof[i] = v;
                }
                aucs.extend(*auc);
            }
            let mean = (!aucs.is_empty()).then(|| aucs.iter().sum::<f64>() / aucs.len() as f64);
            cv.push(CvResult {
                lambda,
                text_scale,
                roc_auc: mean,
            });
            held_out.push(oof);
        }
        (cv, held_out)
    }
}

/// The setting to fit on every paper, and whether cross-validation chose it. In the order
/// tried, so a tie keeps the simpler model (no words, stronger L2); a setting nothing was
/// measured for never wins, and without any figure at all the default setting is used.
fn choose(cv: &[CvResult]) -> (usize, bool) {
    let mut best: Option<(usize, f64)> = None;
    for (i, c) in cv.iter().enumerate() {
        if let Some(auc) = c.roc_auc {
            if best.is_none_or(|(_, b)| auc > b) {
                best = Some((i, auc));
            }
        }
    }
    match best {
        Some((i, _)) => (i, true),
        None => (
            cv.iter()
                .position(|c| (c.lambda, c.text_scale) == DEFAULT_SETTING)
                .expect("the default setting is among those tried"),
            false,
        ),
    }
}

fn standardize(x: ArrayView2<f32>, mean: &[f32], scale: &[f32]) -> Array2<f32> {
    let mut z = x.to_owned();
    for mut row in z.rows_mut() {
        for ((v, m), s) in row.iter_mut().zip(mean).zip(scale) {
            *v = (*v - m) / s;
        }
    }
    z
}

/// The design matrix `[z | scale · words]`, multiplied without building it.
struct Design<'a> {
    z: Array2<f32>,
    /// zᵀ, laid out row by row: multiplying by a transposed view reads memory with a stride
    /// and was most of a fit's time.
    zt: Array2<f32>,
    words: Option<(&'a tfidf::Sparse, f32)>,
}

impl Design<'_> {
    fn dot(&self, w: &Array1<f32>, v: &[f32]) -> Array1<f32> {
        let mut m = self.z.dot(w);
        if let Some((words, s)) = self.words {
            for (m, x) in m.iter_mut().zip(words.dot(v)) {
                *m += s * x;
            }
        }
        m
    }

    fn t_dot(&self, r: &Array1<f32>) -> (Array1<f32>, Vec<f32>) {
        let g = self.zt.dot(r);
        let gv = match self.words {
            Some((words, s)) => words
                .t_dot(r.as_slice().expect("contiguous"))
                .into_iter()
                .map(|x| s * x)
                .collect(),
            None => Vec::new(),
        };
        (g, gv)
    }

    /// The largest eigenvalue of DᵀD by power iteration from a fixed start (deterministic).
    fn spectral_norm_sq(&self) -> f32 {
        let cols = self.z.ncols() + self.words.map_or(0, |(w, _)| w.cols);
        let start = 1.0 / (cols as f32).sqrt();
        let mut w = Array1::<f32>::from_elem(self.z.ncols(), start);
        let mut v = vec![start; self.words.map_or(0, |(w, _)| w.cols)];
        let mut norm = 0.0;
        for _ in 0..30 {
            let (uw, uv) = self.t_dot(&self.dot(&w, &v));
            norm = (uw.dot(&uw) + uv.iter().map(|x| x * x).sum::<f32>()).sqrt();
            if norm == 0.0 {
                return 1.0;
            }
            w = uw / norm;
            v = uv.into_iter().map(|x| x / norm).collect();
        }
        // Power iteration approaches from below; a margin keeps the step safe.
        norm * 1.05
    }
}

/// Class-balanced logistic regression with an L2 penalty of `lambda`, by Nesterov's
/// accelerated gradient descent with the step set from the loss's Lipschitz bound. `words`:
/// the TF-IDF rows, their weight and vocabulary, when the word part is fitted too.
fn fit(
    x: ArrayView2<f32>,
    words: Option<(&tfidf::Sparse, f32, &tfidf::Vocabulary)>,
    y: &[bool],
    lambda: f32,
) -> LinearModel {
    let (mean, scale) = column_stats(x);
    let z = standardize(x, &mean, &scale);
    let design = Design {
        zt: z.t().as_standard_layout().into_owned(),
        z,
        words: words.map(|(m, s, _)| (m, s)),
    };
    let v_dim = words.map_or(0, |(m, _, _)| m.cols);
    let (w, v, b) = descend(&design, y, lambda, x.ncols(), v_dim);
    LinearModel {
        mean,
        scale,
        weights: w.to_vec(),
        bias: b,
        lambda,
        text: words.map(|(_, s, vocabulary)| TextWeights {
            scale: s,
            vocabulary: vocabulary.clone(),
            weights: v,
        }),
    }
}

/// Each column's mean and standard deviation (1 for a constant column).
fn column_stats(x: ArrayView2<f32>) -> (Vec<f32>, Vec<f32>) {
    let (n, d) = x.dim();
    let mean: Vec<f32> = (0..d).map(|j| x.column(j).mean().unwrap_or(0.0)).collect();
    let scale: Vec<f32> = (0..d)
        .map(|j| {
            let m = mean[j];
            let var = x.column(j).iter().map(|v| (v - m) * (v - m)).sum::<f32>() / n as f32;
            // A constant column (no author ever matched) stays at zero, not NaN.
            if var > 1e-12 {
                var.sqrt()
            } else {
                1.0
            }
        })
        .collect();
    (mean, scale)
}

/// The class-weighted, L2-penalised logistic loss minimised by accelerated gradient
/// descent (a fixed number of steps, so a fit is deterministic): the features' weights,
/// the words' weights and the bias.
fn descend(
    design: &Design,
    y: &[bool],
    lambda: f32,
    d: usize,
    v_dim: usize,
) -> (Array1<f32>, Vec<f32>, f32) {
    let n = y.len();
    let pos = y.iter().filter(|&&v| v).count().max(1) as f32;
    let neg = (n as f32 - pos).max(1.0);
    // Each class weighs half of the loss, however rare the picks are.
    let sample: Array1<f32> = y
        .iter()
        .map(|&v| if v { 0.5 / pos } else { 0.5 / neg })
        .collect();
    let target: Array1<f32> = y.iter().map(|&v| f32::from(u8::from(v))).collect();
    // The logistic loss's curvature is at most 1/4; with the weights summing to 1 the
    // gradient's Lipschitz constant is at most max weight * ||D||² / 4 + lambda.
    let lipschitz = sample.iter().copied().fold(0.0, f32::max) * design.spectral_norm_sq() / 4.0;
    let step = 1.0 / (lipschitz + lambda);
    let mut w = Array1::<f32>::zeros(d);
    let mut v = vec![0.0f32; v_dim];
    let mut b = 0.0f32;
    let (mut w_prev, mut v_prev, mut b_prev) = (w.clone(), v.clone(), b);
    for t in 0..STEPS {
        let momentum = t as f32 / (t as f32 + 3.0);
        let wl = &w + &((&w - &w_prev) * momentum);
        let vl: Vec<f32> = v
            .iter()
            .zip(&v_prev)
            .map(|(a, p)| a + (a - p) * momentum)
            .collect();
        let bl = b + (b - b_prev) * momentum;
        let margin = design.dot(&wl, &vl) + bl;
        let residual: Array1<f32> = margin
            .iter()
            .zip(&target)
            .zip(&sample)
            .map(|((m, t), s)| s * (sigmoid(*m) - t))
            .collect();
        let (gw, gv) = design.t_dot(&residual);
        let grad_w = gw + &wl * lambda;
        let grad_b = residual.sum();
        let next_v: Vec<f32> = vl
            .iter()
            .zip(&gv)
            .map(|(a, g)| a - (g + a * lambda) * step)
            .collect();
        w_prev = std::mem::replace(&mut w, &wl - &(grad_w * step));
        v_prev = std::mem::replace(&mut v, next_v);
        b_prev = std::mem::replace(&mut b, bl - grad_b * step);
    }
    (w, v, b)
}

fn sigmoid(m: f32) -> f32 {
    1.0 / (1.0 + (-m).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two features, the first separating the classes; days alternate.
    fn toy(n: usize, positives: usize) -> Examples {
        let mut x = Array2::zeros((n, 2));
        let mut y = Vec::new();
        let mut days = Vec::new();
        for i in 0..n {
            let pick = i < positives;
            x[[i, 0]] = if pick { 1.0 } else { -1.0 } + ((i * 7919) % 13) as f32 * 0.05;
            x[[i, 1]] = ((i * 104_729) % 17) as f32 * 0.1;
            y.push(pick);
            days.push(Group::parse(&format!("2025-05-{:02}", 1 + i % 4)).unwrap());
        }
        Examples {
            x,
            names: (0..n)
                .map(|i| {
                    let id = format!("2505.{:05}", i + 1);
                    (crate::ingest::PaperId::parse(&id).unwrap(), id)
                })
                .collect(),
            texts: vec![None; n],
            y,
            days,
        }
    }

    #[test]
    fn learns_a_separable_taste_and_is_deterministic() {
        let ex = toy(200, 30);
        let a = train(&ex).unwrap();
        assert_eq!(a.folds, 4);
        assert_eq!(
            a.cv.len(),
            LAMBDAS.len(),
            "no words, so no word weights tried"
        );
        assert!(
            a.cv.iter().all(|c| c.roc_auc.is_some_and(|v| v > 0.99)),
            "{:?}",
            a.cv
        );
        assert!(a.chosen_by_cv && a.fold_by == FoldBy::Days);
        let scores = a.model.score(ex.x.view(), ex.text_strs());
        assert_eq!(roc_auc(&scores, &ex.y), Some(1.0));
        assert!(a.model.weights[0] > 0.0 && a.model.weights[0].abs() > a.model.weights[1].abs());
        let b = train(&ex).unwrap();
        assert_eq!(a.model, b.model, "same inputs, same weights");
    }

    #[test]
    fn too_few_picks_keep_the_hybrid() {
        let err = train(&toy(200, 5)).err().unwrap();
        assert!(matches!(err, LearnError::ColdStart { positives: 5 }));
        assert!(err.to_string().contains("at least 20"), "{err}");
        let all = Examples {
            y: vec![true; 30],
            ..toy(30, 30)
        };
        assert!(matches!(train(&all), Err(LearnError::NoNegatives)));
    }

    #[test]
    fn a_constant_column_does_not_poison_the_model() {
        let mut ex = toy(120, 25);
        ex.x.column_mut(1).fill(3.0);
        let t = train(&ex).unwrap();
        assert!(t.model.weights.iter().all(|w| w.is_finite()));
        assert_eq!(t.model.weights[1], 0.0);
    }
}
