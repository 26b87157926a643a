//! The daily job, for cron: fetch → rank (with history) → site → delivery.
//!
//! Each step is skipped when its result is already there for the day, so a second run on
//! the same day changes nothing and says so, and a run after a failure resumes where it
//! stopped (a failed delivery is retried, the digest is not ranked again). A digest ranked
//! with another profile or learned model than the current ones is ranked again.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::DailySettings;
use crate::deliver::deliver_day;
use crate::embed::{BertEmbedder, ComputePrecision, DeviceKind, ModelDir};
use crate::fetch::{FetchOptions, Fetched, Fetcher};
use crate::fsutil::{sha256_file, write_atomic, IoError};
use crate::ingest::{AnnounceType, Day, Format};
use crate::learn::LearnError;
use crate::pipeline::day::{rank_to_disk, read_day, DayToRank, ProfileToRank};
use crate::pipeline::{learned_for_day, LearnedForDay, PipelineError};
use crate::report::Report;
use crate::site::SiteOptions;
use crate::topics::Profile;

/// No papers today: arXiv announced nothing in the categories.
pub const EXIT_NO_PAPERS: u8 = 3;
/// The digest was written, but a delivery failed (it is retried on the next run).
pub const EXIT_DELIVERY_FAILED: u8 = 4;
/// The digest was written with the hand-set profile: the learned model could not be used.
pub const EXIT_LEARNED_UNUSABLE: u8 = 5;

#[derive(Debug, thiserror::Error)]
pub enum DailyError {
    /// Boxed: it can carry most stages' errors.
    #[error(transparent)]
    Pipeline(Box<PipelineError>),
    #[error(transparent)]
    Topics(#[from] crate::topics::TopicsError),
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
    #[error(transparent)]
    Ingest(#[from] crate::ingest::IngestError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error(transparent)]
    Site(#[from] crate::site::SiteError),
    #[error(transparent)]
    Deliver(#[from] crate::deliver::DeliverError),
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{0}")]
    Usage(String),
}

impl From<PipelineError> for DailyError {
    fn from(e: PipelineError) -> Self {
        DailyError::Pipeline(Box::new(e))
    }
}

/// One run of the job: the resolved settings and the flags that are not settings.
pub struct DailyJob<'a> {
    pub settings: &'a DailySettings,
    /// Rank this listing file instead of fetching today's feed.
    pub listing: Option<PathBuf>,
    /// Retries of a failed fetch.
    pub retries: u32,
    pub device: DeviceKind,
    pub compute: Option<ComputePrecision>,
    /// Worker threads, for the log.
    pub threads: usize,
    pub deliver: bool,
    pub use_learned: bool,
    /// Rank the day again even when its digest is up to date.
    pub force: bool,
}

/// `<out>/<date>/daily.json`: which listing the day's digest was ranked from.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Ranked {
    listing: PathBuf,
    listing_sha256: String,
}

const RANKED_FILE: &str = "daily.json";

/// The profile, the model and the learned model, checked before anything else.
struct Checked {
    profile: Profile,
    model_dir: ModelDir,
    learned: LearnedForDay,
    /// Why the learned model cannot be used, with the way out, when it cannot.
    unusable: Option<String>,
}

/// One profile of the job: its settings (`DailySettings::per_profile`) and its name.
struct ProfileJob<'a> {
    name: Option<&'a str>,
    settings: DailySettings,
}

impl ProfileJob<'_> {
    /// `what`, after the profile's name when the job has several.
    fn say(&self, what: &str) -> String {
        match self.name {
            Some(n) => format!("daily: [{n}] {what}"),
            None => format!("daily: {what}"),
        }
    }
}

/// Runs the job; returns its exit code (0, or one of the `EXIT_*` above).
pub fn run(job: &DailyJob, report: &mut dyn Report) -> Result<u8, DailyError> {
    let start = Instant::now();
    let profiles: Vec<ProfileJob> = job
        .settings
        .per_profile()
        .into_iter()
        .map(|(name, settings)| ProfileJob { name, settings })
        .collect();
    // 0. The settings, checked even on a day with nothing to do, so a typo is caught on
    // the first run after it, not on the next new day; then the reader's marks, learned
    // again when the feedback log changed since the profile's model last learned from it.
    let mut checked = Vec::with_capacity(profiles.len());
    let mut model = None;
    for p in &profiles {
        let mut c = check(job, &p.settings, &mut model, report)?;
        if learn_from_log(job, &p.settings, &c, report)? {
            // The day is ranked with the model just written.
            (c.learned, c.unusable) = learned_model(job, &p.settings, &c.model_dir, report)?;
        }
        checked.push(c);
    }
    // 1. The day's listing, once for every profile.
    let Some((listing, date)) = day_listing(job, report)? else {
        return Ok(EXIT_NO_PAPERS);
    };
    let unusable: Vec<Option<String>> = checked.iter().map(|c| c.unusable.clone()).collect();
    // 2. The digests, unless this very listing was ranked already with each profile and
    // its learned model: those that are not are ranked in one pass.
    let ranked = rank_unless_done(job, &profiles, checked, (&listing, date), start, report)?;
    // 3. and 4. Each profile's site and delivery.
    let (mut code, mut any_changed) = (0, false);
    for ((p, changed), unusable) in profiles.iter().zip(ranked).zip(&unusable) {
        let (c, changed) = finish(job, p, date, changed, unusable.as_deref(), report)?;
        code = code.max(c);
        any_changed |= changed;
    }
    let overview = job.settings.site.value.join("index.html");
    if profiles.len() > 1 && (any_changed || !overview.is_file()) {
        crate::site::build_overview(
            &job.settings.site.value,
            &job.settings.profile_sites(),
            report,
        )?;
    }
    Ok(code)
}

