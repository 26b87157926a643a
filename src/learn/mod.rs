//! Learn: a ranker trained on the papers a judge (GPT, or the reader) picked on earlier days.
//!
//! The hand-set profile misses papers the judge picks; the judge's own past picks say what
//! it rewards. The model is a class-balanced, L2-regularised logistic regression over each
//! paper's sentence-embedding vector and the hybrid score's parts, every column z-scored on
//! the training papers. The regularisation strength is chosen by cross-validation grouped by
//! day: papers of one day share a listing and a judge's mood, so splitting a day across
//! folds would leak. With fewer than [`MIN_POSITIVES`] picks there is too little to learn
//! from and training refuses ([`LearnError::ColdStart`]), so callers keep the hybrid.
//!
//! Deterministic: full-batch gradient descent from zero, a fixed number of steps, one thread,
//! the same order every time, so the same inputs give the same weights bit for bit.

use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::eval::metrics::roc_auc;
use crate::ingest::Paper;
use crate::score::{Features, Lexical, Scorer, Similarities};
use crate::topics::Weights;

/// Fewer picks than this and the model would learn the handful of papers, not a taste.
pub const MIN_POSITIVES: usize = 20;

/// The L2 strengths tried by cross-validation, strongest first (ties go to the simpler model).
const LAMBDAS: [f32; 5] = [1.0, 0.1, 0.03, 0.01, 0.001];

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

pub mod stored;

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

/// Training examples: one row of features per paper, its label and its day.
pub struct Examples {
    pub x: Array2<f32>,
    pub y: Vec<bool>,
    pub days: Vec<String>,
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
}

impl LinearModel {
    /// One score per row of `x` (features as [`features`] builds them); higher is a likelier
    /// pick.
    pub fn score(&self, x: ArrayView2<f32>) -> Vec<f32> {
        let z = standardize(x, &self.mean, &self.scale);
        let w = Array1::from(self.weights.clone());
        (z.dot(&w) + self.bias).to_vec()
    }
}

/// What training found: the model and the held-out AUC of every strength tried.
#[derive(Debug, Clone)]
pub struct Trained {
    pub model: LinearModel,
    /// (lambda, mean held-out ROC-AUC over the day folds), strongest first.
    pub cv: Vec<(f32, f64)>,
    pub folds: usize,
    pub positives: usize,
    pub papers: usize,
    /// Each training paper's score from the fold that held its day out, at the chosen
    /// strength (NaN where no fold could): what the model does on days it has not seen, so
    /// the 1-10 scale is fitted on these rather than on the flattering in-sample scores.
    pub held_out: Vec<f32>,
}

