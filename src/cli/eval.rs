//! `arxrank eval`: rankers side by side on labelled days (the work is [`crate::eval::run`]).

use std::path::PathBuf;

use clap::Args;

use super::{CacheArgs, CliError, ModelArgs};
use crate::eval::report::{self, RunInfo};
use crate::eval::run::{
    cross_validate_learned, evaluate_set, stored_ranker, train_learned, Model, Options, RankerKind,
};
use crate::eval::LabelledSet;
use crate::learn::Stored;
use crate::topics::Profile;

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Labelled pools (JSON lines with a `label` per paper, as in labelled/).
    pub sets: Vec<PathBuf>,

    /// A listing to judge with the `--labels` file of the same position (any format
    /// `rank` reads); adds one set per pair.
    #[arg(long)]
    pub listing: Vec<PathBuf>,

    /// gpt_paper_assistant / ChatGPT-ArXiv-Paper-Assistant `output.json` whose papers count
    /// as selected in the `--listing` of the same position.
    #[arg(long)]
    pub labels: Vec<PathBuf>,

    /// Profile for the sets: once for all of them, or once per set in order (pools first,
    /// then listings).
    #[arg(long, default_values_os_t = [crate::config::defaults().topics().value])]
    pub topics: Vec<PathBuf>,

    /// Rankers to compare (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "hybrid,embedding-only,keyword-only,bm25,random"
    )]
    pub rankers: Vec<RankerKind>,

    /// Another ranker's scores as NAME=FILE: JSON keyed by arXiv id (numbers, or
    /// objects with score / RELEVANCE, so a digest's `scores.json` or `output.json` works) or JSON lines with `id`
    /// and `score`. Repeatable.
    #[arg(long, value_parser = parse_external)]
    pub external: Vec<(String, PathBuf)>,

    #[command(flatten)]
    pub model: ModelArgs,

    /// Where eval.md, eval.json and the per-set plots and scores go.
    #[arg(long, short, default_value = "eval-out")]
    pub out: PathBuf,

    /// Bootstrap resamples for the 95% intervals.
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,

    /// Seed for the bootstrap and the random ranker.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Search the profile's weights with leave-one-day-out cross-validation and report
    /// held-out figures (needs a set with at least two days).
    #[arg(long)]
    pub tune: bool,

    /// Fit the profile's 1-10 scale so the share of papers at relevance ≥ 8 matches the
    /// judge's selection rate on the set, and store it in the set's profile.toml.
    #[arg(long)]
    pub calibrate: bool,

    /// With --tune: also store the weights chosen on all days in the profile (the scale
    /// is then calibrated under them, so --calibrate is implied).
    #[arg(long, requires = "tune")]
    pub write_weights: bool,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Labelled pools to train the `learned` ranker on (only their days before the test
    /// days are used). Adds `learned` to the rankers.
    #[arg(long, value_name = "SET")]
    pub train: Vec<PathBuf>,

    /// Time-forward: test on each set's days from this day (YYYY-MM-DD) on, and train the
    /// `learned` ranker on its days before it (plus any --train sets). Adds `learned` to
    /// the rankers.
    #[arg(long, value_name = "DAY")]
    pub split_date: Option<chrono::NaiveDate>,

    /// Test on each set's days from this day on, and train the `learned` ranker on the
    /// --train sets only (a judge's or a prompt's labels carried to another): the sets' own
    /// earlier days are left out.
    #[arg(
        long,
        value_name = "DAY",
        conflicts_with = "split_date",
        requires = "train"
    )]
    pub test_from: Option<chrono::NaiveDate>,

    /// Measure the `learned` ranker by cross-validation grouped by day on each set itself:
    /// its days go round-robin into this many folds, and each fold is scored by a model
    /// trained on the others. Adds `learned` to the rankers.
    #[arg(
        long,
        value_name = "FOLDS",
        conflicts_with_all = ["split_date", "test_from", "train"],
        value_parser = clap::value_parser!(u16).range(2..)
    )]
    pub cv_folds: Option<u16>,
}

fn parse_external(s: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=FILE"))?;
    if name.is_empty() || file.is_empty() {
        return Err(format!("`{s}`: expected NAME=FILE"));
    }
    Ok((name.to_owned(), PathBuf::from(file)))
}

