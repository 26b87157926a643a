//! An eval run's plan, before anything slow: which sets, each one's profile, and how the
//! `learned` ranker is made for each, with the leakage rule: a set's learned ranker never
//! trains on one of its test days or a later one.

use std::path::PathBuf;

use chrono::NaiveDate;

use super::run::{
    cross_validate_learned, evaluate_set, stored_ranker, train_learned, Model, Options, RankerKind,
};
use super::{EvalError, LabelledSet, SetReport};
use crate::labels::Group;
use crate::topics::Profile;

/// The pools, then one set per `listings`/`labels` pair.
pub fn read_sets(
    pools: &[PathBuf],
    listings: &[PathBuf],
    labels: &[PathBuf],
) -> Result<Vec<LabelledSet>, EvalError> {
    if listings.len() != labels.len() {
        return Err(EvalError::Usage(format!(
            "--listing and --labels go in pairs; got {} and {}",
            listings.len(),
            labels.len()
        )));
    }
    let mut sets = Vec::new();
    for p in pools {
        sets.push(LabelledSet::read_jsonl(p)?);
    }
    for (l, o) in listings.iter().zip(labels) {
        sets.push(LabelledSet::join_output_json(l, o, None)?);
    }
    if sets.is_empty() {
        return Err(EvalError::Usage(
            "no labelled sets: give pool files, or --listing with --labels".into(),
        ));
    }
    Ok(sets)
}

/// Each set's profile: `topics` once for all, or once per set. Calibration stores a scale
/// per profile, so then no two sets may share one.
pub fn profiles_for(
    topics: &[PathBuf],
    sets: usize,
    calibrates: bool,
) -> Result<Vec<Profile>, EvalError> {
    let paths: Vec<&PathBuf> = match topics.len() {
        1 => vec![&topics[0]; sets],
        n if n == sets => topics.iter().collect(),
        n => {
            return Err(EvalError::Usage(format!(
                "--topics given {n} times for {sets} sets: give it once, or once per set"
            )))
        }
    };
    let mut seen = std::collections::HashSet::new();
    if calibrates && paths.iter().any(|p| !seen.insert(*p)) {
        return Err(EvalError::Usage(
            "--calibrate stores one scale per profile: give each set its own --topics".into(),
        ));
    }
    let mut profiles = Vec::new();
    for p in paths {
        profiles.push(Profile::load(p)?);
    }
    Ok(profiles)
}

/// Where the learned ranker's training days come from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Split<'a> {
    /// Test from this day; train on the sets' own earlier days too.
    pub split_date: Option<NaiveDate>,
    /// Test from this day; train only on `train`.
    pub test_from: Option<NaiveDate>,
    /// Pools whose days before each test set's first day are trained on.
    pub train: &'a [PathBuf],
}

/// The test sets and each one's training sets.
pub type Splits = (Vec<LabelledSet>, Option<Vec<Vec<LabelledSet>>>);

/// The test sets and, when the `learned` ranker is trained, each one's training sets: its
/// own days before `split_date`, plus the `train` pools' days before its first test day.
/// Training never sees a test day or a later one.
pub fn split_for_training(sets: Vec<LabelledSet>, split: &Split) -> Result<Splits, EvalError> {
    if split.split_date.is_none() && split.train.is_empty() {
        return Ok((sets, None));
    }
    // --split-date trains on the sets' own earlier days too; --test-from does not.
    let (test_from, own_days) = match (split.split_date, split.test_from) {
        (Some(d), _) => (Some(Group::Day(d.into())), true),
        (None, d) => (d.map(|d| Group::Day(d.into())), false),
    };
    let mut extra = Vec::new();
    for p in split.train {
        extra.push(LabelledSet::read_jsonl(p)?);
    }
    let (mut tests, mut training) = (Vec::new(), Vec::new());
    for set in sets {
        let (mut train, test) = match &test_from {
            Some(day) => {
                let (before, from) = set.split_at(*day);
                (if own_days { vec![before] } else { Vec::new() }, from)
            }
            None => (Vec::new(), set),
        };
        let Some(first) = test.days().into_iter().next() else {
            return Err(EvalError::Usage(format!(
                "{}: no papers on or after {}",
                test.source.display(),
                test_from.map(|d| d.to_string()).unwrap_or_default()
            )));
        };
        train.extend(extra.iter().map(|t| t.before(first)));
        train.retain(|t| !t.items.is_empty());
        if train.is_empty() {
            return Err(EvalError::Usage(format!(
                "{}: no labelled day before {first} to train the learned ranker on",
                test.source.display()
            )));
        }
        tests.push(test);
        training.push(train);
    }
    Ok((tests, Some(training)))
}

/// How each set's `learned` ranker is made.
pub enum LearnedPlan {
    /// Trained on each set's training sets (one list per set).
    Trained(Vec<Vec<LabelledSet>>),
    /// Cross-validated by day on the set itself, in this many folds.
    CrossValidated(usize),
    /// The profile's stored model, where it has one.
    Stored,
}

/// Adds `learned` to `rankers` when a plan makes it, and says how; refuses a `learned`
/// ranker that nothing would train.
pub fn learned_plan(
    rankers: &mut Vec<RankerKind>,
    training: Option<Vec<Vec<LabelledSet>>>,
    stored: bool,
    cv_folds: Option<usize>,
) -> Result<LearnedPlan, EvalError> {
    if (training.is_some() || stored || cv_folds.is_some())
        && !rankers.contains(&RankerKind::Learned)
    {
        rankers.push(RankerKind::Learned);
    }
    Ok(match (cv_folds, training) {
        (Some(k), _) => LearnedPlan::CrossValidated(k),
        (None, Some(t)) => LearnedPlan::Trained(t),
        (None, None) if stored => LearnedPlan::Stored,
        (None, None) if rankers.contains(&RankerKind::Learned) => {
            return Err(EvalError::Usage(
                "the learned ranker trains on days before the test days: give --train SET or \
                 --split-date DAY, or --cv-folds K (or a --topics profile that `arxrank learn` \
                 trained)"
                    .into(),
            ))
        }
        (None, None) => LearnedPlan::Stored,
    })
}

/// Measures every set with its profile, making its learned ranker as `learned` says (when
/// the run loads a model); `log` hears progress.
pub fn evaluate_all(
    sets: &[LabelledSet],
    profiles: &[Profile],
    opts: &Options,
    learned: &LearnedPlan,
    mut model: Option<Model>,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<SetReport>, EvalError> {
    let mut reports = Vec::new();
    for (i, (set, profile)) in sets.iter().zip(profiles).enumerate() {
        let mut set_log = |line: &str| log(&format!("{}: {line}", set.name));
        let ranker = match (learned, model.as_mut()) {
            (LearnedPlan::CrossValidated(k), Some(m)) => {
                Some(cross_validate_learned(set, profile, m, *k, &mut set_log)?)
            }
            (LearnedPlan::Trained(t), Some(m)) => {
                Some(train_learned(&t[i], profile, m, &mut set_log)?)
            }
            (LearnedPlan::Stored, Some(m)) => {
                stored_ranker(set, profile, m.embedder.fingerprint())?
            }
            _ => None,
        };
        reports.push(evaluate_set(
            set,
            profile,
            opts,
            model.as_mut(),
            ranker,
            log,
        )?);
    }
    Ok(reports)
}
