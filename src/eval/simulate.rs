//! `eval --simulate-reader`: how fast arxrank learns from a reader, measured by replaying a
//! labelled set day by day from a cold start, as a reader who has no judge's archive would
//! meet it.
//!
//! Each day the current model ranks the day; the simulated reader sees the digest's picks
//! (as many as the hand-set profile picks that day) and, with `--ask N`, the "Help arxrank
//! learn" block's N papers ([`crate::score::questions`]), and marks each ✓ where the judge
//! picked it and ✗ where it did not. The day's other papers, which the reader was shown
//! below the picks and left unmarked, count as weak negatives: a judge picks a few percent
//! of a day, so an unmarked paper is very likely not wanted. The model then retrains on
//! every mark so far ([`crate::learn::reader`]: the score before any mark as a prior that
//! marks outweigh only as evidence builds), and the next day goes on.
//!
//! At [`CHECKPOINTS`] days of marks, the model is measured on every later day against the
//! same learner trained on every label of the same days (`full_labels`: what a judge's
//! archive of those days would give) and the hand-set profile (`hybrid`).
//!
//! **Marks and a judge's archive.** They never mix as equals: when the run has a learned
//! ranker (trained with `--train` on an archive's earlier days, or the profile's stored
//! model), its score is the prior, in place of the hand-set score: where the reader has
//! said nothing the archive's judgement stands, and each mark moves the model away from it
//! only as far as the marks together outweigh the prior's pull. The curve then has a
//! fourth ranker, `learned`: the archive's ranker alone.

use std::collections::HashSet;

use ndarray::{Array2, Axis};
use serde::Serialize;

use crate::ingest::Paper;
use crate::labels::{Group, LabelledSet};
use crate::learn::reader::{
    fit, interest_models, mark_columns, seen_rows, within_interests, InterestRows, Prior,
    ReaderModel,
};
use crate::metrics::{over_days_with_intervals, ranking, Estimate};
use crate::score::{Scorer, Similarities};
use crate::topics::Profile;

/// The days of marks at which the curve is measured (where later days remain to test on).
pub const CHECKPOINTS: [usize; 5] = [5, 10, 20, 30, 40];

/// One point of the curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    /// Days of marks the model has seen.
    pub days: usize,
    /// Marks made so far (picks and questions).
    pub marks: usize,
    /// Of them, answers to the "Help arxrank learn" block.
    pub asked: usize,
    /// Later days measured on, and their papers.
    pub test_days: usize,
    pub test_papers: usize,
    /// `simulated`, `full_labels`, `hybrid` and `anchors` (the marks as `daily` uses them
    /// today), each `{"roc_auc", "ap", "r10_per_day"}`.
    pub rankers: serde_json::Map<String, serde_json::Value>,
}

/// The figures of one ranker at one point.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Figures {
    pub roc_auc: Estimate,
    pub ap: Estimate,
    pub r10_per_day: Estimate,
}

/// The papers marked so far (rows of the set): liked, and not for the reader.
#[derive(Debug, Default)]
struct Marked {
    liked: Vec<usize>,
    disliked: Vec<usize>,
}

/// A set replayed: its rows grouped by day, oldest first, and each paper's features.
struct Replay<'a> {
    x: Array2<f32>,
    /// The hand-set score's column of `x`.
    hybrid: usize,
    /// The column of the score before any mark (the prior): the hand-set score, or the
    /// learned ranker's when the run has one (a judge's archive, `--train`).
    start: usize,
    y: Vec<bool>,
    day: Vec<Group>,
    by_day: Vec<Vec<usize>>,
    vectors: &'a Array2<f32>,
    profile: &'a Profile,
    papers: &'a [Paper],
    sims: &'a Similarities,
    /// The hand-set topic each paper is closest to: the interest its mark teaches.
    topic_of: Vec<usize>,
}

/// The model of the marks so far, and each interest's own model where it earned one, as
/// `learn --feedback` trains them.
struct Fitted {
    model: ReaderModel,
    own: Vec<Option<ReaderModel>>,
}

