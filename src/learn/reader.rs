//! The model a reader's marks train: a logistic model over a paper's features (its vector
//! and the hybrid's parts) whose weight on the score that ranks without marks (the hand-set
//! score, or a learned ranker's) starts at, and is pulled back toward, a prior instead of
//! zero. With no marks it ranks exactly as before; each mark moves it only as far as the
//! evidence goes, so a cold start is never worse than the profile and a few marks cannot
//! overturn it. Rows carry weights, so papers a reader was shown and left unmarked can
//! count as weak negatives.
//!
//! `learn --feedback` (and so `daily`, when the feedback log changed) and `eval
//! --simulate-reader` train it the same way: [`seen_rows`] says which papers of a day a
//! mark teaches about and how much, and [`mark_columns`] adds each paper's closeness to the
//! liked and disliked papers.

use std::collections::HashSet;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Gradient steps per fit: fixed, so a fit is deterministic.
const STEPS: usize = 250;

/// The weight of a paper shown and left unmarked, against 1 for a mark.
pub const WEAK_NEGATIVE: f32 = 0.5;

/// Unmarked papers just below the picks, this many per pick, are not weak negatives:
/// that is where the picks the ranking missed sit.
pub const GAP: usize = 3;

/// The prior's weight (log-odds per standard deviation of the score that ranks without
/// marks), and the pull toward it and toward zero for everything else. Chosen on the GPT-4o
/// six-topic set (README, "How fast it learns"), then used unchanged on the GPT-5 set.
pub const PRIOR: (f32, f32) = (1.0, 0.3);

/// A fitted model: z-scoring, then `bias + weights · z`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReaderModel {
    mean: Vec<f32>,
    scale: Vec<f32>,
    weights: Vec<f32>,
    bias: f32,
    prior: Prior,
}

/// What a fit is pulled toward, and how hard.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prior {
    /// The column of the score that ranks without marks.
    pub column: usize,
    /// Its weight before any mark, on the z-scored column (log-odds per standard deviation).
    pub weight: f32,
    /// L2 strength of the pull toward the prior (every other weight toward zero).
    pub lambda: f32,
}

impl Prior {
    /// [`PRIOR`] on column `column`.
    pub fn on(column: usize) -> Self {
        Prior {
            column,
            weight: PRIOR.0,
            lambda: PRIOR.1,
        }
    }
}

impl ReaderModel {
    /// The model before any mark: the prior's column alone (z-scored on `x`).
    pub fn prior(x: ArrayView2<f32>, prior: Prior) -> Self {
        let (mean, scale) = stats(x);
        let mut weights = vec![0.0; x.ncols()];
        weights[prior.column] = prior.weight;
        ReaderModel {
            mean: mean.to_vec(),
            scale: scale.to_vec(),
            weights,
            bias: 0.0,
            prior,
        }
    }

    /// Log-odds of each row of `x`.
    pub fn score(&self, x: ArrayView2<f32>) -> Vec<f32> {
        let (mean, scale) = (ArrayView1::from(&self.mean), ArrayView1::from(&self.scale));
        let z = (&x - &mean) / scale;
        (z.dot(&ArrayView1::from(&self.weights)) + self.bias).to_vec()
    }
}

impl ReaderModel {
    /// How many columns it reads, and which is the prior's.
    pub fn columns(&self) -> (usize, usize) {
        (self.weights.len(), self.prior.column)
    }

    /// Whether its numbers are whole: as many means, scales and weights, all finite, the
    /// scales and the prior's weight not zero.
    pub fn is_whole(&self) -> bool {
        let n = self.weights.len();
        self.mean.len() == n
            && self.scale.len() == n
            && self.prior.column < n
            && self.prior.weight != 0.0
            && self.scale.iter().all(|s| s.is_finite() && *s != 0.0)
            && self.mean.iter().chain(&self.weights).all(|v| v.is_finite())
            && self.bias.is_finite()
    }
}

