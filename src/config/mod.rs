//! Where arxrank keeps its files, and the daily job's settings (`arxrank.toml`).
//!
//! Two layouts, so that both the checkout's README commands and an installed binary work:
//! a directory holding `topics/` or `arxrank.toml` (the checkout is one) is a *project*, and
//! defaults are relative to it. Anywhere else the platform's directories are used: models,
//! history, listings and digests in the data directory, the profile and `arxrank.toml` in
//! the config directory (`ARXRANK_DATA_DIR` / `ARXRANK_CONFIG_DIR` move them). A flag or
//! environment variable always wins, and every resolved setting remembers where it came
//! from, for `daily --show-config`.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod init;

use crate::deliver::Delivery;
use crate::fsutil::IoError;

/// The daily job's settings file.
pub const CONFIG_FILE: &str = "arxrank.toml";

/// The categories `daily` fetches when nothing says otherwise: those of the bundled profile.
pub const DEFAULT_CATEGORIES: [&str; 2] = ["cs.LG", "cs.AI"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

/// A resolved setting and where its value came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    pub from: String,
}

impl<T> Setting<T> {
    fn new(value: T, from: impl Into<String>) -> Self {
        Self {
            value,
            from: from.into(),
        }
    }
}

/// Where defaults point: the current directory when it is a project, the platform's
/// directories otherwise.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The directory defaults are relative to (the current one, or a test's).
    root: PathBuf,
    /// Whether `root` holds `topics/` or `arxrank.toml`.
    project: bool,
    config_dir: Option<Setting<PathBuf>>,
    data_dir: Option<Setting<PathBuf>>,
}

/// The reader's home directory, if the platform has one: for showing paths as `~/…`.
pub fn home_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|b| b.home_dir().to_owned())
}

/// The layout of the current directory, detected once: command-line defaults come from it.
pub fn defaults() -> &'static Layout {
    static LAYOUT: std::sync::OnceLock<Layout> = std::sync::OnceLock::new();
    LAYOUT.get_or_init(Layout::detect)
}

impl Layout {
    /// The layout seen from the current directory.
    pub fn detect() -> Self {
        Self::at(Path::new("."))
    }

    /// The layout seen from `dir` (tests use a temporary one).
    pub fn at(dir: &Path) -> Self {
        let project = dir.join("topics").is_dir() || dir.join(CONFIG_FILE).is_file();
        let dirs = directories::ProjectDirs::from("", "", "arxrank");
        let pick = |var: &str, platform: Option<PathBuf>| {
            std::env::var_os(var)
                .filter(|v| !v.is_empty())
                .map(|v| Setting::new(PathBuf::from(v), format!("${var}")))
                .or_else(|| platform.map(|p| Setting::new(p, "platform default")))
        };
        Self {
            root: dir.to_owned(),
            project,
            config_dir: pick(
                "ARXRANK_CONFIG_DIR",
                dirs.as_ref().map(|d| d.config_dir().to_owned()),
            ),
            data_dir: pick(
                "ARXRANK_DATA_DIR",
                dirs.as_ref().map(|d| d.data_dir().to_owned()),
            ),
        }
    }

    /// The config directory (`arxrank init` writes there), if the platform has one.
    pub fn config_dir(&self) -> Option<&Setting<PathBuf>> {
        self.config_dir.as_ref()
    }

    /// The data directory, if the platform has one.
    pub fn data_dir(&self) -> Option<&Setting<PathBuf>> {
        self.data_dir.as_ref()
    }

    /// Whether defaults are relative to the current directory.
    pub fn is_project(&self) -> bool {
        self.project
    }

    /// `name` under the root, written bare when the root is the current directory.
    fn here(&self, name: &str) -> PathBuf {
        if self.root == Path::new(".") {
            PathBuf::from(name)
        } else {
            self.root.join(name)
        }
    }

    /// `name` in the current directory if it exists there (or, with `project_wide`, if the
    /// directory is a project), else `name` under the platform directory `base`.
    fn pick(
        &self,
        name: &str,
        project_wide: bool,
        (which, base): (&str, Option<&Setting<PathBuf>>),
        platform_name: &str,
    ) -> Setting<PathBuf> {
        let here = self.here(name);
        if here.exists() {
            return Setting::new(here, "the current directory");
        }
        if project_wide && self.project {
            return Setting::new(here, "the current directory (a project)");
        }
        match base {
            Some(b) => Setting::new(
                b.value.join(platform_name),
                format!("the {which} directory ({})", b.from),
            ),
            None => Setting::new(here, "default (no home directory)"),
        }
    }

