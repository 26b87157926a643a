//! `arxrank eval`: rankers side by side on labelled days (the work is [`crate::eval::run`]).

mod args;

pub use args::EvalArgs;

use super::CliError;
use crate::eval::plan::{
    evaluate_all, learned_plan, profiles_for, read_sets, split_for_training, LearnedPlan, Split,
};
use crate::eval::report::{self, RunInfo};
use crate::eval::run::{Model, Options};
use crate::eval::LabelledSet;
use crate::learn::Stored;

pub fn run(args: EvalArgs, threads: usize) -> Result<(), CliError> {
    // Read and check everything before the slow part.
    let (sets, learned, opts) = plan(&args)?;
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
    let model = loaded.as_mut().map(|(_, embedder)| Model {
        embedder,
        cache: cache.as_mut(),
    });
    let log = &mut |line: &str| eprintln!("{line}");
    let reports = evaluate_all(&sets, &profiles, &opts, &learned, model, log)?;
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
    for p in report::write(&args.out, &info, &reports)? {
        println!("{}", p.display());
    }
    Ok(())
}

/// The test sets, how the learned ranker is made for each, and what to measure.
fn plan(args: &EvalArgs) -> Result<(Vec<LabelledSet>, LearnedPlan, Options), CliError> {
    let sets = read_sets(&args.sets, &args.listing, &args.labels)?;
    let split = Split {
        split_date: args.split_date,
        test_from: args.test_from,
        train: &args.train,
    };
    let (sets, training) = split_for_training(sets, &split)?;
    let mut rankers = args.rankers.clone();
    // A profile that holds a learned model (`arxrank learn`) is measured with it.
    let stored = args.topics.iter().any(|t| Stored::path(t).exists());
    let cv = args.cv_folds.map(usize::from);
    let learned = learned_plan(&mut rankers, training, stored, cv)?;
    let opts = Options {
        rankers,
        external: args.external.clone(),
        resamples: args.bootstrap,
        seed: args.seed,
        tune: args.tune,
        calibrate: args.calibrate,
        write_weights: args.write_weights,
        simulate: args.simulate_reader.then_some(args.ask),
        interests: args.interests,
    };
    Ok((sets, learned, opts))
}