/// The papers of one day a reader's marks train on, as (paper, weight): a day's papers in
/// rank order `order`, of which `marked` were marked and the first `picks` were the
/// digest's picks. A marked paper weighs 1; a paper the reader was shown and left unmarked
/// is a weak negative ([`WEAK_NEGATIVE`]), except an unmarked pick (a reader who agrees
/// with a pick need not say so) and the [`GAP`] per pick just below the picks, where the
/// picks the ranking missed sit, so an unmarked paper there says little too. In the order
/// of the papers' indices, so a fit does not depend on the ranking's order.
pub fn seen_rows(order: &[usize], marked: &HashSet<usize>, picks: usize) -> Vec<(usize, f32)> {
    let gap = 0..picks + GAP * picks;
    let mut rows: Vec<(usize, f32)> = order
        .iter()
        .enumerate()
        .filter_map(|(place, &i)| match marked.contains(&i) {
            true => Some((i, 1.0)),
            false if gap.contains(&place) => None,
            false => Some((i, WEAK_NEGATIVE)),
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    rows
}

/// Each row of `vectors`' greatest cosine to a liked and to a disliked paper (rows of unit
/// vectors; 0 without any), leaving out the pairs `same(row, anchor)` says are one paper:
/// a liked paper must not explain itself.
pub fn mark_columns<'a>(
    vectors: ArrayView2<f32>,
    (liked, disliked): (ArrayView2<'a, f32>, ArrayView2<'a, f32>),
    same: impl Fn(usize, bool, usize) -> bool,
) -> Array2<f32> {
    let mut out = Array2::zeros((vectors.nrows(), 2));
    for (c, anchors) in [liked, disliked].into_iter().enumerate() {
        if anchors.nrows() == 0 {
            continue;
        }
        let cos = vectors.dot(&anchors.t());
        for (r, row) in cos.rows().into_iter().enumerate() {
            out[[r, c]] = row
                .iter()
                .enumerate()
                .filter(|&(a, _)| !same(r, c == 0, a))
                .map(|(_, &v)| v)
                .fold(0f32, f32::max);
        }
    }
    out
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
    let z = (&x - &ArrayView1::from(&start.mean)) / ArrayView1::from(&start.scale);
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
    let (mut wv, mut b) = (Array1::from(start.weights.clone()), 0f32);
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
        weights: wv.to_vec(),
        bias: b,
        ..start
    }
}

/// One interest's own model: it reads the mixed model's columns and, last, the mixed
/// model's score, which is its prior; it orders the papers of its topic only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterestModel {
    /// The hand-set topic whose papers it orders (a paper belongs to the topic it is
    /// closest to).
    pub topic: String,
    pub model: ReaderModel,
}

/// The rows one model of several interests trains on: features, labels, weights, each
/// row's day (any ordered key) and the topic each row belongs to.
pub struct InterestRows<'a, D> {
    pub x: ArrayView2<'a, f32>,
    pub y: &'a [bool],
    pub w: &'a [f32],
    pub day: &'a [D],
    pub topic_of: &'a [usize],
}