    /// Model manifests and installed models.
    pub fn models(&self) -> Setting<PathBuf> {
        self.pick("models", false, ("data", self.data_dir.as_ref()), "models")
    }

    /// The profile: `topics/` here, else the one `arxrank init` wrote.
    pub fn topics(&self) -> Setting<PathBuf> {
        self.pick(
            "topics",
            false,
            ("config", self.config_dir.as_ref()),
            "topics",
        )
    }

    /// The history root.
    pub fn history(&self) -> Setting<PathBuf> {
        self.pick("history", true, ("data", self.data_dir.as_ref()), "history")
    }

    /// The embedding cache of `eval` and `learn`.
    pub fn cache(&self) -> Setting<PathBuf> {
        self.pick(
            "eval-cache",
            true,
            ("data", self.data_dir.as_ref()),
            "eval-cache",
        )
    }

    /// The feedback log: every mark the reader makes, appended (`labels::feedback`).
    pub fn feedback(&self) -> Setting<PathBuf> {
        self.pick(
            "feedback.jsonl",
            true,
            ("data", self.data_dir.as_ref()),
            "feedback.jsonl",
        )
    }

    /// Where `daily` keeps the digests.
    pub fn digests(&self) -> Setting<PathBuf> {
        self.pick("out", true, ("data", self.data_dir.as_ref()), "digests")
    }

    /// Where `fetch` and `daily` save listings.
    pub fn listings(&self) -> Setting<PathBuf> {
        self.pick(
            "listings",
            true,
            ("data", self.data_dir.as_ref()),
            "listings",
        )
    }

    /// The settings file `daily` reads when `--config` is not given: `arxrank.toml` here,
    /// else the config directory's, if either exists.
    pub fn config_file(&self) -> Option<PathBuf> {
        let here = self.here(CONFIG_FILE);
        if here.is_file() {
            return Some(here);
        }
        self.config_dir
            .as_ref()
            .map(|d| d.value.join(CONFIG_FILE))
            .filter(|p| p.is_file())
    }
}

/// `arxrank.toml` as written. Relative paths are relative to the file's directory.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// arXiv categories of the daily feed, e.g. `["cs.LG", "cs.AI"]`.
    pub categories: Option<Vec<String>>,
    pub topics: Option<PathBuf>,
    pub authors: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub site: Option<PathBuf>,
    pub history: Option<PathBuf>,
    pub listings: Option<PathBuf>,
    pub model: Option<String>,
    /// An e-mail address for the User-Agent, so arXiv can reach whoever runs the job.
    pub contact: Option<String>,
    pub base_url: Option<String>,
    #[serde(default)]
    pub delivery: Delivery,
    /// `[[profile]]` tables: several readers, or several interests of one, ranked from one
    /// pass over the day. Without any, the file's `topics` is the one profile.
    #[serde(default, rename = "profile")]
    pub profiles: Vec<ProfileConfig>,
}

/// One `[[profile]]` of `arxrank.toml`: a reader, or one interest of a reader, with its own
/// topics, learned model, feedback log, digests (`<out>/<name>/`), site pages and delivery.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Its folder under the digests and the site: letters, digits, `-`, `_` and `.`.
    pub name: String,
    /// Its hand-set profile (as `topics` at the top of the file).
    pub topics: PathBuf,
    pub authors: Option<PathBuf>,
    /// Its site, instead of `<site>/<name>`.
    pub site: Option<PathBuf>,
    #[serde(default)]
    pub delivery: Delivery,
}

impl ProfileConfig {
    /// Its own folder under `root` (the digests', or the site's): `<root>/<name>`. `rank
    /// --config` and `daily` both place a profile's digests by this.
    pub fn within(&self, root: &Path) -> PathBuf {
        root.join(&self.name)
    }
}

/// A path written in the settings file, made relative to the file's folder `base`.
fn relative_to(base: &Path, p: &mut PathBuf) {
    if p.is_relative() && !base.as_os_str().is_empty() {
        *p = base.join(&*p);
    }
}