/// Steps 3 and 4 for one profile: its site, when its digests changed or it is missing, and
/// the delivery of what is still pending; returns the profile's exit code, and whether its
/// site changed.
fn finish(
    job: &DailyJob,
    p: &ProfileJob,
    date: Day,
    mut changed: bool,
    unusable: Option<&str>,
    report: &mut dyn Report,
) -> Result<(u8, bool), DailyError> {
    let s = &p.settings;
    let day_dir = s.out.value.join(date.to_string());
    let site = &s.site.value;
    if changed || !site.join("index.html").is_file() {
        let list_from = crate::site::DEFAULT_LIST_FROM;
        let opts = SiteOptions::new(list_from, s.learn_command(), p.name);
        crate::site::build(&s.out.value, site, &opts, report)?;
        changed = true;
    }
    let site_changed = changed;
    let (delivered, code) = deliver(job, p, &day_dir, date, report)?;
    changed |= delivered;
    if let Some(message) = unusable {
        // Last, so it is what a cron mail or a log ends with.
        report.note(&p.say(&format!(
            "{date} was ranked with the hand-set profile only: the learned model cannot \
             be used (exit {EXIT_LEARNED_UNUSABLE}):\n{message}"
        )));
        return Ok((EXIT_LEARNED_UNUSABLE, site_changed));
    }
    if !changed && code == 0 {
        report.note(&p.say(&format!(
            "{date}: nothing to do: the digest, the site and any delivery are up to date"
        )));
    } else if code == 0 {
        report.note(&p.say(&format!(
            "{date} done: {} and {}",
            day_dir.join("output.md").display(),
            site.join("index.html").display()
        )));
    }
    Ok((code, site_changed))
}

/// Learns the reader's marks from the profile's feedback log again when it changed since the
/// stored model learned from it (the model keeps each feedback file's sha256), as `learn
/// --feedback` would: the marks are replaced, a trained ranker is kept. Returns whether it
/// learned. Nothing happens without a log, with `--no-learned`, for a profile that is not
/// a folder (it has nowhere to keep a model), or when the stored model cannot be used
/// (`check` said why, and the day is ranked without it).
fn learn_from_log(
    job: &DailyJob,
    s: &DailySettings,
    checked: &Checked,
    report: &mut dyn Report,
) -> Result<bool, DailyError> {
    let log = &s.feedback.value;
    let topics = &s.topics.value;
    let usable = job.use_learned && topics.is_dir() && checked.learned.error.is_none();
    if !usable || !log.is_file() {
        return Ok(false);
    }
    let sha = sha256_file(log).map_err(IoError::read(log))?;
    let learned = checked.learned.model.as_ref();
    if learned.is_some_and(|m| m.marks.sources.iter().any(|f| f.sha256 == sha)) {
        return Ok(false);
    }
    report.note(&format!(
        "daily: the feedback log {} changed since the profile last learned from it: \
         learning your marks again",
        log.display()
    ));
    let mut embedder = BertEmbedder::load_for(&checked.model_dir, job.device, job.compute)?;
    let (feedback, daily_out) = ([log.to_owned()], [s.out.value.clone()]);
    let wanted = crate::labels::sources::Wanted {
        feedback: &feedback,
        ..Default::default()
    };
    let teach = crate::pipeline::teach::Teach {
        topics,
        profile: &checked.profile,
        fingerprint: &checked.model_dir.fingerprint,
        wanted: wanted.or_daily_digests(&daily_out),
        history: &s.history.value,
        cache: None,
        start: Instant::now(),
    };
    crate::pipeline::teach::teach(&mut embedder, teach, report)?;
    Ok(true)
}