/// Each of `topics` topics' own model over `mixed` (trained on all of `rows` with `prior`),
/// where it earns one, else `None`. The rule: trained on the earlier two thirds of the days
/// over a mixed model of those days, the topic's own model must order the topic's rows of
/// the last third better than that mixed model does (R@10 per day, on the rows' labels).
/// Decided on the training rows alone; a narrow interest whose own model would lose keeps
/// the mixed model's order (`eval --interests` measures the rule on held-out days).
pub fn interest_models<D: Ord + Copy>(
    rows: &InterestRows<D>,
    topics: usize,
    prior: Prior,
    mixed: &ReaderModel,
) -> Vec<Option<ReaderModel>> {
    let mut days: Vec<D> = rows.day.to_vec();
    days.sort_unstable();
    days.dedup();
    if days.len() < 3 {
        return vec![None; topics];
    }
    let first_check = days[days.len() * 2 / 3];
    let all: Vec<usize> = (0..rows.y.len()).collect();
    let (early, check): (Vec<usize>, Vec<usize>) =
        all.iter().partition(|&&i| rows.day[i] < first_check);
    let early_mixed = fit_rows(rows.x, rows, &early, prior);
    let over = |m: &ReaderModel| {
        let column = Array1::from(m.score(rows.x)).insert_axis(Axis(1));
        ndarray::concatenate![Axis(1), rows.x, column]
    };
    let (over_early, over_all) = (over(&early_mixed), over(mixed));
    let last = Prior {
        column: rows.x.ncols(),
        ..prior
    };
    (0..topics)
        .map(|t| {
            let of = |r: &[usize]| -> Vec<usize> {
                r.iter()
                    .copied()
                    .filter(|&i| rows.topic_of[i] == t)
                    .collect()
            };
            let check = of(&check);
            let own = fit_rows(over_early.view(), rows, &of(&early), last);
            let truth: Vec<bool> = check.iter().map(|&i| rows.y[i]).collect();
            let day: Vec<D> = check.iter().map(|&i| rows.day[i]).collect();
            let r10 =
                |s: &[f32]| crate::metrics::per_day_with_intervals(s, &truth, &day, 0, 0)[1].value;
            let on_check = over_early.select(Axis(0), &check);
            let by_mixed: Vec<f32> = on_check.column(last.column).to_vec();
            let wins = matches!(
                (r10(&own.score(on_check.view())), r10(&by_mixed)),
                (Some(a), Some(b)) if a > b
            );
            wins.then(|| fit_rows(over_all.view(), rows, &of(&all), last))
        })
        .collect()
}

/// [`fit`] on rows `which` of `x` (the labels and weights of `rows`).
fn fit_rows<D>(
    x: ArrayView2<f32>,
    rows: &InterestRows<D>,
    which: &[usize],
    prior: Prior,
) -> ReaderModel {
    let y: Vec<bool> = which.iter().map(|&i| rows.y[i]).collect();
    let w: Vec<f32> = which.iter().map(|&i| rows.w[i]).collect();
    fit(x.select(Axis(0), which).view(), &y, &w, prior)
}