/// Trains on `ex`, choosing the L2 strength by cross-validation over whole days.
pub fn train(ex: &Examples) -> Result<Trained, LearnError> {
    let positives = ex.y.iter().filter(|&&y| y).count();
    if positives < MIN_POSITIVES {
        return Err(LearnError::ColdStart { positives });
    }
    if positives == ex.y.len() {
        return Err(LearnError::NoNegatives);
    }
    let mut days: Vec<&str> = ex.days.iter().map(String::as_str).collect();
    days.sort_unstable();
    days.dedup();
    let folds = days.len().min(5);
    let fold_of = |d: &str| days.binary_search(&d).expect("a known day") % folds;
    let mut cv = Vec::new();
    let mut held_out = Vec::new();
    for &lambda in &LAMBDAS {
        let mut aucs = Vec::new();
        let mut oof = vec![f32::NAN; ex.y.len()];
        for k in 0..folds {
            let test: Vec<bool> = ex.days.iter().map(|d| fold_of(d) == k).collect();
            let train_rows: Vec<usize> = (0..ex.y.len()).filter(|&i| !test[i]).collect();
            let test_rows: Vec<usize> = (0..ex.y.len()).filter(|&i| test[i]).collect();
            let ty: Vec<bool> = train_rows.iter().map(|&i| ex.y[i]).collect();
            if !ty.contains(&true) || !ty.contains(&false) {
                continue;
            }
            let model = fit(ex.x.select(Axis(0), &train_rows).view(), &ty, lambda);
            let scores = model.score(ex.x.select(Axis(0), &test_rows).view());
            for (&i, &v) in test_rows.iter().zip(&scores) {
                oof[i] = v;
            }
            let held: Vec<bool> = test_rows.iter().map(|&i| ex.y[i]).collect();
            if let Some(auc) = roc_auc(&scores, &held) {
                aucs.push(auc);
            }
        }
        let mean = if aucs.is_empty() {
            f64::NAN
        } else {
            aucs.iter().sum::<f64>() / aucs.len() as f64
        };
        cv.push((lambda, mean));
        held_out.push(oof);
    }
    // Strongest first, so a tie keeps the simpler model; NaN (a single day: no fold could
    // be held out) never wins, and without any figure the middle strength is used.
    let mut best: Option<(f32, f64)> = None;
    for &(l, auc) in &cv {
        if !auc.is_nan() && best.is_none_or(|(_, b)| auc > b) {
            best = Some((l, auc));
        }
    }
    let lambda = best.map_or(LAMBDAS[2], |(l, _)| l);
    let chosen = LAMBDAS
        .iter()
        .position(|&l| l == lambda)
        .expect("one of LAMBDAS");
    Ok(Trained {
        model: fit(ex.x.view(), &ex.y, lambda),
        cv,
        folds,
        positives,
        papers: ex.y.len(),
        held_out: held_out.swap_remove(chosen),
    })
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

/// Class-balanced logistic regression with an L2 penalty of `lambda`, by Nesterov's
/// accelerated gradient descent with the step set from the loss's Lipschitz bound.
fn fit(x: ArrayView2<f32>, y: &[bool], lambda: f32) -> LinearModel {
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
    let z = standardize(x, &mean, &scale);
    let pos = y.iter().filter(|&&v| v).count().max(1) as f32;
    let neg = (n as f32 - pos).max(1.0);
    // Each class weighs half of the loss, however rare the picks are.
    let sample: Array1<f32> = y
        .iter()
        .map(|&v| if v { 0.5 / pos } else { 0.5 / neg })
        .collect();
    let target: Array1<f32> = y.iter().map(|&v| f32::from(u8::from(v))).collect();
    // The logistic loss's curvature is at most 1/4; with the weights summing to 1 the
    // gradient's Lipschitz constant is at most max weight * ||z||² / 4 + lambda.
    let lipschitz = sample.iter().copied().fold(0.0, f32::max) * spectral_norm_sq(&z) / 4.0;
    let step = 1.0 / (lipschitz + lambda);
    let mut w = Array1::<f32>::zeros(d);
    let mut b = 0.0f32;
    let (mut w_prev, mut b_prev) = (w.clone(), b);
    for t in 0..STEPS {
        let momentum = t as f32 / (t as f32 + 3.0);
        let wl = &w + &((&w - &w_prev) * momentum);
        let bl = b + (b - b_prev) * momentum;
        let margin = z.dot(&wl) + bl;
        let residual: Array1<f32> = margin
            .iter()
            .zip(&target)
            .zip(&sample)
            .map(|((m, t), s)| s * (sigmoid(*m) - t))
            .collect();
        let grad_w = z.t().dot(&residual) + &wl * lambda;
        let grad_b = residual.sum();
        w_prev = std::mem::replace(&mut w, &wl - &(grad_w * step));
        b_prev = std::mem::replace(&mut b, bl - grad_b * step);
    }
    LinearModel {
        mean,
        scale,
        weights: w.to_vec(),
        bias: b,
        lambda,
    }
}

fn sigmoid(m: f32) -> f32 {
    1.0 / (1.0 + (-m).exp())
}

/// The largest eigenvalue of zᵀz by power iteration from a fixed start (deterministic).
fn spectral_norm_sq(z: &Array2<f32>) -> f32 {
    let mut v = Array1::<f32>::from_elem(z.ncols(), 1.0 / (z.ncols() as f32).sqrt());
    let mut norm = 0.0;
    for _ in 0..30 {
        let u = z.t().dot(&z.dot(&v));
        norm = u.dot(&u).sqrt();
        if norm == 0.0 {
            return 1.0;
        }
        v = u / norm;
    }
    // Power iteration approaches from below; a margin keeps the step safe.
    norm * 1.05
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
            days.push(format!("2025-05-{:02}", 1 + i % 4));
        }
        Examples { x, y, days }
    }

    #[test]
    fn learns_a_separable_taste_and_is_deterministic() {
        let ex = toy(200, 30);
        let a = train(&ex).unwrap();
        assert_eq!(a.folds, 4);
        assert!(a.cv.iter().all(|(_, auc)| *auc > 0.99), "{:?}", a.cv);
        let scores = a.model.score(ex.x.view());
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