/// Replays `set` (its papers' `vectors` and topic `sims`) for a reader of `profile` who
/// answers `ask` questions a day; `resamples` bootstrap draws of the test days. `learned`
/// is the learned ranker's score of each paper when the run has one (trained on a judge's
/// archive, days before the set's): it is then the prior the marks start from and
/// outweigh, in place of the hand-set score, and a fourth ranker on the curve.
pub fn simulate(
    set: &LabelledSet,
    papers: &[Paper],
    (vectors, sims): (&Array2<f32>, &Similarities),
    profile: &Profile,
    learned: Option<&[f32]>,
    ask: usize,
    (resamples, seed): (usize, u64),
) -> Vec<CurvePoint> {
    let scorer = Scorer::new(profile);
    let mut x = crate::learn::features(papers, vectors.view(), sims, &scorer);
    let hybrid = vectors.ncols();
    let mut start = hybrid;
    if let Some(scores) = learned {
        start = x.ncols();
        let column = ndarray::Array1::from(scores.to_vec()).insert_axis(Axis(1));
        x = ndarray::concatenate![Axis(1), x, column];
    }
    let day: Vec<Group> = set.items.iter().map(|j| j.day).collect();
    let by_day: Vec<Vec<usize>> = set
        .days()
        .iter()
        .map(|d| (0..day.len()).filter(|&i| day[i] == *d).collect())
        .collect();
    let r = Replay {
        hybrid,
        start,
        x,
        y: set.selected(),
        day,
        by_day,
        vectors,
        profile,
        papers,
        sims,
        topic_of: sims.closest_topics(),
    };
    r.run(ask, resamples, seed)
}

