//! Tuning the profile's weights without fooling ourselves, and calibrating its 1-10 scale.
//!
//! Tuning holds out one announcement day at a time: weights are chosen on the other days
//! and measured on the held-out one, so every figure it reports is on papers the search
//! never saw. Calibration fits the linear raw → 1-10 map so that the share of papers
//! scored 8 or more matches the judge's selection rate.

use super::metrics::{average_precision, evaluate, Truth};
use super::EvalError;
use crate::labels::Group;
use crate::score::{relevance_on, Features, Scorer};
use crate::topics::{Aggregation, Scale, Weights};

/// The grid `--tune` searches: every combination of these per weight, around the
/// profile's own similarity, caps and author bonus (which are kept).
pub fn grid(base: &Weights) -> Vec<Weights> {
    let keyword = [0.0, 0.02, 0.04, 0.06, 0.08];
    let title = [0.0, 0.03, 0.06, 0.1];
    let penalty = [0.0, 0.03, 0.06, 0.1];
    let negative = [0.0, 0.5, 1.0, 2.0, 3.0];
    let lexical = [0.0, 0.1, 0.2, 0.3];
    // The profile's own weights first: a tie keeps them.
    let mut out = vec![base.clone()];
    for &k in &keyword {
        for &t in &title {
            for &i in &penalty {
                for &a in &penalty {
                    for &n in &negative {
                        for &l in &lexical {
                            for agg in Aggregation::ALL {
                                out.push(Weights {
                                    keyword: k,
                                    title_keyword: t,
                                    irrelevant: i,
                                    application: a,
                                    negative: n,
                                    lexical: l,
                                    topic_aggregation: agg,
                                    ..base.clone()
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Fits `raw_at_1`/`raw_at_10` to `raws` so that the share of papers at relevance 8 or
/// more (the default `select_min`) equals `rate`, and the median paper lands on 4, the
/// rubric's "irrelevant" band. `select_min` is kept; `note` records the provenance.
pub fn calibrate(raws: &[f32], rate: f64, scale: &Scale, note: String) -> Result<Scale, EvalError> {
    scale.fitted(raws, rate, note).map_err(EvalError::Usage)
}

/// How a scale's selection (relevance ≥ `select_min`) compares with the judge's.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Selection {
    pub papers: usize,
    pub judge_selected: usize,
    pub selected: usize,
    pub both: usize,
}

impl Selection {
    pub fn measure(raws: &[f32], selected: &[bool], scale: &Scale) -> Self {
        let ours: Vec<bool> = raws
            .iter()
            .map(|&r| relevance_on(scale, r) >= scale.select_min)
            .collect();
        Self {
            papers: raws.len(),
            judge_selected: selected.iter().filter(|&&s| s).count(),
            selected: ours.iter().filter(|&&s| s).count(),
            both: ours
                .iter()
                .zip(selected)
                .filter(|(a, b)| **a && **b)
                .count(),
        }
    }
    pub fn precision(&self) -> Option<f64> {
        (self.selected > 0).then(|| self.both as f64 / self.selected as f64)
    }
    pub fn recall(&self) -> Option<f64> {
        (self.judge_selected > 0).then(|| self.both as f64 / self.judge_selected as f64)
    }
}

/// One held-out day.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Fold {
    pub test_day: Group,
    pub train_days: Vec<Group>,
    pub train_ap: f64,
    pub chosen: WeightsSummary,
    /// [`super::metrics::METRICS`] on the held-out day with the chosen weights.
    pub tuned: Vec<Option<f64>>,
    /// The same with the profile's weights, for comparison.
    pub profile: Vec<Option<f64>>,
    /// Selection on the held-out day with a scale calibrated on the training days.
    pub selection: Selection,
}

/// The weights a search chose, flat for reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WeightsSummary {
    pub lexical: f32,
    pub keyword: f32,
    pub title_keyword: f32,
    pub irrelevant: f32,
    pub application: f32,
    pub negative: f32,
    pub topic_aggregation: Aggregation,
}

impl From<&Weights> for WeightsSummary {
    fn from(w: &Weights) -> Self {
        Self {
            lexical: w.lexical,
            keyword: w.keyword,
            title_keyword: w.title_keyword,
            irrelevant: w.irrelevant,
            application: w.application,
            negative: w.negative,
            topic_aggregation: w.topic_aggregation,
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TuneReport {
    pub candidates: usize,
    pub folds: Vec<Fold>,
    /// Chosen on every day: what `--tune --write-profile` stores. Its in-sample figures are
    /// never reported.
    #[serde(skip)]
    pub all_days: Weights,
    pub all_days_summary: WeightsSummary,
}

/// Searches [`grid`] with leave-one-day-out cross-validation. `features[i]`, `truth` and
/// `days[i]` describe paper `i`; `scale` is the profile's, recalibrated per fold.
pub fn tune(
    features: &[Features],
    truth: Truth,
    days: &[Group],
    base: &Weights,
    scale: &Scale,
) -> Result<TuneReport, EvalError> {
    let mut distinct: Vec<Group> = days.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.len() < 2 {
        return Err(EvalError::Usage(format!(
            "--tune holds out one day at a time and needs at least two days; this set has {}",
            distinct.len()
        )));
    }
    let search = Search {
        features,
        truth,
        base,
        candidates: grid(base),
    };
    let mut folds = Vec::new();
    for test_day in &distinct {
        folds.push(search.fold(test_day, days, &distinct, scale)?);
    }
    let (all_days, _) = search.best_on(&(0..features.len()).collect::<Vec<_>>());
    Ok(TuneReport {
        candidates: search.candidates.len(),
        folds,
        all_days_summary: (&all_days).into(),
        all_days,
    })
}

/// The weightings searched, over the set's papers.
struct Search<'a> {
    features: &'a [Features],
    truth: Truth<'a>,
    base: &'a Weights,
    candidates: Vec<Weights>,
}

impl Search<'_> {
    fn raws(&self, w: &Weights, idx: &[usize]) -> Vec<f32> {
        idx.iter()
            .map(|&i| Scorer::raw(&self.features[i], w))
            .collect()
    }

    fn selected(&self, idx: &[usize]) -> Vec<bool> {
        idx.iter().map(|&i| self.truth.selected[i]).collect()
    }

    /// The weighting with the best AP on the papers `idx` (the profile's on a tie with
    /// nothing better), and that AP.
    fn best_on(&self, idx: &[usize]) -> (Weights, f64) {
        let sel = self.selected(idx);
        let mut best = (self.base.clone(), f64::MIN);
        for w in &self.candidates {
            let ap = average_precision(&self.raws(w, idx), &sel);
            if ap > best.1 {
                best = (w.clone(), ap);
            }
        }
        best
    }

    /// `test_day` held out: the weighting chosen on the other days, measured on it, and its
    /// digest selection with the scale calibrated on the other days.
    fn fold(
        &self,
        test_day: &Group,
        days: &[Group],
        distinct: &[Group],
        scale: &Scale,
    ) -> Result<Fold, EvalError> {
        let subset = |keep: &dyn Fn(usize) -> bool| -> Vec<usize> {
            (0..self.features.len()).filter(|&i| keep(i)).collect()
        };
        let train = subset(&|i| days[i] != *test_day);
        let test = subset(&|i| days[i] == *test_day);
        let (chosen, train_ap) = self.best_on(&train);
        let measure = |w: &Weights| {
            let sel = self.selected(&test);
            let grades: Vec<Option<f32>> = test.iter().map(|&i| self.truth.grades[i]).collect();
            evaluate(
                &self.raws(w, &test),
                Truth {
                    selected: &sel,
                    grades: &grades,
                },
            )
        };
        let train_sel = self.selected(&train);
        let rate = train_sel.iter().filter(|&&s| s).count() as f64 / train.len() as f64;
        let fitted = calibrate(
            &self.raws(&chosen, &train),
            rate,
            scale,
            format!("training days of fold {test_day}"),
        )?;
        let test_sel = self.selected(&test);
        Ok(Fold {
            test_day: *test_day,
            train_days: distinct
                .iter()
                .filter(|d| *d != test_day)
                .cloned()
                .collect(),
            train_ap,
            chosen: (&chosen).into(),
            tuned: measure(&chosen),
            profile: measure(self.base),
            selection: Selection::measure(&self.raws(&chosen, &test), &test_sel, &fitted),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale() -> Scale {
        Scale {
            raw_at_1: 0.0,
            raw_at_10: 1.0,
            select_min: 8,
            calibrated: None,
        }
    }

    #[test]
    fn calibrated_scale_selects_the_judges_share() {
        let mut rng = fastrand::Rng::with_seed(3);
        let raws: Vec<f32> = (0..1000).map(|_| rng.f32() * 0.6 + 0.1).collect();
        for rate in [0.02, 0.059, 0.2] {
            let s = calibrate(&raws, rate, &scale(), "test".into()).unwrap();
            let sel = Selection::measure(&raws, &vec![false; raws.len()], &s);
            assert_eq!(
                sel.selected,
                (rate * 1000.0).round() as usize,
                "rate {rate}"
            );
            let mut sorted = raws.clone();
            sorted.sort_by(f32::total_cmp);
            assert_eq!(relevance_on(&s, sorted[500]), 4);
            assert_eq!(s.calibrated.as_deref(), Some("test"));
        }
        assert!(calibrate(&raws, 0.6, &scale(), "x".into()).is_err());
        assert!(calibrate(&raws[..5], 0.2, &scale(), "x".into()).is_err());
    }

    #[test]
    fn grid_starts_with_the_profile_and_varies_every_searched_weight() {
        let base = Weights {
            similarity: 1.0,
            keyword: 0.04,
            keyword_cap: 3,
            title_keyword: 0.06,
            irrelevant: 0.06,
            application: 0.06,
            penalty_cap: 2,
            author: 0.5,
            negative: 2.0,
            topic_aggregation: Aggregation::Max,
            lexical: 0.0,
            mark: 0.85,
            dislike: 2.0,
        };
        let g = grid(&base);
        assert_eq!(WeightsSummary::from(&g[0]), WeightsSummary::from(&base));
        assert_eq!(g.len(), 1 + 5 * 4 * 4 * 4 * 5 * 4 * 3);
        assert!(g.iter().all(|w| w.similarity == 1.0 && w.author == 0.5));
        assert!(g
            .iter()
            .any(|w| w.topic_aggregation == Aggregation::MeanTop3));
    }
}
