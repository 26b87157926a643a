//! `arxrank eval`: rankers side by side on labelled days.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};

use super::rank::{embed_papers, history_rows, topic_vectors};
use super::{CliError, ModelArgs};
use crate::embed::{BertEmbedder, Embedder};
use crate::eval::rankers::{
    Bm25, EmbeddingOnly, External, Hybrid, Inputs, KeywordOnly, Random, Ranker,
};
use crate::eval::report::{self, RunInfo};
use crate::eval::tune::{calibrate, tune, Selection};
use crate::eval::{compare, Calibration, LabelledSet, SetReport, Truth};
use crate::history::History;
use crate::ingest::{Paper, PaperId};
use crate::score::{Lexical, Scorer};
use crate::topics::Profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RankerKind {
    /// The daily ranking's score: topic similarity + keywords + authors.
    Hybrid,
    /// Best cosine to a topic anchor only.
    EmbeddingOnly,
    /// The profile's keyword boosts, penalties and authors only.
    KeywordOnly,
    /// Okapi BM25 of the paper against each topic's text.
    Bm25,
    /// Seeded uniform random scores.
    Random,
}

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
    #[arg(long, default_value = "topics")]
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
    /// objects with score / RELEVANCE, so an `output.json` works) or JSON lines with `id`
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

    /// Embedding cache (an arxrank history store, per model) so a rerun embeds nothing.
    #[arg(long, default_value = "eval-cache")]
    pub cache: PathBuf,

    /// Embed everything afresh and store nothing.
    #[arg(long)]
    pub no_cache: bool,
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

/// The sets' vectors: from the cache where it holds the paper with the same title, from
/// the model otherwise; new vectors are added to the cache. Returns the vectors, how many
/// texts were embedded and how many rows came from the cache.
fn embed_cached(
    embedder: &mut BertEmbedder,
    papers: &[Paper],
    cache: Option<&mut History>,
) -> Result<(ndarray::Array2<f32>, usize, usize), CliError> {
    let Some(cache) = cache else {
        return Ok((embed_papers(embedder, papers)?, papers.len(), 0));
    };
    // Per paper: None for a cache hit, or its row among the texts to embed. A text listed
    // twice (one paper on two days) is embedded once.
    let mut missing: Vec<Paper> = Vec::new();
    let mut row_of: HashMap<(&PaperId, &str), usize> = HashMap::new();
    let source: Vec<Option<usize>> = papers
        .iter()
        .map(|p| {
            if cache.get(&p.id).is_some_and(|c| c.title == p.title) {
                return None;
            }
            Some(*row_of.entry((&p.id, &p.title)).or_insert_with(|| {
                missing.push(p.clone());
                missing.len() - 1
            }))
        })
        .collect();
    let fresh = embed_papers(embedder, &missing)?;
    let mut docs = ndarray::Array2::zeros((papers.len(), embedder.dim()));
    for ((p, src), mut dst) in papers.iter().zip(&source).zip(docs.rows_mut()) {
        match src {
            Some(r) => dst.assign(&fresh.row(*r)),
            None => dst.assign(&ndarray::ArrayView1::from(
                cache.vector(&p.id).expect("a cache hit"),
            )),
        }
    }
    if !missing.is_empty() {
        // A paper re-embedded because its title changed keeps its old cache row (append
        // skips stored ids), so it is embedded again next time.
        cache.append(&history_rows(&missing, &fresh, None))?;
    }
    let hits = source.iter().filter(|s| s.is_none()).count();
    Ok((docs, missing.len(), hits))
}

fn rankers_for(args: &EvalArgs, profile: &Profile) -> Result<Vec<Box<dyn Ranker>>, CliError> {
    let mut out: Vec<Box<dyn Ranker>> = Vec::new();
    for k in &args.rankers {
        out.push(match k {
            RankerKind::Hybrid => Box::new(Hybrid::new(profile)),
            RankerKind::EmbeddingOnly => Box::new(EmbeddingOnly),
            RankerKind::KeywordOnly => Box::new(KeywordOnly::new(profile)),
            RankerKind::Bm25 => Box::new(Bm25::new(profile)),
            RankerKind::Random => Box::new(Random { seed: args.seed }),
        });
    }
    for (name, path) in &args.external {
        out.push(Box::new(External::read(name, path)?));
    }
    Ok(out)
}