impl Replay<'_> {
    fn prior(&self) -> Prior {
        Prior::on(self.start)
    }

    /// Rows `rows` of the features, with the two mark columns: each paper's greatest cosine
    /// to a liked and to a disliked paper (itself left out; 0 without any).
    fn features(&self, rows: &[usize], marks: &Marked) -> Array2<f32> {
        let v = self.vectors.select(Axis(0), rows);
        let liked = self.vectors.select(Axis(0), &marks.liked);
        let disliked = self.vectors.select(Axis(0), &marks.disliked);
        let same = |r: usize, like: bool, a: usize| {
            rows[r]
                == if like {
                    marks.liked[a]
                } else {
                    marks.disliked[a]
                }
        };
        let m = mark_columns(v.view(), (liked.view(), disliked.view()), same);
        ndarray::concatenate![Axis(1), self.x.select(Axis(0), rows), m]
    }

    fn run(&self, ask: usize, resamples: usize, seed: u64) -> Vec<CurvePoint> {
        let mut marks = Marked::default();
        let mut model = None;
        let (mut rows, mut labels, mut weights) = (Vec::new(), Vec::new(), Vec::new());
        let (mut count, mut asked) = (0, 0);
        let mut curve = Vec::new();
        for (t, today) in self.by_day.iter().enumerate() {
            let (order, marked, questions, picks) =
                self.read_day(model.as_ref(), &marks, today, ask);
            count += marked.len();
            asked += questions;
            for (j, weight) in seen_rows(&order, &marked, picks) {
                let i = today[j];
                let mark = marked.contains(&j);
                rows.push(i);
                labels.push(mark && self.y[i]);
                weights.push(weight);
                if mark {
                    if self.y[i] {
                        &mut marks.liked
                    } else {
                        &mut marks.disliked
                    }
                    .push(i);
                }
            }
            model = Some(self.fitted(&rows, &labels, &weights, &marks));
            let seen = t + 1;
            if CHECKPOINTS.contains(&seen) && seen < self.by_day.len() {
                let m = model.as_ref().expect("fitted");
                curve.push(self.measure(m, &marks, seen, (count, asked), (resamples, seed)));
            }
        }
        curve
    }

    /// The model of the marks on `rows`, and each interest's own, as `learn` fits them.
    fn fitted(&self, rows: &[usize], labels: &[bool], weights: &[f32], marks: &Marked) -> Fitted {
        let x = self.features(rows, marks);
        let model = fit(x.view(), labels, weights, self.prior());
        let day: Vec<Group> = rows.iter().map(|&i| self.day[i]).collect();
        let topic_of: Vec<usize> = rows.iter().map(|&i| self.topic_of[i]).collect();
        let of = InterestRows {
            x: x.view(),
            y: labels,
            w: weights,
            day: &day,
            topic_of: &topic_of,
        };
        let own = interest_models(&of, self.profile.topics.len(), self.prior(), &model);
        Fitted { model, own }
    }

    /// `fitted`'s scores of rows `rows` (none of them marked): the model's, each interest's
    /// papers reordered by its own model within the places the model gives them.
    fn score(&self, fitted: &Fitted, rows: &[usize], marks: &Marked) -> Vec<f32> {
        let x = self.features(rows, marks);
        let mut scores = fitted.model.score(x.view());
        let topic_of: Vec<usize> = rows.iter().map(|&i| self.topic_of[i]).collect();
        let own: Vec<Option<&ReaderModel>> = fitted.own.iter().map(Option::as_ref).collect();
        let open: Vec<usize> = (0..rows.len()).collect();
        within_interests(&mut scores, x.view(), &topic_of, &own, &open);
        scores
    }

    /// What the reader sees of a day ranked by `model`: the day's places (in `today`) in
    /// rank order, the places of the digest's picks and of the questions (the marks), how
    /// many questions there were, and how many picks.
    fn read_day(
        &self,
        model: Option<&Fitted>,
        marks: &Marked,
        today: &[usize],
        ask: usize,
    ) -> (Vec<usize>, HashSet<usize>, usize, usize) {
        let scores: Vec<f32> = match model {
            Some(m) => self.score(m, today, marks),
            None => today.iter().map(|&i| self.x[[i, self.start]]).collect(),
        };
        let scale = &self.profile.scale;
        let line = f32::from(scale.select_min) - 0.5;
        let picks = today
            .iter()
            .filter(|&&i| scale.position(self.x[[i, self.hybrid]]) >= line)
            .count()
            .max(1);
        let order = ranking(&scores);
        let mut marked: HashSet<usize> = order.iter().take(picks).copied().collect();
        let rest: Vec<usize> = order.iter().skip(picks).copied().collect();
        let views: Vec<_> = rest.iter().map(|&j| self.vectors.row(today[j])).collect();
        let questions = crate::score::questions(&views, ask);
        marked.extend(questions.iter().map(|&q| rest[q]));
        (order, marked, questions.len(), picks)
    }

    /// Every paper's hand-set score moved by the marks as anchors, as `rank` and `daily`
    /// use a reader's marks today: the liked papers one more topic, a paper very like a
    /// disliked one pushed down ([`Scorer::with_marks`]).
    fn anchored(&self, marks: &Marked) -> Vec<f32> {
        let names = |of: &[usize]| -> Vec<crate::score::MarkName> {
            of.iter()
                .map(|&i| (self.papers[i].id.clone(), self.papers[i].title.clone()))
                .collect()
        };
        let scorer =
            Scorer::new(self.profile).with_marks(names(&marks.liked), names(&marks.disliked));
        let anchors = crate::score::MarkVectors {
            likes: self.vectors.select(Axis(0), &marks.liked),
            dislikes: self.vectors.select(Axis(0), &marks.disliked),
        };
        let mut sims = self.sims.clone();
        sims.set_marks(anchors.closest(self.vectors.view()));
        scorer
            .score_all(self.papers, &sims)
            .iter()
            .map(|s| s.raw)
            .collect()
    }

    /// The curve's point after `seen` days: the three rankers on every later day.
    fn measure(
        &self,
        model: &Fitted,
        read: &Marked,
        seen: usize,
        (marks, asked): (usize, usize),
        (resamples, seed): (usize, u64),
    ) -> CurvePoint {
        let train: Vec<usize> = self.by_day[..seen].concat();
        let test: Vec<usize> = self.by_day[seen..].concat();
        let y: Vec<bool> = train.iter().map(|&i| self.y[i]).collect();
        let every = Marked {
            liked: train.iter().copied().filter(|&i| self.y[i]).collect(),
            disliked: train.iter().copied().filter(|&i| !self.y[i]).collect(),
        };
        let full = fit(
            self.features(&train, &every).view(),
            &y,
            &vec![1.0; train.len()],
            self.prior(),
        );
        let truth: Vec<bool> = test.iter().map(|&i| self.y[i]).collect();
        let days: Vec<Group> = test.iter().map(|&i| self.day[i]).collect();
        let column = |c: usize| -> Vec<f32> { test.iter().map(|&i| self.x[[i, c]]).collect() };
        let mut rankers = serde_json::Map::new();
        let mut measured = vec![
            ("simulated", self.score(model, &test, read)),
            (
                "full_labels",
                full.score(self.features(&test, &every).view()),
            ),
            ("hybrid", column(self.hybrid)),
        ];
        if self.start != self.hybrid {
            measured.push(("learned", column(self.start)));
        }
        let anchored = self.anchored(read);
        measured.push(("anchors", test.iter().map(|&i| anchored[i]).collect()));
        for (name, scores) in measured {
            let [roc_auc, ap, r10_per_day] =
                over_days_with_intervals(&scores, &truth, &days, resamples, seed);
            let f = Figures {
                roc_auc,
                ap,
                r10_per_day,
            };
            rankers.insert(name.into(), serde_json::to_value(f).expect("figures"));
        }
        CurvePoint {
            days: seen,
            marks,
            asked,
            test_days: self.by_day.len() - seen,
            test_papers: test.len(),
            rankers,
        }
    }
}