/// Loads the profile and its learned model, and the model (`model`, resolved by the first
/// profile and then shared: every profile has the same model setting, and checking its
/// files hashes them).
fn check(
    job: &DailyJob,
    s: &DailySettings,
    model: &mut Option<ModelDir>,
    report: &mut dyn Report,
) -> Result<Checked, DailyError> {
    let mut profile = Profile::load(&s.topics.value)?;
    if let Some(a) = &s.authors {
        profile = profile.with_authors_file(&a.value)?;
    }
    if model.is_none() {
        *model = Some(ModelDir::resolve(&s.model.value, &s.models.value)?);
    }
    let model_dir = model.clone().expect("resolved above");
    let (learned, unusable) = learned_model(job, s, &model_dir, report)?;
    Ok(Checked {
        profile,
        model_dir,
        learned,
        unusable,
    })
}

/// The profile's learned model for the day and, when it cannot be used, why (said here,
/// loudly, with the way out).
fn learned_model(
    job: &DailyJob,
    s: &DailySettings,
    model_dir: &ModelDir,
    report: &mut dyn Report,
) -> Result<(LearnedForDay, Option<String>), DailyError> {
    let topics = &s.topics.value;
    let authors = s.authors.as_ref().map(|a| a.value.as_path());
    let learned = learned_for_day(topics, authors, job.use_learned, &model_dir.fingerprint)?;
    let unusable = learned.error.as_ref().map(|e: &LearnError| {
        let message = crate::learn::stored::unusable_text(e, topics);
        report.note(&format!(
            "daily: WARNING: ranking with the hand-set profile only, because the profile's \
             learned model cannot be used:\n{message}"
        ));
        message
    });
    Ok((learned, unusable))
}

/// The listing to rank and its day: `--listing`, else today's feed, fetched; `None` when
/// arXiv announced nothing.
fn day_listing(
    job: &DailyJob,
    report: &mut dyn Report,
) -> Result<Option<(PathBuf, Day)>, DailyError> {
    if let Some(path) = &job.listing {
        let l = crate::ingest::read_listing(path, &Default::default())?;
        let date = l.date.ok_or_else(|| {
            DailyError::Usage(format!("{}: the listing names no day", path.display()))
        })?;
        return Ok(Some((path.clone(), date)));
    }
    let s = job.settings;
    let mut fetcher = fetcher(s, job.retries, report)?;
    Ok(match fetcher.fetch_rss(&s.categories.value)? {
        Fetched::Saved { path, date, papers } => {
            report.note(&format!(
                "daily: fetched {date}: {papers} papers -> {}",
                path.display()
            ));
            Some((path, date))
        }
        Fetched::NotModified { path, date, papers } => {
            report.note(&format!(
                "daily: the feed has not changed since the last fetch ({date}, {papers} papers)"
            ));
            Some((path, date))
        }
        Fetched::NoAnnouncements { date, .. } => {
            report.note(&format!(
                "daily: no papers today: arXiv announced nothing in {}{}; nothing to rank",
                s.categories.value.join(", "),
                date.map_or(String::new(), |d| format!(" on {d}"))
            ));
            None
        }
    })
}

/// A fetcher into the settings' listings folder, with their contact and host.
pub fn fetcher(
    settings: &DailySettings,
    retries: u32,
    report: &mut dyn Report,
) -> Result<Fetcher, DailyError> {
    let dir = &settings.listings.value;
    fs_err::create_dir_all(dir).map_err(IoError::write(dir))?;
    if settings.contact.value.is_none() {
        report.note(
            "fetch: no contact set (--contact, or `contact` in arxrank.toml); arXiv asks \
             automated clients for an address it can reach",
        );
    }
    Ok(Fetcher::new(
        dir,
        FetchOptions {
            base_url: settings.base_url.value.clone(),
            contact: settings.contact.value.clone(),
            retries,
            ..FetchOptions::default()
        },
    )?)
}

/// Why the day's digest must be ranked (again), or `None` when it is up to date: this
/// listing, ranked with this profile and learned model.
fn why_rank(day_dir: &Path, ranked: &Ranked, learned: &LearnedForDay) -> Option<String> {
    let same_listing = fs_err::read_to_string(day_dir.join(RANKED_FILE))
        .ok()
        .and_then(|t| serde_json::from_str::<Ranked>(&t).ok())
        .is_some_and(|r| r.listing_sha256 == ranked.listing_sha256);
    let run_json = day_dir.join("run.json");
    let ranked_with = run_json
        .is_file()
        .then(|| crate::render::read_run_json(&run_json).ok())
        .flatten()
        .map(|r| r.ranked_with);
    let now = &learned.ranked_with;
    match (ranked_with, same_listing) {
        (None, _) | (_, false) => Some(String::new()),
        (Some(Some(w)), true) => (w.profile_sha256 != now.profile_sha256
            || w.learned_sha256 != now.learned_sha256)
            .then(|| {
                format!(
                    "it was ranked with {}, and now it is {}",
                    w.learned, now.learned
                )
            }),
        (Some(None), true) => Some("its digest does not say what it was ranked with".into()),
    }
}