pub fn run(args: EvalArgs, threads: usize) -> Result<(), CliError> {
    // Read and check everything before the slow part.
    let (sets, training) = split_for_training(read_sets(&args)?, &args)?;
    let mut rankers = args.rankers.clone();
    // A profile that holds a learned model (`arxrank learn`) is measured with it.
    let stored = args.topics.iter().any(|t| Stored::path(t).exists());
    let cv = args.cv_folds.map(usize::from);
    if (training.is_some() || stored || cv.is_some()) && !rankers.contains(&RankerKind::Learned) {
        rankers.push(RankerKind::Learned);
    }
    if training.is_none() && !stored && cv.is_none() && rankers.contains(&RankerKind::Learned) {
        return Err(CliError::Usage(
            "the learned ranker trains on days before the test days: give --train SET or \
             --split-date DAY, or --cv-folds K (or a --topics profile that `arxrank learn` \
             trained)"
                .into(),
        ));
    }
    let opts = Options {
        rankers,
        external: args.external.clone(),
        resamples: args.bootstrap,
        seed: args.seed,
        tune: args.tune,
        calibrate: args.calibrate,
        write_weights: args.write_weights,
    };
    let profiles = profiles_for(&args.topics, sets.len(), opts.calibrates())?;
    let mut loaded = if opts.needs_model() {
        Some(args.model.load()?)
    } else {
        None
    };
    let mut cache = match &loaded {
        Some((_, e)) => args.cache.open(e)?,
        None => None,
    };

    let mut reports = Vec::new();
    for (i, (set, profile)) in sets.iter().zip(&profiles).enumerate() {
        let mut model = loaded.as_mut().map(|(_, embedder)| Model {
            embedder,
            cache: cache.as_mut(),
        });
        let learned = match (&training, model.as_mut()) {
            (_, Some(m)) if cv.is_some() => Some(cross_validate_learned(
                set,
                profile,
                m,
                cv.unwrap_or(5),
                &mut |line| eprintln!("{}: {line}", set.name),
            )?),
            (Some(train), Some(m)) => Some(train_learned(&train[i], profile, m, &mut |line| {
                eprintln!("{}: {line}", set.name)
            })?),
            (None, Some(m)) => stored_ranker(set, profile, m.embedder.fingerprint())?,
            _ => None,
        };
        reports.push(evaluate_set(
            set,
            profile,
            &opts,
            model.as_mut(),
            learned,
            &mut |line| eprintln!("{line}"),
        )?);
    }
    let info = RunInfo {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        model: loaded
            .as_ref()
            .map_or("none".into(), |(d, _)| d.manifest.name.clone()),
        device: format!("{:?}", args.model.device).to_lowercase(),
        threads,
        seed: args.seed,
        resamples: args.bootstrap,
    };
    let written = report::write(&args.out, &info, &reports)?;
    for p in written {
        println!("{}", p.display());
    }
    Ok(())
}

/// The pools, then one set per `--listing`/`--labels` pair.
fn read_sets(args: &EvalArgs) -> Result<Vec<LabelledSet>, CliError> {
    if args.listing.len() != args.labels.len() {
        return Err(CliError::Usage(format!(
            "--listing and --labels go in pairs; got {} and {}",
            args.listing.len(),
            args.labels.len()
        )));
    }
    let mut sets = Vec::new();
    for p in &args.sets {
        sets.push(LabelledSet::read_jsonl(p)?);
    }
    for (l, o) in args.listing.iter().zip(&args.labels) {
        sets.push(LabelledSet::join_output_json(l, o, None)?);
    }
    if sets.is_empty() {
        return Err(CliError::Usage(
            "no labelled sets: give pool files, or --listing with --labels".into(),
        ));
    }
    Ok(sets)
}

/// Each set's profile: `--topics` once for all, or once per set. Calibration stores a scale
/// per profile, so then no two sets may share one.
fn profiles_for(
    topics: &[PathBuf],
    sets: usize,
    calibrates: bool,
) -> Result<Vec<Profile>, CliError> {
    let paths: Vec<&PathBuf> = match topics.len() {
        1 => vec![&topics[0]; sets],
        n if n == sets => topics.iter().collect(),
        n => {
            return Err(CliError::Usage(format!(
                "--topics given {n} times for {sets} sets: give it once, or once per set"
            )))
        }
    };
    let mut seen = std::collections::HashSet::new();
    if calibrates && paths.iter().any(|p| !seen.insert(*p)) {
        return Err(CliError::Usage(
            "--calibrate stores one scale per profile: give each set its own --topics".into(),
        ));
    }
    let mut profiles = Vec::new();
    for p in paths {
        profiles.push(Profile::load(p)?);
    }
    Ok(profiles)
}

/// The test sets and, when the `learned` ranker is trained, each one's training sets: its
/// own days before `--split-date`, plus the `--train` pools' days before its first test
/// day. Training never sees a test day or a later one.
#[allow(clippy::type_complexity)]
fn split_for_training(
    sets: Vec<LabelledSet>,
    args: &EvalArgs,
) -> Result<(Vec<LabelledSet>, Option<Vec<Vec<LabelledSet>>>), CliError> {
    if args.split_date.is_none() && args.train.is_empty() {
        return Ok((sets, None));
    }
    // --split-date trains on the sets' own earlier days too; --test-from does not.
    let (test_from, own_days) = match (args.split_date, args.test_from) {
        (Some(d), _) => (Some(d.to_string()), true),
        (None, d) => (d.map(|d| d.to_string()), false),
    };
    let mut extra = Vec::new();
    for p in &args.train {
        extra.push(LabelledSet::read_jsonl(p)?);
    }
    let (mut tests, mut training) = (Vec::new(), Vec::new());
    for set in sets {
        let (mut train, test) = match &test_from {
            Some(day) => {
                let (before, from) = set.split_at(day);
                (if own_days { vec![before] } else { Vec::new() }, from)
            }
            None => (Vec::new(), set),
        };
        let Some(first) = test.days().into_iter().next() else {
            return Err(CliError::Usage(format!(
                "{}: no papers on or after {}",
                test.source.display(),
                test_from.unwrap_or_default()
            )));
        };
        train.extend(extra.iter().map(|t| t.before(&first)));
        train.retain(|t| !t.items.is_empty());
        if train.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: no labelled day before {first} to train the learned ranker on",
                test.source.display()
            )));
        }
        tests.push(test);
        training.push(train);
    }
    Ok((tests, Some(training)))
}