pub fn run(args: EvalArgs, models_dir: &Path, threads: usize) -> Result<(), CliError> {
    if args.listing.len() != args.labels.len() {
        return Err(CliError::Usage(format!(
            "--listing and --labels go in pairs; got {} and {}",
            args.listing.len(),
            args.labels.len()
        )));
    }
    // Read and check everything before the slow part.
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
    let profile_paths: Vec<PathBuf> = match args.topics.len() {
        1 => vec![args.topics[0].clone(); sets.len()],
        n if n == sets.len() => args.topics.clone(),
        n => {
            return Err(CliError::Usage(format!(
                "--topics given {n} times for {} sets: give it once, or once per set",
                sets.len()
            )))
        }
    };
    let calibrate_wanted = args.calibrate || args.write_weights;
    if calibrate_wanted {
        let mut seen = std::collections::HashSet::new();
        if profile_paths.iter().any(|p| !seen.insert(p)) {
            return Err(CliError::Usage(
                "--calibrate stores one scale per profile: give each set its own --topics".into(),
            ));
        }
    }
    let mut profiles = Vec::new();
    for p in &profile_paths {
        profiles.push(Profile::load(p)?);
    }
    let needs_model = args.tune
        || calibrate_wanted
        || args
            .rankers
            .iter()
            .any(|k| matches!(k, RankerKind::Hybrid | RankerKind::EmbeddingOnly));
    let mut loaded = if needs_model {
        Some(args.model.load(models_dir)?)
    } else {
        None
    };
    let mut cache = match (&loaded, args.no_cache) {
        (Some((_, e)), false) => Some(History::open(
            &History::dir_for(&args.cache, e.fingerprint()),
            e.fingerprint(),
            e.dim(),
        )?),
        _ => None,
    };

    let mut reports = Vec::new();
    for (set, profile) in sets.iter().zip(&profiles) {
        let papers = set.papers();
        eprintln!(
            "{}: {} papers, {} selected by the judge, profile {}",
            set.name,
            papers.len(),
            set.positives(),
            profile.name
        );
        let (sims, embed_seconds) = match loaded.as_mut() {
            Some((_, embedder)) => {
                let t = Instant::now();
                let (docs, embedded, cached) = embed_cached(embedder, &papers, cache.as_mut())?;
                let topics = topic_vectors(embedder, profile)?;
                let sims = topics.similarities(&docs);
                let secs = t.elapsed().as_secs_f64();
                eprintln!("  embedded {embedded} papers in {secs:.1} s ({cached} from the cache)");
                // Cached vectors cost no model time, so the speed of the embedding rankers
                // is only measured on a run that embedded every paper.
                let full = if cached == 0 { secs } else { f64::NAN };
                (Some(sims), full)
            }
            None => (None, 0.0),
        };
        let inputs = Inputs {
            papers: &papers,
            sims: sims.as_ref(),
        };
        let rankers = rankers_for(&args, profile)?;
        let results = compare(
            set,
            &rankers,
            &inputs,
            embed_seconds,
            args.bootstrap,
            args.seed,
        )?;
        let selected = set.selected();
        let grades = set.relevance();

        let mut calibration = None;
        let mut notes = Vec::new();
        let mut tuned = None;
        if let Some(sims) = sims.as_ref() {
            let scorer = Scorer::new(profile);
            // Tuning may weigh the lexical part even where the profile does not.
            let mut sims = sims.clone();
            sims.set_lexical(Lexical::new(profile).normalized(&papers));
            let features: Vec<_> = papers
                .iter()
                .enumerate()
                .map(|(i, p)| scorer.features(p, sims.row(i)))
                .collect();
            if args.tune && set.days().len() < 2 {
                let n = format!(
                    "not tuned: --tune holds out one day at a time and this set has {} day",
                    set.days().len()
                );
                eprintln!("  {n}");
                notes.push(n);
            } else if args.tune {
                let days: Vec<String> = set.items.iter().map(|j| j.day.clone()).collect();
                let t = tune(
                    &features,
                    Truth {
                        selected: &selected,
                        grades: &grades,
                    },
                    &days,
                    &profile.weights,
                    &profile.scale,
                )?;
                tuned = Some(t);
            }
            let weights = match (&tuned, args.write_weights) {
                (Some(t), true) => t.all_days.clone(),
                _ => profile.weights.clone(),
            };
            let raws: Vec<f32> = features.iter().map(|f| Scorer::raw(f, &weights)).collect();
            let fitted = calibrate(
                &raws,
                set.selection_rate(),
                &profile.scale,
                format!(
                    "arxrank eval on {} ({} papers, judge selection rate {:.2}%)",
                    set.name,
                    papers.len(),
                    set.selection_rate() * 100.0
                ),
            );
            let fitted = match fitted {
                Ok(f) => Some(f),
                // Only a report section is lost; the rankings still stand.
                Err(e) if !calibrate_wanted => {
                    eprintln!("  no calibration section: {e}");
                    None
                }
                Err(e) => return Err(e.into()),
            };
            if let Some(fitted) = fitted {
                calibration = Some(Calibration {
                    profile_scale: Selection::measure(&raws, &selected, &profile.scale),
                    fitted: (&fitted).into(),
                    fitted_selection: Selection::measure(&raws, &selected, &fitted),
                });
                if calibrate_wanted {
                    let written = profile.store(&fitted, args.write_weights.then_some(&weights))?;
                    eprintln!("  stored the fitted scale in {}", written.display());
                }
            }
        }
        reports.push(SetReport {
            name: set.name.clone(),
            source: set.source.clone(),
            profile: profile.name.clone(),
            papers: papers.len(),
            positives: set.positives(),
            graded: grades.iter().filter(|g| g.is_some()).count(),
            days: set.days(),
            unjudged: set.unjudged,
            unmatched: set.unmatched.clone(),
            embed_seconds,
            resamples: args.bootstrap,
            rankers: results,
            calibration,
            tune: tuned,
            notes,
            selected,
            ids: papers.iter().map(|p| p.id.to_string()).collect(),
        });
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
