//! The model a reader's marks train: a logistic model over a paper's features (its vector
//! and the hybrid's parts) whose weight on the hand-set score starts at, and is pulled back
//! toward, a prior instead of zero. With no marks it ranks exactly as the hand-set profile
//! does; each mark moves it only as far as the evidence goes, so a cold start is never
//! worse than the profile and a few marks cannot overturn it. Rows carry weights, so
//! papers a reader was shown and left unmarked can count as weak negatives.

use ndarray::{Array1, Array2, ArrayView2, Axis};

/// Gradient steps per fit: fixed, so a fit is deterministic.
const STEPS: usize = 250;

/// A fitted model: z-scoring, then `bias + weights · z`.
#[derive(Debug, Clone)]
pub struct ReaderModel {
    mean: Array1<f32>,
    scale: Array1<f32>,
    weights: Array1<f32>,
    bias: f32,
}

/// What a fit is pulled toward, and how hard.
#[derive(Debug, Clone, Copy)]
pub struct Prior {
    /// The column of the hand-set score.
    pub column: usize,
    /// Its weight before any mark, on the z-scored column (log-odds per standard deviation).
    pub weight: f32,
    /// L2 strength of the pull toward the prior (every other weight toward zero).
    pub lambda: f32,
}

impl ReaderModel {
    /// The model before any mark: the hand-set score alone (z-scored on `x`).
    pub fn prior(x: ArrayView2<f32>, prior: Prior) -> Self {
        let (mean, scale) = stats(x);
        let mut weights = Array1::zeros(x.ncols());
        weights[prior.column] = prior.weight;
        ReaderModel {
            mean,
            scale,
            weights,
            bias: 0.0,
        }
    }

    /// Log-odds of each row of `x`.
    pub fn score(&self, x: ArrayView2<f32>) -> Vec<f32> {
        let z = (&x - &self.mean) / &self.scale;
        (z.dot(&self.weights) + self.bias).to_vec()
    }
}

/// Fits on rows `x` with labels `y` and row weights `w` (a marked paper 1, a weak negative
/// less). The classes are balanced by weight, so how many negatives there are does not
/// move the line by itself.
pub fn fit(x: ArrayView2<f32>, y: &[bool], w: &[f32], prior: Prior) -> ReaderModel {
    let start = ReaderModel::prior(x, prior);
    let (pos, neg) = y.iter().zip(w).fold(
        (0f32, 0f32),
        |(p, n), (&yi, &wi)| {
            if yi {
                (p + wi, n)
            } else {
                (p, n + wi)
            }
        },
    );
    if pos == 0.0 || neg == 0.0 {
        return start;
    }
    let z = (&x - &start.mean) / &start.scale;
    // zᵀ in rows of its own: the gradient's product reads it row by row, not strided.
    let zt = z.t().as_standard_layout().into_owned();
    // Each row's share of the loss: classes weigh half each.
    let c: Array1<f32> = y
        .iter()
        .zip(w)
        .map(|(&yi, &wi)| wi / if yi { 2.0 * pos } else { 2.0 * neg })
        .collect();
    let t: Array1<f32> = y.iter().map(|&yi| f32::from(u8::from(yi))).collect();
    let mut w0 = Array1::<f32>::zeros(x.ncols());
    w0[prior.column] = prior.weight;
    let step = 1.0 / (0.25 * top_eigenvalue(&z, &zt, &c) + prior.lambda + 0.25);
    let (mut wv, mut b) = (start.weights.clone(), 0f32);
    let (mut prev_w, mut prev_b) = (wv.clone(), b);
    for k in 0..STEPS {
        // Nesterov momentum.
        let m = k as f32 / (k as f32 + 3.0);
        let yw = &wv + &((&wv - &prev_w) * m);
        let yb = b + (b - prev_b) * m;
        let s = z.dot(&yw) + yb;
        let r: Array1<f32> = s
            .iter()
            .zip(&t)
            .zip(&c)
            .map(|((&si, &ti), &ci)| ci * (sigmoid(si) - ti))
            .collect();
        let grad_w = zt.dot(&r) + &((&yw - &w0) * prior.lambda);
        let grad_b = r.sum();
        prev_w = std::mem::replace(&mut wv, &yw - &(grad_w * step));
        prev_b = std::mem::replace(&mut b, yb - grad_b * step);
    }
    ReaderModel {
        weights: wv,
        bias: b,
        ..start
    }
}

fn sigmoid(s: f32) -> f32 {
    1.0 / (1.0 + (-s).exp())
}

/// Each column's mean and standard deviation (1 for a constant column).
fn stats(x: ArrayView2<f32>) -> (Array1<f32>, Array1<f32>) {
    let mean = x
        .mean_axis(Axis(0))
        .unwrap_or_else(|| Array1::zeros(x.ncols()));
    let scale = x
        .var_axis(Axis(0), 0.0)
        .mapv(|v| if v > 1e-12 { v.sqrt() } else { 1.0 });
    (mean, scale)
}

/// The largest eigenvalue of `zᵀ diag(c) z`, by power iteration: the loss's curvature
/// bound, which sets a step that cannot overshoot.
fn top_eigenvalue(z: &Array2<f32>, zt: &Array2<f32>, c: &Array1<f32>) -> f32 {
    let mut v = Array1::from_elem(z.ncols(), 1.0 / (z.ncols() as f32).sqrt());
    let mut value = 0.0;
    for _ in 0..20 {
        let u = zt.dot(&(z.dot(&v) * c));
        value = u.dot(&u).sqrt();
        if value == 0.0 {
            break;
        }
        v = u / value;
    }
    value * 1.05
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn no_marks_rank_as_the_prior_and_marks_move_it() {
        // Column 0 is the hand-set score; column 1 is what the reader actually wants.
        let x = array![
            [0.9, 0.0],
            [0.8, 1.0],
            [0.7, 0.0],
            [0.6, 1.0],
            [0.5, 0.0],
            [0.4, 1.0],
            [0.3, 0.0],
            [0.2, 1.0]
        ];
        let prior = Prior {
            column: 0,
            weight: 1.0,
            lambda: 0.01,
        };
        let cold = ReaderModel::prior(x.view(), prior).score(x.view());
        assert!(cold.windows(2).all(|p| p[0] > p[1]), "{cold:?}");
        let none = fit(x.view(), &[true; 8], &[1.0; 8], prior).score(x.view());
        assert_eq!(none, cold, "one class alone teaches nothing");
        let y: Vec<bool> = (0..8).map(|i| i % 2 == 1).collect();
        let taught = fit(x.view(), &y, &[1.0; 8], prior).score(x.view());
        assert!(taught[7] > taught[0], "{taught:?}");
        assert!(taught[1] > taught[2] && taught[3] > taught[4], "{taught:?}");
        // A strong pull toward the prior keeps the hand-set order.
        let firm = Prior {
            lambda: 100.0,
            ..prior
        };
        let held = fit(x.view(), &y, &[1.0; 8], firm).score(x.view());
        assert!(held[0] > held[7], "{held:?}");
    }
}