/// `model`'s scores with each interest's papers reordered by its own model: the places
/// the mixed model gave a topic's papers (among `open`, those not marked) stay that topic's,
/// so its share of the day does not move, and its own model says which of its papers takes
/// which. `x` is the mixed model's features (an interest's model reads them and, last,
/// the mixed score); `topic_of` each paper's topic and `own` each topic's model, where it
/// has one.
pub fn within_interests(
    model: &mut [f32],
    x: ArrayView2<f32>,
    topic_of: &[usize],
    own: &[Option<&ReaderModel>],
    open: &[usize],
) {
    if own.iter().all(Option::is_none) {
        return;
    }
    let column = Array1::from(model.to_vec()).insert_axis(Axis(1));
    let over = ndarray::concatenate![Axis(1), x, column];
    for (t, m) in own.iter().enumerate() {
        let Some(m) = m else { continue };
        let papers: Vec<usize> = open.iter().copied().filter(|&i| topic_of[i] == t).collect();
        if papers.len() < 2 {
            continue;
        }
        let mut places: Vec<f32> = papers.iter().map(|&i| model[i]).collect();
        places.sort_by(|a, b| b.total_cmp(a));
        let scores = m.score(over.select(Axis(0), &papers).view());
        for (k, j) in crate::metrics::ranking(&scores).into_iter().enumerate() {
            model[papers[j]] = places[k];
        }
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
    fn a_day_teaches_through_its_marks_and_the_papers_left_unmarked_below_the_gap() {
        // Ten papers ranked 9, 8, ..., 0; two picks (places 0 and 1), the second marked, and
        // a question answered at place 7.
        let order: Vec<usize> = (0..10).rev().collect();
        let marked: HashSet<usize> = [8, 2].into_iter().collect();
        let rows = seen_rows(&order, &marked, 2);
        // The unmarked pick (9) and the gap below the picks (places 2..8: papers 7 to 2,
        // but 2 is marked) say nothing; papers 1 and 0, seen and left unmarked, are weak.
        assert_eq!(
            rows,
            [(0, WEAK_NEGATIVE), (1, WEAK_NEGATIVE), (2, 1.0), (8, 1.0)]
        );
    }

    #[test]
    fn a_marked_paper_is_not_its_own_closest_mark() {
        let v = array![[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]];
        let liked = array![[1.0, 0.0], [0.6, 0.8]];
        let disliked = ndarray::Array2::<f32>::zeros((0, 2));
        // Paper 0 is liked mark 0, paper 2 liked mark 1.
        let same = |r: usize, like: bool, a: usize| like && ((r, a) == (0, 0) || (r, a) == (2, 1));
        let m = mark_columns(v.view(), (liked.view(), disliked.view()), same);
        assert_eq!(m.column(0).to_vec(), [0.6, 0.8, 0.6]);
        assert_eq!(m.column(1).to_vec(), [0.0, 0.0, 0.0]);
    }

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

    #[test]
    fn an_interest_gets_its_own_model_only_where_it_orders_its_papers_better() {
        // Columns: the hand-set score, and a feature that means opposite things in the two
        // topics: topic 0's picks follow the hand-set score (and its feature is the
        // score's opposite), topic 1's follow the feature. Six days of 60 papers.
        let (mut x, mut y, mut day, mut topic) = (vec![], vec![], vec![], vec![]);
        for d in 0..6 {
            for i in 0..60 {
                let t = i % 2;
                let hand = ((i * 7 + d * 3) % 60) as f32 / 60.0;
                let feature = match t {
                    0 => 1.0 - hand,
                    _ => ((i * 11 + d * 5) % 60) as f32 / 60.0,
                };
                x.extend([hand, feature]);
                y.push(if t == 0 { hand > 0.8 } else { feature > 0.8 });
                day.push(d);
                topic.push(t);
            }
        }
        let x = Array2::from_shape_vec((360, 2), x).unwrap();
        let w = vec![1.0; 360];
        let prior = Prior {
            column: 0,
            weight: 1.0,
            lambda: 0.3,
        };
        let rows = InterestRows {
            x: x.view(),
            y: &y,
            w: &w,
            day: &day,
            topic_of: &topic,
        };
        let mixed = fit(x.view(), &y, &w, prior);
        let own = interest_models(&rows, 2, prior, &mixed);
        assert!(
            own[0].is_none(),
            "topic 0 is the hand-set score's: the mixed model does"
        );
        assert!(own[1].is_some(), "topic 1's picks follow its own feature");
        // Two days are too few to check a model on later days.
        let two = InterestRows {
            day: &vec![0; 120],
            ..rows
        };
        assert!(interest_models(&two, 2, prior, &mixed)
            .iter()
            .all(Option::is_none));
    }

    #[test]
    fn an_interest_keeps_its_places_and_its_model_orders_them() {
        // Papers 0-3 of topic 0 (an own model that prefers column 0), 4-5 of topic 1; the
        // own model reads the feature and, last, the mixed score.
        let x = array![[1.0], [3.0], [2.0], [0.0], [5.0], [4.0]];
        let mut model = vec![9.0, 1.0, 5.0, 7.0, 8.0, 2.0];
        let over =
            ndarray::concatenate![Axis(1), x, Array1::from(model.clone()).insert_axis(Axis(1))];
        let own = ReaderModel::prior(over.view(), Prior::on(0));
        // Paper 3 is marked: it keeps its score and takes no part.
        within_interests(
            &mut model,
            x.view(),
            &[0, 0, 0, 0, 1, 1],
            &[Some(&own), None],
            &[0, 1, 2, 4, 5],
        );
        // Topic 0's open places (9, 5, 1) go to papers 1, 2, 0 in the own model's order.
        assert_eq!(model, [1.0, 9.0, 5.0, 7.0, 8.0, 2.0]);
    }
}