/// Whether `name` can be a profile's folder name: 1 to 64 letters, digits, `-`, `_` or
/// `.`, not starting with `.` or `-`, and not `site` (the digests' site folder).
fn safe_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with(['.', '-'])
        && name != "site"
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = fs_err::read_to_string(path).map_err(IoError::read(path))?;
        let mut c: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for p in [
            &mut c.topics,
            &mut c.authors,
            &mut c.out,
            &mut c.site,
            &mut c.history,
            &mut c.listings,
        ]
        .into_iter()
        .flatten()
        {
            relative_to(base, p);
        }
        if let Some(cats) = &c.categories {
            if cats.is_empty() || cats.iter().any(|c| !crate::ingest::valid_category(c)) {
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    message: format!(
                        "categories {cats:?}: expected arXiv categories such as \"cs.LG\""
                    ),
                });
            }
        }
        c.delivery.check().map_err(|message| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        })?;
        c.check_profiles(base)
            .map_err(|message| ConfigError::Invalid {
                path: path.to_owned(),
                message,
            })?;
        Ok(c)
    }

    /// Checks the `[[profile]]` tables (and makes their paths relative to `base`): names
    /// unique and safe as folder names, every topics path there, deliveries whole, and no
    /// single-profile setting beside them that they would silently override.
    fn check_profiles(&mut self, base: &Path) -> Result<(), String> {
        if self.profiles.is_empty() {
            return Ok(());
        }
        let beside = [
            ("topics", self.topics.is_some()),
            ("authors", self.authors.is_some()),
            ("delivery", self.delivery.is_on()),
        ];
        if let Some((key, _)) = beside.iter().find(|(_, set)| *set) {
            return Err(format!(
                "`{key}` at the top and [[profile]] tables: with profiles, each profile \
                 names its own {key} in its table"
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for p in &mut self.profiles {
            let name = &p.name;
            if !safe_name(name) {
                return Err(format!(
                    "[[profile]] name {name:?}: not a safe folder name (1 to 64 letters, \
                     digits, '-', '_' or '.', not starting with '.' or '-', not \"site\")"
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(format!(
                    "[[profile]] name {name:?}: two profiles have this name"
                ));
            }
            for q in [Some(&mut p.topics), p.authors.as_mut(), p.site.as_mut()]
                .into_iter()
                .flatten()
            {
                relative_to(base, q);
            }
            for (key, q) in [("topics", Some(&p.topics)), ("authors", p.authors.as_ref())] {
                if let Some(q) = q.filter(|q| !q.exists()) {
                    return Err(format!(
                        "[[profile]] {name:?}: {key} {}: no such file or folder",
                        q.display()
                    ));
                }
            }
            p.delivery
                .check()
                .map_err(|m| format!("[[profile]] {name:?}: {m}"))?;
        }
        Ok(())
    }
}

/// `--topics` names one profile; beside a file with `[[profile]]` tables it is refused
/// rather than silently preferred to them (or they to it).
fn refuse_topics_beside_profiles(
    topics: Option<&Path>,
    config_file: Option<&Path>,
    file: &FileConfig,
) -> Result<(), ConfigError> {
    match (topics, config_file) {
        (Some(t), Some(p)) if !file.profiles.is_empty() => Err(ConfigError::Invalid {
            path: p.to_owned(),
            message: format!(
                "--topics {} names one profile, and this file names {} [[profile]] \
                 tables; rank them with the file alone, or pass another --config",
                t.display(),
                file.profiles.len()
            ),
        }),
        _ => Ok(()),
    }
}

/// Everything `daily` runs with, resolved: flag, else `arxrank.toml`, else the layout.
#[derive(Debug, Clone)]
pub struct DailySettings {
    pub config_file: Option<PathBuf>,
    pub categories: Setting<Vec<String>>,
    pub topics: Setting<PathBuf>,
    pub authors: Option<Setting<PathBuf>>,
    pub out: Setting<PathBuf>,
    pub site: Setting<PathBuf>,
    pub history: Setting<PathBuf>,
    pub listings: Setting<PathBuf>,
    pub models: Setting<PathBuf>,
    pub model: Setting<String>,
    pub contact: Setting<Option<String>>,
    pub base_url: Setting<Option<String>>,
    pub delivery: Setting<Delivery>,
    /// The feedback log the reader's marks are appended to.
    pub feedback: Setting<PathBuf>,
    /// The file's `[[profile]]` tables, checked; empty for one profile.
    pub profiles: Vec<ProfileConfig>,
}

/// The flags of `daily` that override the file, as given (None = not given).
#[derive(Debug, Default, Clone)]
pub struct DailyOverrides {
    pub categories: Option<Vec<String>>,
    pub topics: Option<PathBuf>,
    pub authors: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub site: Option<PathBuf>,
    pub history: Option<PathBuf>,
    pub listings: Option<PathBuf>,
    pub models: Option<PathBuf>,
    pub model: Option<String>,
    pub contact: Option<String>,
    pub base_url: Option<String>,
}

impl DailySettings {
    /// Resolves the settings from the flags, the config file (`config`, else the layout's)
    /// and the layout's defaults.
    pub fn resolve(
        flags: DailyOverrides,
        config: Option<&Path>,
        layout: &Layout,
    ) -> Result<Self, ConfigError> {
        let config_file = config.map(Path::to_owned).or_else(|| layout.config_file());
        let file = match &config_file {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        refuse_topics_beside_profiles(flags.topics.as_deref(), config_file.as_deref(), &file)?;
        fn choose<T>(
            flag: Option<T>,
            file: Option<T>,
            file_name: &str,
            default: Setting<T>,
        ) -> Setting<T> {
            match (flag, file) {
                (Some(v), _) => Setting::new(v, "flag or environment"),
                (None, Some(v)) => Setting::new(v, file_name.to_owned()),
                (None, None) => default,
            }
        }
        // Where a value from the file came from, for --show-config.
        let f = config_file
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string());
        let out = choose(flags.out, file.out, &f, layout.digests());
        let site_default = Setting::new(out.value.join("site"), "default (<out>/site)");
        let categories = choose(
            flags.categories,
            file.categories,
            &f,
            Setting::new(
                DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect(),
                "default",
            ),
        );
        Ok(Self {
            categories,
            topics: choose(flags.topics, file.topics, &f, layout.topics()),
            authors: flags
                .authors
                .map(|a| Setting::new(a, "flag or environment"))
                .or_else(|| file.authors.map(|a| Setting::new(a, f.clone()))),
            site: choose(flags.site, file.site, &f, site_default),
            out,
            history: choose(flags.history, file.history, &f, layout.history()),
            listings: choose(flags.listings, file.listings, &f, layout.listings()),
            models: choose(flags.models, None, &f, layout.models()),
            model: choose(
                flags.model,
                file.model,
                &f,
                Setting::new(crate::embed::DEFAULT_MODEL.to_owned(), "default"),
            ),
            contact: choose(
                flags.contact.map(Some),
                file.contact.map(Some),
                &f,
                Setting::new(None, "not set"),
            ),
            base_url: choose(
                flags.base_url.map(Some),
                file.base_url.map(Some),
                &f,
                Setting::new(None, "default (arXiv)"),
            ),
            delivery: if config_file.is_some() {
                Setting::new(file.delivery, f.clone())
            } else {
                Setting::new(Delivery::default(), "default (off)")
            },
            feedback: layout.feedback(),
            profiles: file.profiles,
            config_file,
        })
    }

    /// One profile's settings, for a command that works on one (`serve`, `learn`): the
    /// `[[profile]]` named `name`, or these settings for a file without profiles. A file
    /// with profiles needs a name, so marks and models never go to a profile by default.
    pub fn pick_profile(&self, name: Option<&str>) -> Result<DailySettings, ConfigError> {
        let names: Vec<&str> = self.profiles.iter().map(|p| p.name.as_str()).collect();
        let invalid = |message: String| ConfigError::Invalid {
            path: self
                .config_file
                .clone()
                .unwrap_or_else(|| CONFIG_FILE.into()),
            message,
        };
        match (name, names.is_empty()) {
            (None, true) => Ok(self.clone()),
            (None, false) => Err(invalid(format!(
                "it names {} [[profile]] tables ({}): say which with --profile NAME",
                names.len(),
                names.join(", ")
            ))),
            (Some(n), _) => (self.per_profile().into_iter())
                .find(|(p, _)| *p == Some(n))
                .map(|(_, s)| s)
                .ok_or_else(|| {
                    invalid(format!(
                        "--profile {n:?}: no [[profile]] of that name (it names: {})",
                        if names.is_empty() {
                            "none".into()
                        } else {
                            names.join(", ")
                        }
                    ))
                }),
        }
    }

    /// Each `[[profile]]`'s digests and site, as the site of several profiles needs them
    /// (none for a file without profiles).
    pub fn profile_sites(&self) -> Vec<crate::site::ProfileSite> {
        (self.per_profile().into_iter())
            .filter_map(|(name, s)| {
                Some(crate::site::ProfileSite {
                    name: name?.to_owned(),
                    learn_command: s.learn_command(),
                    digests: s.out.value,
                    site: s.site.value,
                })
            })
            .collect()
    }

    /// The settings of each profile the job runs: these settings themselves for a file
    /// without `[[profile]]` tables (named `None`), else one per table, in the file's
    /// order: its topics, authors and delivery, its digests in `<out>/<name>/`, its site in
    /// `<site>/<name>/` (or its own `site`), its feedback log `feedback-<name>.jsonl`
    /// beside the one-profile log.
    pub fn per_profile(&self) -> Vec<(Option<&str>, DailySettings)> {
        if self.profiles.is_empty() {
            return vec![(None, self.clone())];
        }
        let file = self
            .config_file
            .as_ref()
            .map_or(String::new(), |p| p.display().to_string());
        self.profiles
            .iter()
            .map(|p| {
                let from = format!("{file} [[profile]] {:?}", p.name);
                let within = |s: &Setting<PathBuf>| {
                    Setting::new(
                        p.within(&s.value),
                        format!("{} + the profile's name", s.from),
                    )
                };
                let log = self
                    .feedback
                    .value
                    .with_file_name(format!("feedback-{}.jsonl", p.name));
                let settings = DailySettings {
                    topics: Setting::new(p.topics.clone(), from.clone()),
                    authors: p.authors.clone().map(|a| Setting::new(a, from.clone())),
                    out: within(&self.out),
                    site: match &p.site {
                        Some(site) => Setting::new(site.clone(), from.clone()),
                        None => within(&self.site),
                    },
                    delivery: Setting::new(p.delivery.clone(), from.clone()),
                    feedback: Setting::new(
                        log,
                        format!("{} + the profile's name", self.feedback.from),
                    ),
                    profiles: Vec::new(),
                    ..self.clone()
                };
                (Some(p.name.as_str()), settings)
            })
            .collect()
    }
}

impl fmt::Display for DailySettings {
    /// The resolved settings, one per line with its origin; secrets are never among them
    /// (credentials live only in environment variables, which this names but never reads).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let row = |f: &mut fmt::Formatter<'_>, k: &str, v: String, from: &str| {
            writeln!(f, "{k:<11} = {v:<48} # {from}")
        };
        match &self.config_file {
            Some(p) => writeln!(f, "# config file: {}", p.display())?,
            None => writeln!(f, "# config file: none (no --config, no ./{CONFIG_FILE}, none in the config directory)")?,
        }
        row(
            f,
            "categories",
            format!("{:?}", self.categories.value),
            &self.categories.from,
        )?;
        // With profiles, each profile's topics and delivery are listed under it instead.
        let one = self.profiles.is_empty();
        if one {
            row(f, "topics", quote(&self.topics.value), &self.topics.from)?;
        }
        if let Some(a) = &self.authors {
            row(f, "authors", quote(&a.value), &a.from)?;
        }
        row(f, "out", quote(&self.out.value), &self.out.from)?;
        row(f, "site", quote(&self.site.value), &self.site.from)?;
        row(f, "history", quote(&self.history.value), &self.history.from)?;
        row(
            f,
            "listings",
            quote(&self.listings.value),
            &self.listings.from,
        )?;
        row(
            f,
            "models_dir",
            quote(&self.models.value),
            &self.models.from,
        )?;
        row(
            f,
            "model",
            format!("{:?}", self.model.value),
            &self.model.from,
        )?;
        row(
            f,
            "contact",
            self.contact
                .value
                .as_deref()
                .map_or("(none)".into(), |c| format!("{c:?}")),
            &self.contact.from,
        )?;
        row(
            f,
            "base_url",
            self.base_url
                .value
                .as_deref()
                .map_or("(arXiv)".into(), |c| format!("{c:?}")),
            &self.base_url.from,
        )?;
        for line in self.delivery.value.describe().into_iter().filter(|_| one) {
            row(f, "delivery", line, &self.delivery.from)?;
        }
        for (name, p) in self.per_profile() {
            let Some(name) = name else { continue };
            writeln!(f, "# profile {name:?}")?;
            row(f, "  topics", quote(&p.topics.value), &p.topics.from)?;
            if let Some(a) = &p.authors {
                row(f, "  authors", quote(&a.value), &a.from)?;
            }
            row(f, "  out", quote(&p.out.value), &p.out.from)?;
            row(f, "  site", quote(&p.site.value), &p.site.from)?;
            row(f, "  feedback", quote(&p.feedback.value), &p.feedback.from)?;
            for line in p.delivery.value.describe() {
                row(f, "  delivery", line, &p.delivery.from)?;
            }
        }
        Ok(())
    }
}

fn quote(p: &Path) -> String {
    format!("{:?}", p.display().to_string())
}

/// A commented `arxrank.toml`: every setting `daily` reads, the optional ones commented out.
pub fn starter_config(categories: &[String], contact: Option<&str>) -> String {
    let cats = categories
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let contact = match contact {
        Some(c) => format!("contact = {c:?}"),
        None => "# contact = \"you@example.org\"".into(),
    };
    format!(
        r#"# arxrank daily: settings. Relative paths are relative to this file; a flag of
# `arxrank daily` overrides any of them; `arxrank daily --show-config` prints the result.

# arXiv categories of the daily feed.
categories = [{cats}]
# The profile (TOML topic files, or gpt_paper_assistant's paper_topics.txt).
topics = "topics"
# Sent in the User-Agent, as arXiv asks of automated clients.
{contact}

# Defaults live in the data directory; uncomment to move them.
# out = "digests"        # one YYYY-MM-DD folder per day
# site = "digests/site"  # the browsable site
# history = "history"    # papers seen before, for novelty
# listings = "listings"  # the fetched feeds

# Delivery is off unless a table below is uncommented. Secrets come only from the
# environment, never from this file.
#
# [delivery.webhook]     # Slack-compatible incoming webhook; URL in $ARXRANK_WEBHOOK_URL
# top = 10
# site_url = "https://you.github.io/arxrank"   # link to the day's page
#
# [delivery.email]       # credentials in $ARXRANK_SMTP_USER and $ARXRANK_SMTP_PASSWORD
# to = ["you@example.org"]
# from = "arxrank@example.org"
# server = "smtp.example.org"
# port = 587
# tls = "starttls"       # or "tls" (port 465), or "none" for a relay on this machine
# top = 10
"#
    )
}

/// A path as a reader types it: absolute, with the home directory as `~`, so a command
/// shown on a page works from anywhere and a published page does not spell out whose home
/// it was built in.
pub fn shown(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let plain = abs.display().to_string();
    // A path the shell would split or expand is quoted whole, absolute (`~` does not expand
    // inside quotes).
    if plain.contains(|c: char| c.is_whitespace() || "'\"$`\\*?[]{}&;|<>()!#".contains(c)) {
        return format!("'{}'", plain.replace('\'', r"'\''"));
    }
    let home = home_dir();
    match home.as_deref().and_then(|h| abs.strip_prefix(h).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => plain,
    }
}

impl DailySettings {
    /// The command that trains the profile on the site's exported feedback, with the paths
    /// `daily` uses, for the site's hint.
    pub fn learn_command(&self) -> String {
        format!(
            "arxrank learn --feedback ~/Downloads/feedback.jsonl --topics {} --digests {} --history {}",
            shown(&self.topics.value),
            shown(&self.out.value),
            shown(&self.history.value),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_paths_are_relative_to_the_file_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join(CONFIG_FILE);
        fs_err::write(
            &cfg,
            "categories = [\"cs.CL\"]\ntopics = \"my-topics\"\nout = \"/abs/out\"\n",
        )
        .unwrap();
        let layout = Layout::at(dir.path());
        let s = DailySettings::resolve(
            DailyOverrides {
                out: Some("flag-out".into()),
                ..Default::default()
            },
            Some(&cfg),
            &layout,
        )
        .unwrap();
        assert_eq!(s.categories.value, vec!["cs.CL".to_string()]);
        assert_eq!(s.topics.value, dir.path().join("my-topics"));
        assert_eq!(s.out.value, PathBuf::from("flag-out"));
        assert_eq!(s.out.from, "flag or environment");
        assert_eq!(s.site.value, PathBuf::from("flag-out/site"));
    }

    #[test]
    fn a_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join(CONFIG_FILE);
        fs_err::write(&cfg, "categorys = [\"cs.CL\"]\n").unwrap();
        let e = FileConfig::load(&cfg).unwrap_err().to_string();
        assert!(e.contains("arxrank.toml") && e.contains("categorys"), "{e}");
        fs_err::write(&cfg, "categories = [\"cs.LG+cs.AI\"]\n").unwrap();
        let e = FileConfig::load(&cfg).unwrap_err().to_string();
        assert!(e.contains("expected arXiv categories"), "{e}");
    }

    #[test]
    fn profiles_get_their_own_folders_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(dir.path().join("moe")).unwrap();
        fs_err::create_dir_all(dir.path().join("graphs")).unwrap();
        let cfg = dir.path().join(CONFIG_FILE);
        let two = "out = \"digests\"\n\n[[profile]]\nname = \"moe\"\ntopics = \"moe\"\n\n\
                   [[profile]]\nname = \"graphs\"\ntopics = \"graphs\"\nsite = \"/pub/graphs\"\n";
        fs_err::write(&cfg, two).unwrap();
        let layout = Layout::at(dir.path());
        let s = DailySettings::resolve(DailyOverrides::default(), Some(&cfg), &layout).unwrap();
        let each = s.per_profile();
        let names: Vec<_> = each.iter().map(|(n, _)| n.unwrap()).collect();
        assert_eq!(names, ["moe", "graphs"]);
        let (moe, graphs) = (&each[0].1, &each[1].1);
        assert_eq!(moe.topics.value, dir.path().join("moe"));
        assert_eq!(moe.out.value, dir.path().join("digests/moe"));
        assert_eq!(moe.site.value, dir.path().join("digests/site/moe"));
        assert_eq!(
            moe.feedback.value.file_name().unwrap(),
            "feedback-moe.jsonl"
        );
        assert_eq!(moe.feedback.value.parent(), s.feedback.value.parent());
        assert_eq!(graphs.site.value, PathBuf::from("/pub/graphs"));
        assert!(moe.profiles.is_empty() && graphs.delivery.value == Delivery::default());
        // A file without profiles is its own one profile, unchanged.
        fs_err::write(&cfg, "topics = \"moe\"\n").unwrap();
        let one = DailySettings::resolve(DailyOverrides::default(), Some(&cfg), &layout).unwrap();
        let each = one.per_profile();
        assert_eq!(each.len(), 1);
        assert!(each[0].0.is_none() && each[0].1.out.value == one.out.value);

        let profile = |name: &str, topics: &str| {
            format!("[[profile]]\nname = {name:?}\ntopics = {topics:?}\n\n")
        };
        for (text, want) in [
            (
                profile("moe", "moe") + &profile("moe", "graphs"),
                "\"moe\": two profiles have this name",
            ),
            (profile("moe", "missing"), "topics"),
            (profile("../up", "moe"), "not a safe folder name"),
            (profile("site", "moe"), "not a safe folder name"),
            (profile("", "moe"), "not a safe folder name"),
            (
                format!("topics = \"moe\"\n{}", profile("moe", "moe")),
                "`topics` at the top",
            ),
        ] {
            fs_err::write(&cfg, &text).unwrap();
            let e = FileConfig::load(&cfg).unwrap_err().to_string();
            assert!(
                e.contains("arxrank.toml") && e.contains(want),
                "{text}: {e}"
            );
        }
        // A missing topics folder is named by its path.
        fs_err::write(&cfg, profile("moe", "missing")).unwrap();
        let e = FileConfig::load(&cfg).unwrap_err().to_string();
        assert!(e.contains("missing: no such file or folder"), "{e}");
        // --topics beside profiles is refused, not silently preferred.
        fs_err::write(&cfg, two).unwrap();
        let flags = DailyOverrides {
            topics: Some("moe".into()),
            ..Default::default()
        };
        let e = DailySettings::resolve(flags, Some(&cfg), &layout)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--topics moe names one profile"), "{e}");
    }
}