/// Step 2: ranks the day for every profile whose digest is not up to date, in one pass;
/// returns, per profile, whether it did.
fn rank_unless_done(
    job: &DailyJob,
    profiles: &[ProfileJob],
    checked: Vec<Checked>,
    (listing, date): (&Path, Day),
    start: Instant,
    report: &mut dyn Report,
) -> Result<Vec<bool>, DailyError> {
    let ranked = Ranked {
        listing: listing.to_owned(),
        listing_sha256: sha256_file(listing).map_err(IoError::read(listing))?,
    };
    let mut todo = Vec::new();
    for (i, (p, c)) in profiles.iter().zip(checked).enumerate() {
        if due(job, p, &c.learned, &ranked, date, report) {
            todo.push((i, c));
        }
    }
    let mut done = vec![false; profiles.len()];
    // Every profile resolved the same model setting.
    let Some(model_dir) = todo.first().map(|(_, c)| c.model_dir.clone()) else {
        return Ok(done);
    };
    // The profiles and the model's files were checked above; only the day is new.
    let announce = [AnnounceType::New, AnnounceType::Cross];
    let day = read_day(listing, Format::Auto, &announce, None, report)?;
    let mut embedder = BertEmbedder::load_for(&model_dir, job.device, job.compute)?;
    let to_rank = todo
        .into_iter()
        .map(|(i, c)| {
            done[i] = true;
            let s = &profiles[i].settings;
            ProfileToRank {
                profile: c.profile,
                topics: &s.topics.value,
                out: s.out.value.clone(),
                learned: usable_part(c.learned),
            }
        })
        .collect();
    let run = DayToRank {
        listing_path: listing,
        day,
        profiles: to_rank,
        model_dir: &model_dir,
        device: job.device,
        threads: job.threads,
        history: Some(&job.settings.history.value),
        append: true,
        start,
    };
    let dirs = rank_to_disk(&mut embedder, run, report)?;
    let text = serde_json::to_string_pretty(&ranked).expect("serialises");
    for day_dir in dirs {
        write_atomic(&day_dir.join(RANKED_FILE), text.as_bytes())?;
    }
    Ok(done)
}

/// The learned model as the day is ranked with it: none when it cannot be used (the
/// profile's stamps stay, for `run.json`).
fn usable_part(learned: LearnedForDay) -> LearnedForDay {
    match learned.error {
        Some(_) => LearnedForDay {
            model: None,
            error: None,
            ..learned
        },
        None => learned,
    }
}

/// Whether the profile's digest of `date` must be ranked (again), said with why.
fn due(
    job: &DailyJob,
    p: &ProfileJob,
    learned: &LearnedForDay,
    ranked: &Ranked,
    date: Day,
    report: &mut dyn Report,
) -> bool {
    let day_dir = p.settings.out.value.join(date.to_string());
    match why_rank(&day_dir, ranked, learned) {
        None if !job.force => {
            report.note(&p.say(&format!(
                "{date} is already ranked from this listing; not ranking it again"
            )));
            false
        }
        None => {
            report.note(&p.say(&format!("{date}: ranking it again (--force)")));
            true
        }
        Some(why) if !why.is_empty() => {
            report.note(&p.say(&format!(
                "{date}: ranking it again: the profile or its learned model changed ({why})"
            )));
            true
        }
        Some(_) => true,
    }
}

/// Step 4: sends what is still pending; returns whether anything went out, and the exit
/// code (a failed delivery is kept for the next run).
fn deliver(
    job: &DailyJob,
    p: &ProfileJob,
    day_dir: &Path,
    date: Day,
    report: &mut dyn Report,
) -> Result<(bool, u8), DailyError> {
    let delivery = &p.settings.delivery.value;
    if !job.deliver {
        if delivery.is_on() {
            report.note(&p.say("delivery skipped (--no-deliver); it stays pending"));
        }
        return Ok((false, 0));
    }
    let outcome = deliver_day(day_dir, delivery)?;
    for name in &outcome.sent {
        report.note(&p.say(&format!("delivered {date} by {name}")));
    }
    let mut code = 0;
    for e in &outcome.failed {
        report.note(&p.say(&format!(
            "delivery failed: {e}; the digest is kept and delivery is retried on the next run"
        )));
        code = EXIT_DELIVERY_FAILED;
    }
    Ok((!outcome.sent.is_empty(), code))
}
