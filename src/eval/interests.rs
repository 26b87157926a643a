//! `eval --interests`: does a narrow interest keep its share when each interest has a model
//! of its own? Each paper belongs to the hand-set topic it is closest to (the rule that
//! splits a reader's marks into interests). On the set's earlier days one model is trained
//! on every paper (`mixed`) and one on each topic's papers alone (`per_topic`), the same
//! learner as the learning curve's `full_labels` ([`crate::learn::reader`]). On the later
//! days each topic's heading lists its papers in each model's order, and R@10 per day
//! (with a bootstrap interval over days) says how many of the judge's picks of that topic
//! its heading's first ten hold. The hand-set score's order is the third column.
//!
//! `chosen` is the rule a reader's own marks can apply without a judge: a topic gets a
//! model of its own (over the mixed model) only when, trained on the earlier two thirds of
//! the training days, it beat the mixed model on the topic's picks of the last third;
//! otherwise its heading keeps the mixed model's order. Decided on training days alone, so
//! the test days stay unseen.

use ndarray::{Array2, ArrayView2, Axis};
use serde::Serialize;

use crate::ingest::Paper;
use crate::labels::{Group, LabelledSet};
use crate::learn::reader::{fit, interest_models, InterestRows, Prior, ReaderModel};
use crate::metrics::{per_day_with_intervals, Estimate};
use crate::score::{Scorer, Similarities};
use crate::topics::Profile;

/// One topic's row.
#[derive(Debug, Clone, Serialize)]
pub struct InterestRow {
    pub topic: String,
    /// The judge's picks of the topic on the training days, and on the test days.
    pub train_picks: usize,
    pub test_picks: usize,
    /// Test days with a pick of the topic (those R@10 per day is averaged over).
    pub test_days: usize,
    /// R@10 per day of the topic's heading ordered by each ranker.
    pub mixed: Estimate,
    pub per_topic: Estimate,
    /// The topic's own model with the mixed model's score as its prior.
    pub over_mixed: Estimate,
    /// `over_mixed` where it won on the training days' last third, else `mixed`.
    pub chosen: Estimate,
    /// Whether `chosen` took the topic's own model.
    pub own_chosen: bool,
    pub hybrid: Estimate,
}

/// What every topic's row is measured from.
struct Split {
    /// Each paper's features, then the mixed model's score as one more column (the last,
    /// [`Split::mixed`]): the prior a topic's own model starts from and moves away from
    /// only as far as the topic's own picks show. A model without it reads the columns
    /// before it.
    over: Array2<f32>,
    hybrid: usize,
    y: Vec<bool>,
    day: Vec<Group>,
    topic_of: Vec<usize>,
    train: Vec<usize>,
    test: Vec<usize>,
    /// Each topic's own model where the `chosen` rule gives it one.
    chosen: Vec<Option<ReaderModel>>,
    draws: (usize, u64),
}

/// The interests table of `set`: trained on its first half of days, measured on the rest.
pub fn interests(
    set: &LabelledSet,
    papers: &[Paper],
    (vectors, sims): (&Array2<f32>, &Similarities),
    profile: &Profile,
    draws: (usize, u64),
) -> Vec<InterestRow> {
    let scorer = Scorer::new(profile);
    let x = crate::learn::features(papers, vectors.view(), sims, &scorer);
    let hybrid = vectors.ncols();
    let y = set.selected();
    let day: Vec<Group> = set.items.iter().map(|j| j.day).collect();
    let days = set.days();
    let first_test = days[days.len() / 2];
    let topic_of = sims.closest_topics();
    let (train, test): (Vec<usize>, Vec<usize>) =
        (0..papers.len()).partition(|&i| day[i] < first_test);
    let mixed = fitted(x.view(), &y, &train, Prior::on(hybrid));
    let column = ndarray::Array1::from(mixed.score(x.view())).insert_axis(Axis(1));
    let over = ndarray::concatenate![Axis(1), x, column];
    let on_train = |v: &[usize]| -> Vec<usize> { train.iter().map(|&i| v[i]).collect() };
    let x_train = x.select(Axis(0), &train);
    let y_train: Vec<bool> = train.iter().map(|&i| y[i]).collect();
    let day_train: Vec<Group> = train.iter().map(|&i| day[i]).collect();
    let rows = InterestRows {
        x: x_train.view(),
        y: &y_train,
        w: &vec![1.0; train.len()],
        day: &day_train,
        topic_of: &on_train(&topic_of),
    };
    let chosen = interest_models(&rows, profile.topics.len(), Prior::on(hybrid), &mixed);
    let split = Split {
        over,
        chosen,
        hybrid,
        y,
        day,
        topic_of,
        train,
        test,
        draws,
    };
    profile
        .topics
        .iter()
        .enumerate()
        .map(|(t, topic)| split.row(t, &topic.name))
        .collect()
}

/// The model of rows `rows` of `x`, every label weighing 1.
fn fitted(x: ArrayView2<f32>, y: &[bool], rows: &[usize], prior: Prior) -> ReaderModel {
    let labels: Vec<bool> = rows.iter().map(|&i| y[i]).collect();
    fit(
        x.select(Axis(0), rows).view(),
        &labels,
        &vec![1.0; rows.len()],
        prior,
    )
}

impl Split {
    /// The mixed model's column: the last.
    fn mixed(&self) -> usize {
        self.over.ncols() - 1
    }

    /// Topic `t`'s row.
    fn row(&self, t: usize, name: &str) -> InterestRow {
        let of = |rows: &[usize]| -> Vec<usize> {
            rows.iter()
                .copied()
                .filter(|&i| self.topic_of[i] == t)
                .collect()
        };
        let (train, test) = (of(&self.train), of(&self.test));
        let mixed_column = self.mixed();
        let x = self.over.slice(ndarray::s![.., ..mixed_column]);
        let own = fitted(x, &self.y, &train, Prior::on(self.hybrid));
        // The rule's own model, where it chose one, is this very fit: not fitted again.
        let own_over = match &self.chosen[t] {
            Some(m) => m.clone(),
            None => fitted(self.over.view(), &self.y, &train, Prior::on(mixed_column)),
        };
        let own_chosen = self.chosen[t].is_some();
        let truth: Vec<bool> = test.iter().map(|&i| self.y[i]).collect();
        let days: Vec<Group> = test.iter().map(|&i| self.day[i]).collect();
        let (resamples, seed) = self.draws;
        let r10 = |s: &[f32]| per_day_with_intervals(s, &truth, &days, resamples, seed)[1];
        let column = |c: usize| -> Vec<f32> { test.iter().map(|&i| self.over[[i, c]]).collect() };
        let with_pick: std::collections::BTreeSet<&Group> = days
            .iter()
            .zip(&truth)
            .filter(|(_, &p)| p)
            .map(|(d, _)| d)
            .collect();
        let (mixed, over_mixed) = (
            r10(&column(mixed_column)),
            r10(&own_over.score(self.over.select(Axis(0), &test).view())),
        );
        InterestRow {
            topic: name.to_owned(),
            train_picks: train.iter().filter(|&&i| self.y[i]).count(),
            test_picks: truth.iter().filter(|&&p| p).count(),
            test_days: with_pick.len(),
            chosen: if own_chosen { over_mixed } else { mixed },
            own_chosen,
            mixed,
            per_topic: r10(&own.score(x.select(Axis(0), &test).view())),
            over_mixed,
            hybrid: r10(&column(self.hybrid)),
        }
    }
}
